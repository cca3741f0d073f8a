"""GRPO's group arithmetic (method.md §3): group-normalised advantages and the zero-variance group filter.

Rewards arrive as one row per prompt, one column per sample of that prompt: [G, n].
"""

from __future__ import annotations

import torch

ADVANTAGE_EPS = 1e-6  # the official `epsilon` in (r − mean) / (std + eps)


def group_advantages(rewards: torch.Tensor, eps: float = ADVANTAGE_EPS) -> torch.Tensor:
    """rewards [G, n] → advantages [G, n]: (r − group mean) / (group std + eps), std unbiased (n − 1) as
    `torch.std` in the official code. A group of one sample gets its raw reward (mean 0, std 1 there)."""
    if rewards.dim() != 2:
        raise ValueError(f"rewards must be [groups, samples], got shape {tuple(rewards.shape)}")
    rewards = rewards.float()
    if rewards.shape[1] == 1:
        return rewards.clone()
    mean = rewards.mean(dim=1, keepdim=True)  # [G, 1]
    std = rewards.std(dim=1, keepdim=True)  # [G, 1]
    return (rewards - mean) / (std + eps)


def informative_groups(rewards: torch.Tensor) -> torch.Tensor:
    """rewards [G, n] → bool [G]: the group's rewards are not all equal (DAPO's filter on std > 0)."""
    return rewards.max(dim=1).values > rewards.min(dim=1).values


def refill_prompts(missing: int, world_size: int = 1, cap: int = 32) -> int:
    """How many prompts the next generation batch draws when `missing` informative groups are still needed:
    verl's min(max(world_size, 2^(bit_length(missing) + 1)), cap), cap = the prompt batch. The cap is applied last,
    so a prompt batch smaller than the world gives ranks without a prompt (1 missing, world 4, cap 2 → 2)."""
    if missing <= 0:
        raise ValueError("nothing is missing")
    return min(max(world_size, 2 ** (missing.bit_length() + 1)), cap)
