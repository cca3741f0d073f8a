"""Training-side scoring: per-token log-probs and entropies of (context, response text, image tokens) rows.

A row's sequence is context + response text (CoT + <begin_of_image>, empty in no-CoT mode) + N image codes.
One forward pass scores every response token: text tokens with the text head, image codes with the generation
head. With `cfg_weight != 1` image logits are guided exactly as in sampling (u + w·(c − u)), the unconditional
rows seeing only BOS and <begin_of_image>. `clamp` reproduces the RL actor's clamp of logits to [−30, 30].
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from rgbench.policy.generate import left_pad, positions_from_mask, unconditional
from rgbench.policy.model import Policy


@dataclass
class SequenceScores:
    """Per response slot: Tr text slots (right-aligned, masked per row) then N image slots; shapes [R, Tr + N]."""

    logprobs: torch.Tensor  # log-prob of the token in each slot
    entropy: torch.Tensor  # entropy (nats) of the distribution at each slot
    text_mask: torch.Tensor  # bool: slot holds a response text token (CoT or <begin_of_image>)
    image_mask: torch.Tensor  # bool: slot holds an image code

    @property
    def mask(self) -> torch.Tensor:
        return self.text_mask | self.image_mask


def _scores(logits: torch.Tensor, targets: torch.Tensor, temperature: float, clamp: float | None):
    """logits [R, T, V], targets [R, T] → (log-probs [R, T], entropies [R, T]) in fp32."""
    z = logits.float() / temperature
    if clamp is not None:
        z = z.clamp(-clamp, clamp)
    logp = torch.log_softmax(z, dim=-1)  # [R, T, V]
    entropy = -(logp.exp() * logp).sum(-1)  # [R, T]
    return logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1), entropy


def sequence_logprobs(policy: Policy, context_ids: list[list[int]], response_text_ids: list[list[int]],
                      image_ids: torch.Tensor, cfg_weight: float = 1.0, text_temperature: float = 1.0,
                      image_temperature: float = 1.0, clamp: float | None = None) -> SequenceScores:
    """Score rows as `generate` produced them (gradients flow; call under no_grad when not training)."""
    rows, n = image_ids.shape
    pad = policy.ids.pad
    text_seqs = [c + r for c, r in zip(context_ids, response_text_ids)]
    ids, mask = left_pad(text_seqs, pad, policy.device)  # [R, Lt], each row ends with <begin_of_image>
    image_ids = image_ids.to(policy.device)
    guided = cfg_weight != 1.0
    if guided:
        ids = torch.cat([ids, unconditional(ids, mask, pad)])  # [2R, Lt]
        mask = torch.cat([mask, mask])
    codes = torch.cat([image_ids, image_ids]) if guided else image_ids  # [R or 2R, N]
    cells = torch.arange(n - 1, device=policy.device)
    embeds = torch.cat([policy.embed_text(ids), policy.embed_image(codes[:, :-1], cells)], dim=1)  # [*, Lt+N-1, D]
    full_mask = torch.cat([mask, torch.ones_like(codes[:, :-1])], dim=1)
    hidden, _ = policy.backbone(embeds, full_mask, positions_from_mask(full_mask))  # [*, Lt+N-1, D]
    lt = ids.shape[1]

    image_logits = policy.image_logits(hidden[:, lt - 1:])  # [*, N, K]
    if guided:
        cond, uncond = image_logits[:rows], image_logits[rows:]
        image_logits = uncond + cfg_weight * (cond - uncond)  # [R, N, K]
    image_lp, image_h = _scores(image_logits, image_ids, image_temperature, clamp)

    tr = max(len(r) for r in response_text_ids)
    text_lp = torch.zeros((rows, tr), device=policy.device)
    text_h = torch.zeros((rows, tr), device=policy.device)
    lengths = torch.tensor([len(r) for r in response_text_ids], device=policy.device)
    text_mask = torch.arange(tr, device=policy.device)[None, :] >= (tr - lengths)[:, None]  # [R, Tr]
    if tr:
        text_logits = policy.text_logits(hidden[:rows, lt - 1 - tr:lt - 1])  # [R, Tr, V]
        text_lp, text_h = _scores(text_logits, ids[:rows, lt - tr:], text_temperature, clamp)
    image_mask = torch.ones((rows, n), dtype=torch.bool, device=policy.device)
    return SequenceScores(
        logprobs=torch.cat([text_lp, image_lp], dim=1),
        entropy=torch.cat([text_h, image_h], dim=1),
        text_mask=torch.cat([text_mask, torch.zeros_like(image_mask)], dim=1),
        image_mask=torch.cat([torch.zeros_like(text_mask), image_mask], dim=1),
    )
