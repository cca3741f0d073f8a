"""The SFT loop (single process): deterministic batches, AdamW + warmup-cosine, accumulation, clipping, and
checkpoints that resume the loss curve exactly.

Every random choice is a function of (seed, step, micro-batch, row) — which examples, whether the condition is
dropped — so a resumed run draws exactly what an uninterrupted one would. A checkpoint holds the model
(safetensors), the optimiser, the scheduler, torch's RNG states and the step (torch.save, read back with
weights_only=True).
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from rgbench.policy.model import Policy
from rgbench.policy.sampling import seed_from
from rgbench.policy.templates import PromptFormat
from rgbench.train.losses import PartWeights, sft_loss
from rgbench.train.sft_data import SFT_FORMAT, Augmentation, Batch, SFTRecord, collate, encode_example

STATE_FILE = "trainer_state.pt"
MODEL_FILE = "model.safetensors"


@dataclass
class SFTOptions:
    """The release's optimiser and schedule (method.md §2) with the batch sizes as knobs."""

    steps: int = 100
    micro_batch: int = 8
    grad_accum: int = 1
    lr: float = 1e-5
    betas: tuple[float, float] = (0.9, 0.95)
    weight_decay: float = 0.01
    warmup_ratio: float = 0.05
    clip: float = 1.0
    condition_dropout: float = 0.1
    cot: bool = True  # False: plain prompt → image (the base model)
    seed: int = 0
    weights: PartWeights = field(default_factory=PartWeights)
    augmentation: Augmentation = field(default_factory=Augmentation)


def warmup_cosine(step: int, total: int, warmup_ratio: float) -> float:
    """LR multiplier: linear warmup over ceil(ratio · total) steps, then cosine to 0."""
    warmup = math.ceil(warmup_ratio * total)
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


class SFTTrainer:
    def __init__(self, policy: Policy, records: Sequence[SFTRecord], opts: SFTOptions,
                 fmt: PromptFormat = SFT_FORMAT) -> None:
        if not records:
            raise ValueError("no SFT records")
        self.policy, self.records, self.opts, self.fmt = policy.train(), records, opts, fmt
        self.optimizer = torch.optim.AdamW([p for p in policy.parameters() if p.requires_grad], lr=opts.lr,
                                           betas=opts.betas, weight_decay=opts.weight_decay)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: warmup_cosine(s, opts.steps, opts.warmup_ratio))
        self.step = 0
        self._order: tuple[int, list[int]] = (-1, [])  # (epoch, its permutation of the examples)

    def epoch_order(self, epoch: int) -> list[int]:
        """The records' order in one epoch (computed once per epoch, not per row)."""
        if self._order[0] != epoch:
            order = list(range(len(self.records)))
            random.Random(seed_from(self.opts.seed, "order", epoch)).shuffle(order)
            self._order = (epoch, order)
        return self._order[1]

    def micro_batch(self, step: int, micro: int) -> Batch:
        """Rows of one micro-batch: records by a per-epoch permutation; caption style and dropout drawn per row."""
        o = self.opts
        per_step = o.micro_batch * o.grad_accum
        rows = []
        for r in range(o.micro_batch):
            slot = step * per_step + micro * o.micro_batch + r
            epoch, pos = divmod(slot, len(self.records))
            index = self.epoch_order(epoch)[pos]
            example = self.records[index].example(o.augmentation, random.Random(seed_from(o.seed, "prompt", epoch, index)))
            drop = random.Random(seed_from(o.seed, "dropout", step, micro, r)).random() < o.condition_dropout
            rows.append(encode_example(example, self.policy.tokenizer, self.policy.ids, self.fmt, o.cot, drop))
        return collate(rows, self.policy.ids).to(self.policy.device)

    def train_step(self) -> dict[str, float]:
        """One optimiser step over grad_accum micro-batches; returns its metrics."""
        o = self.opts
        self.optimizer.zero_grad(set_to_none=True)
        totals: dict[str, list[float]] = {}
        for micro in range(o.grad_accum):
            loss, stats = sft_loss(self.policy, self.micro_batch(self.step, micro), o.weights)
            (loss / o.grad_accum).backward()  # micro-batch losses are averaged, as the release does
            for k, v in stats.items():  # per-part CE averaged over the micro-batches that have the part
                if v is not None:
                    totals.setdefault(k, []).append(v)
        metrics = {k: (sum(v) if k == "tokens" else sum(v) / len(v)) for k, v in totals.items()}
        grad_norm = torch.nn.utils.clip_grad_norm_(self.policy.parameters(), o.clip)
        self.optimizer.step()
        lr = self.scheduler.get_last_lr()[0]
        self.scheduler.step()
        self.step += 1
        return {"step": self.step, **metrics, "lr": lr, "grad_norm": float(grad_norm)}

    # ------------------------------------------------------------------ checkpoints
    def save(self, folder: str | Path) -> Path:
        from safetensors.torch import save

        from rgbench.results import write_atomic

        folder = Path(folder)
        weights = {k: v.detach().cpu().contiguous() for k, v in self.policy.state_dict().items()}
        write_atomic(folder / MODEL_FILE, save(weights))
        state = {"step": self.step, "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                 "rng_cpu": torch.get_rng_state(),
                 "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}
        buffer = io.BytesIO()
        torch.save(state, buffer)
        write_atomic(folder / STATE_FILE, buffer.getvalue())
        return folder

    def load(self, folder: str | Path) -> None:
        from safetensors.torch import load_file

        folder = Path(folder)
        self.policy.load_state_dict(load_file(str(folder / MODEL_FILE), device=str(self.policy.device)))
        state: dict[str, Any] = torch.load(folder / STATE_FILE, weights_only=True)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng_cpu"])
        if state["rng_cuda"]:
            torch.cuda.set_rng_state_all(state["rng_cuda"])
        self.step = state["step"]
