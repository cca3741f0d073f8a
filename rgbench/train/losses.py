"""Training losses as functions of a policy and a batch (shapes in comments; no optimiser, no loop)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from rgbench.policy.generate import positions_from_mask
from rgbench.policy.model import Policy
from rgbench.train.sft_data import BOI, COT, IMAGE, NONE, PART_NAMES, TEXT, Batch


@dataclass
class PartWeights:
    """Loss weight per part (the release: text 2.0, image 1.0, <begin_of_image> 0.0)."""

    cot: float = 2.0
    image: float = 1.0
    begin_of_image: float = 0.0
    end_tokens: float = 2.0  # <end_of_image> and EOS, which the release weights as text

    def table(self, device: torch.device) -> torch.Tensor:
        """[5] weight by part id (NONE → 0)."""
        out = torch.zeros(5, device=device)
        out[COT], out[IMAGE], out[BOI], out[TEXT] = self.cot, self.image, self.begin_of_image, self.end_tokens
        return out


def token_losses(policy: Policy, batch: Batch) -> torch.Tensor:
    """Cross-entropy of every target token, [B, T − 1] aligned with batch.parts[:, 1:] (garbage where part is NONE)."""
    lt, n = batch.text_ids.shape[1], batch.codes.shape[1]
    cells = torch.arange(n, device=batch.codes.device)
    embeds = torch.cat([policy.embed_text(batch.text_ids), policy.embed_image(batch.codes, cells),
                        policy.embed_text(batch.tail_ids)], dim=1)  # [B, Lt + N + 2, D]
    mask = torch.cat([batch.text_mask, torch.ones_like(batch.codes), torch.ones_like(batch.tail_ids)], dim=1)
    hidden, _ = policy.backbone(embeds, mask, positions_from_mask(mask))  # [B, T, D]
    text_logits = policy.text_logits(hidden[:, :lt - 1])  # [B, Lt − 1, V]: predicts text tokens 1..Lt−1
    image_logits = policy.image_logits(hidden[:, lt - 1:lt - 1 + n])  # [B, N, K]: predicts the codes
    tail_logits = policy.text_logits(hidden[:, lt - 1 + n:lt + n + 1])  # [B, 2, V]: predicts <end_of_image>, EOS
    ce = [F.cross_entropy(logits.float().flatten(0, 1), target.flatten(), reduction="none").view(target.shape)
          for logits, target in ((text_logits, batch.text_ids[:, 1:]), (image_logits, batch.codes),
                                 (tail_logits, batch.tail_ids))]
    return torch.cat(ce, dim=1)  # [B, T − 1]


class TokenLosses(nn.Module):
    """The policy as one module whose forward is the SFT computation, so FSDP2's hooks (which run on `forward`)
    gather the root's parameters; the policy's own methods are called inside it."""

    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self.policy = policy

    def forward(self, batch: Batch) -> torch.Tensor:
        return token_losses(self.policy, batch)  # [B, T − 1]


@dataclass
class LossTerms:
    """One micro-batch's pieces: the weighted CE sum (with gradient) and, per part, the CE sum and token count."""

    weighted: torch.Tensor  # scalar Σ weight · CE
    part_sums: torch.Tensor  # [5] Σ CE per part id (no gradient)
    part_counts: torch.Tensor  # [5] tokens per part id (index NONE unused)

    @property
    def trained(self) -> torch.Tensor:
        return self.part_counts[1:].sum()


def loss_terms(ce: torch.Tensor, parts: torch.Tensor, weights: PartWeights) -> LossTerms:
    """ce, parts: [B, T − 1] (parts = batch.parts[:, 1:])."""
    trained = parts != NONE
    ce = torch.where(trained, ce, torch.zeros_like(ce))  # left pads can hold NaN; never multiply them
    weighted = (weights.table(ce.device)[parts] * ce).sum()
    part_sums = torch.zeros(5, device=ce.device).index_add_(0, parts.flatten(), ce.detach().flatten())  # [5]
    part_counts = torch.bincount(parts.flatten(), minlength=5).float()  # [5]
    return LossTerms(weighted, part_sums, part_counts)


def part_stats(part_sums: torch.Tensor, part_counts: torch.Tensor) -> dict[str, float | None]:
    """Mean CE of each part (None when the part has no token)."""
    return {f"ce_{name}": (part_sums[part] / part_counts[part]).item() if part_counts[part] > 0 else None
            for part, name in PART_NAMES.items()}


def sft_loss(policy: Policy, batch: Batch, weights: PartWeights) -> tuple[torch.Tensor, dict[str, float]]:
    """Σ weight · CE over trained tokens / number of trained tokens (the release's normalisation), and the mean
    CE of each part for logging (one process, one micro-batch)."""
    terms = loss_terms(token_losses(policy, batch), batch.parts[:, 1:], weights)
    loss = terms.weighted / terms.trained.clamp(min=1)
    return loss, {"loss": loss.item(), **part_stats(terms.part_sums, terms.part_counts), "tokens": int(terms.trained)}
