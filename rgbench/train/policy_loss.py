"""The GRPO policy objective (method.md §3): PPO-clipped surrogate, its token aggregation, and the optional k3 KL.

Every tensor here is per response slot, shape [R, T] (R sequences, T slots), with a bool `mask` marking the
slots that hold a trained token (CoT, `<begin_of_image>`, image codes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from rgbench.registry import Registry

KL_CLAMP = 10.0  # verl's low_var_kl clamps the estimate to ±10


def masked_sum(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (values * mask).sum()


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over masked slots; 0 when none is masked (not NaN)."""
    return masked_sum(values, mask) / mask.sum().clamp(min=1)


Aggregation = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
AGGREGATIONS: Registry[Aggregation] = Registry("loss aggregation")


@AGGREGATIONS.register("token-mean")
def token_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """All trained tokens of the micro-batch count equally (the official setting): long sequences weigh more."""
    return masked_mean(values, mask)


@AGGREGATIONS.register("seq-mean-token-mean")
def seq_mean_token_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Each sequence's token mean, then the mean over sequences (original GRPO)."""
    per_seq = (values * mask).sum(-1) / mask.sum(-1).clamp(min=1)  # [R]
    has = mask.any(-1)
    return per_seq[has].mean() if has.any() else values.sum() * 0


@AGGREGATIONS.register("seq-mean-token-sum")
def seq_mean_token_sum(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Each sequence's token sum, then the mean over sequences (Dr. GRPO without the length normaliser)."""
    return (values * mask).sum(-1).mean()


@dataclass
class ClipStats:
    clip_fraction: float  # share of trained tokens where the clipped branch was taken
    ratio_mean: float
    approx_kl: float  # mean(old − new log-prob): how far the update has moved from the rollout policy


def ppo_clip_loss(logprobs: torch.Tensor, old_logprobs: torch.Tensor, advantages: torch.Tensor,
                  mask: torch.Tensor, clip_low: float = 0.2, clip_high: float = 0.2,
                  aggregation: str = "token-mean") -> tuple[torch.Tensor, ClipStats]:
    """PPO-clip: per token max(−A·ρ, −A·clip(ρ, 1 − ε_low, 1 + ε_high)), ρ = exp(logπθ − logπold), aggregated.

    logprobs, old_logprobs, mask: [R, T]; advantages: [R] (broadcast to every token of the sequence) or [R, T].
    """
    if advantages.dim() == 1:
        advantages = advantages[:, None].expand_as(logprobs)  # [R, T]
    mask = mask.to(logprobs.dtype)
    log_ratio = logprobs - old_logprobs  # [R, T]
    ratio = torch.exp(log_ratio)
    unclipped = -advantages * ratio
    clipped = -advantages * ratio.clamp(1.0 - clip_low, 1.0 + clip_high)
    per_token = torch.maximum(unclipped, clipped)  # [R, T]
    loss = AGGREGATIONS.get(aggregation)(per_token, mask)
    with torch.no_grad():
        stats = ClipStats(clip_fraction=float(masked_mean((clipped > unclipped).to(mask.dtype), mask)),
                          ratio_mean=float(masked_mean(ratio, mask)),
                          approx_kl=float(masked_mean(-log_ratio, mask)))
    return loss, stats


def k3_kl(logprobs: torch.Tensor, ref_logprobs: torch.Tensor) -> torch.Tensor:
    """Per-token k3 estimate of KL(πθ ‖ πref): exp(ref − logπ) − (ref − logπ) − 1, clamped to ±10 ([R, T])."""
    delta = ref_logprobs - logprobs
    return (torch.exp(delta) - delta - 1).clamp(-KL_CLAMP, KL_CLAMP)
