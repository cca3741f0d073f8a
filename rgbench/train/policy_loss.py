"""The GRPO policy objective (method.md §3): PPO-clipped surrogate, its token aggregation, and the optional k3 KL.

Every tensor here is per response slot, shape [R, T] (R sequences, T slots), with a bool `mask` marking the
slots that hold a trained token (CoT, `<begin_of_image>`, image codes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from rgbench.registry import Registry

KL_CLAMP = 10.0  # verl's low_var_kl clamps the estimate to ±10


def masked_sum(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (values * mask).sum()


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over masked slots; 0 when none is masked (not NaN)."""
    return masked_sum(values, mask) / mask.sum().clamp(min=1)


# An aggregation turns per-slot values into (sum over its units, number of units), so that data-parallel ranks
# can add both over the global micro-batch before dividing; one process divides its own.
Aggregation = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
AGGREGATIONS: Registry[Aggregation] = Registry("loss aggregation")


@AGGREGATIONS.register("token-mean")
def token_mean(values: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """All trained tokens of the micro-batch count equally (the official setting): long sequences weigh more."""
    return masked_sum(values, mask), mask.sum()


@AGGREGATIONS.register("seq-mean-token-mean")
def seq_mean_token_mean(values: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each sequence's token mean, then the mean over sequences (original GRPO)."""
    per_seq = (values * mask).sum(-1) / mask.sum(-1).clamp(min=1)  # [R]
    return per_seq.sum(), mask.any(-1).sum()


@AGGREGATIONS.register("seq-mean-token-sum")
def seq_mean_token_sum(values: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each sequence's token sum, then the mean over sequences (Dr. GRPO without the length normaliser); a row
    with no trained slot (a rank's placeholder row) is not a sequence."""
    return (values * mask).sum(), mask.any(-1).sum()


@dataclass
class ClipTerms:
    """One (rank's share of a) micro-batch's PPO-clip sums; `stats` turns global sums into the metrics."""

    loss_sum: torch.Tensor  # carries gradient
    units: torch.Tensor  # denominator of the aggregation
    counts: torch.Tensor  # [4] no gradient: clipped tokens, Σ ratio, Σ (old − new), trained tokens

    def loss(self) -> torch.Tensor:
        return self.loss_sum / self.units.clamp(min=1)


@dataclass
class ClipStats:
    clip_fraction: float  # share of trained tokens where the clipped branch was taken
    ratio_mean: float
    approx_kl: float  # mean(old − new log-prob): how far the update has moved from the rollout policy

    @classmethod
    def from_counts(cls, counts: torch.Tensor) -> ClipStats:
        n = float(counts[3].clamp(min=1))
        return cls(float(counts[0]) / n, float(counts[1]) / n, float(counts[2]) / n)


def clip_metrics(micro_counts: Sequence[torch.Tensor]) -> dict[str, float | None]:
    """Each micro-batch's `ClipTerms.counts` [4] → the logged clip statistics. `clip_fraction` and `approx_kl`
    are verl's: the mean over micro-batches of each micro-batch's token mean (`pg_clipfrac`, `ppo_kl` of
    `compute_policy_loss`, averaged by `reduce_metrics`), so a short micro-batch weighs as much as a long one;
    the `_pooled` fields are token means over all micro-batches together."""
    if not micro_counts:
        return {"clip_fraction": None, "approx_kl": None, "clip_fraction_pooled": None, "approx_kl_pooled": None}
    per_micro = [ClipStats.from_counts(c) for c in micro_counts]
    pooled = ClipStats.from_counts(torch.stack(list(micro_counts)).sum(0))
    return {"clip_fraction": sum(s.clip_fraction for s in per_micro) / len(per_micro),
            "approx_kl": sum(s.approx_kl for s in per_micro) / len(per_micro),
            "clip_fraction_pooled": pooled.clip_fraction, "approx_kl_pooled": pooled.approx_kl}


def ppo_clip_terms(logprobs: torch.Tensor, old_logprobs: torch.Tensor, advantages: torch.Tensor,
                   mask: torch.Tensor, clip_low: float = 0.2, clip_high: float = 0.2,
                   aggregation: str = "token-mean") -> ClipTerms:
    """PPO-clip: per token max(−A·ρ, −A·clip(ρ, 1 − ε_low, 1 + ε_high)), ρ = exp(logπθ − logπold), as sums.

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
    loss_sum, units = AGGREGATIONS.get(aggregation)(per_token, mask)
    with torch.no_grad():
        counts = torch.stack([masked_sum((clipped > unclipped).to(mask.dtype), mask), masked_sum(ratio, mask),
                              masked_sum(-log_ratio, mask), mask.sum()])  # [4]
    return ClipTerms(loss_sum, units.to(logprobs.dtype), counts)


def ppo_clip_loss(logprobs: torch.Tensor, old_logprobs: torch.Tensor, advantages: torch.Tensor,
                  mask: torch.Tensor, clip_low: float = 0.2, clip_high: float = 0.2,
                  aggregation: str = "token-mean") -> tuple[torch.Tensor, ClipStats]:
    """The aggregated PPO-clip loss of one micro-batch on one process, and its statistics."""
    terms = ppo_clip_terms(logprobs, old_logprobs, advantages, mask, clip_low, clip_high, aggregation)
    return terms.loss(), ClipStats.from_counts(terms.counts)


def k3_kl(logprobs: torch.Tensor, ref_logprobs: torch.Tensor) -> torch.Tensor:
    """Per-token k3 estimate of KL(πθ ‖ πref): exp(ref − logπ) − (ref − logπ) − 1, clamped to ±10 ([R, T])."""
    delta = ref_logprobs - logprobs
    return (torch.exp(delta) - delta - 1).clamp(-KL_CLAMP, KL_CLAMP)
