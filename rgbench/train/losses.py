"""Training losses as functions of a policy and a batch (shapes in comments; no optimiser, no loop)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

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


def sft_loss(policy: Policy, batch: Batch, weights: PartWeights) -> tuple[torch.Tensor, dict[str, float]]:
    """Σ weight · CE over trained tokens / number of trained tokens (the release's normalisation), and the mean
    CE of each part for logging."""
    ce = token_losses(policy, batch)  # [B, T − 1]
    parts = batch.parts[:, 1:]  # [B, T − 1]
    trained = parts != NONE
    ce = torch.where(trained, ce, torch.zeros_like(ce))  # left pads can hold NaN; never multiply them
    loss = (weights.table(ce.device)[parts] * ce).sum() / trained.sum().clamp(min=1)
    stats = {name: (ce[parts == part].mean().item() if (parts == part).any() else None)  # None: no such token
             for part, name in PART_NAMES.items()}
    return loss, {"loss": loss.item(), **{f"ce_{k}": v for k, v in stats.items()}, "tokens": int(trained.sum())}
