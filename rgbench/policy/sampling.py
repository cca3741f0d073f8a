"""Seeded sampling, one random stream per row: the same (seed, prompt, sample index) gives the same tokens
whatever else is in the batch.

Each row owns two `torch.Generator`s (CoT text, image tokens), seeded from sha256(seed, prompt key, sample
index, stage). A token is drawn by inverse CDF from one uniform per row and step, so a row's draws never
depend on how many other rows there are or how long their CoTs run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import torch

STAGES = ("text", "image")


def seed_from(*parts: object) -> int:
    """A 63-bit seed from any key (its parts' str joined by \\x1f, hashed with sha256)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def row_seed(seed: int, prompt_key: str, sample: int, stage: str = "") -> int:
    """A 63-bit seed for one (seed, prompt, sample[, stage])."""
    return seed_from(seed, prompt_key, sample, stage)


class RowStreams:
    """Per-row generators for each stage; `uniform(stage, rows)` draws one number per listed row."""

    def __init__(self, keys: list[tuple[int, str, int]]) -> None:
        self.keys = keys
        self._gens = {stage: [torch.Generator().manual_seed(row_seed(s, p, k, stage)) for s, p, k in keys]
                      for stage in STAGES}

    def uniform(self, stage: str, rows: list[int] | None = None) -> torch.Tensor:
        """float64 [len(rows)] in [0, 1), on the CPU."""
        gens = self._gens[stage]
        rows = range(len(gens)) if rows is None else rows
        return torch.cat([torch.rand(1, generator=gens[r], dtype=torch.float64) for r in rows])


@dataclass
class Sampler:
    """Temperature and top-k for one stage (ReasonGen-R1: T = 1, no top-k, for both stages)."""

    temperature: float = 1.0  # logits are divided by this; 0 = greedy
    top_k: int | None = None  # keep the k largest logits (None = all)

    def log_probs(self, logits: torch.Tensor) -> torch.Tensor:
        """[R, V] → [R, V] log-probabilities of the distribution tokens are drawn from (fp32)."""
        z = logits.float()
        if self.temperature > 0:
            z = z / self.temperature
        if self.top_k is not None and self.top_k < z.shape[-1]:
            kth = torch.topk(z, self.top_k, dim=-1).values[:, -1:]  # [R, 1]
            z = z.masked_fill(z < kth, float("-inf"))
        return torch.log_softmax(z, dim=-1)

    def draw(self, logp: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens [R] and their log-probs [R] from `log_probs` output [R, V] and uniforms u [R] (inverse CDF)."""
        if self.temperature <= 0:
            token = logp.argmax(-1)
        else:
            cdf = torch.cumsum(logp.double().exp(), dim=-1)  # [R, V]
            target = (u.to(cdf.device) * cdf[:, -1]).unsqueeze(-1)  # [R, 1]
            token = torch.searchsorted(cdf, target, right=True).squeeze(-1).clamp_max(cdf.shape[-1] - 1)
            # never land on a zero-probability token (top-k holes, float ties at the boundary)
            token = torch.where(logp.gather(-1, token[:, None]).squeeze(-1).isinf(), logp.argmax(-1), token)
        return token, logp.gather(-1, token[:, None]).squeeze(-1)
