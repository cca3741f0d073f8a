"""The SFT loop (single process): deterministic batches, AdamW + warmup-cosine, accumulation, clipping, and
checkpoints that resume the loss curve exactly.

Every random choice is a function of (seed, step, micro-batch, row) — which examples, whether the condition is
dropped — so a resumed run draws exactly what an uninterrupted one would. A checkpoint holds the model
(safetensors), the optimiser, the scheduler, torch's RNG states and the step (torch.save, read back with
weights_only=True).
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from rgbench.policy.model import Policy
from rgbench.policy.sampling import seed_from
from rgbench.policy.templates import PromptFormat
from rgbench.train.checkpoint import load_checkpoint, save_checkpoint
from rgbench.train.distributed import DistContext, all_reduce_sum, full_value, shard
from rgbench.train.losses import PartWeights, TokenLosses, loss_terms, part_stats
from rgbench.train.sft_data import (
    DROPOUT_PADS,
    SFT_FORMAT,
    Augmentation,
    Batch,
    SFTRecord,
    collate,
    encode_example,
)
from rgbench.train.topology import sft_split

STATE_FILE = "trainer_state.pt"


@dataclass
class SFTOptions:
    """The release's optimiser and schedule (method.md §2) with the batch sizes as knobs."""

    steps: int = 100
    micro_batch: int = 8  # sequences per forward on each process (the release's micro_batch_size_per_gpu)
    grad_accum: int = 1  # micro-batches per optimiser step on each process; leave at 1 when batch_size is set
    # records per optimiser step over all processes (the release's train_batch_size); the accumulation is then
    # batch_size / (micro_batch × processes). None: micro_batch × grad_accum × processes (rgbench.train.topology)
    batch_size: int | None = None
    lr: float = 1e-5
    betas: tuple[float, float] = (0.9, 0.95)
    weight_decay: float = 0.01
    warmup_ratio: float = 0.05
    clip: float = 1.0
    condition_dropout: float = 0.1
    condition_dropout_pads: str = "masked"  # the release's; "attended": as generation's unconditional row
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


# Janus parts generation training never runs: the understanding tower (SigLIP + aligner) and the VQ model
# (images are tokenized before training; the release encodes with a frozen copy).
FROZEN = ("vision_model", "aligner", "vqmodel")


def freeze_unused(policy: Policy) -> None:
    for name in FROZEN:
        policy.janus.model.get_submodule(name).requires_grad_(False)


class SFTTrainer:
    """SFT on one process or under torchrun (FSDP2): the same code, the same gradients for one global batch."""

    def __init__(self, policy: Policy, records: Sequence[SFTRecord], opts: SFTOptions,
                 fmt: PromptFormat = SFT_FORMAT, ctx: DistContext | None = None,
                 activation_checkpointing: bool = False, autocast: torch.dtype | None = None) -> None:
        if not records:
            raise ValueError("no SFT records")
        self.ctx = ctx or DistContext()
        self.split = sft_split(opts, self.ctx.world)
        if opts.condition_dropout_pads not in DROPOUT_PADS:
            raise ValueError(f"condition_dropout_pads must be one of {DROPOUT_PADS}, not {opts.condition_dropout_pads!r}")
        self.policy, self.records, self.opts, self.fmt = policy.train(), records, opts, fmt
        freeze_unused(policy)
        if activation_checkpointing:
            policy.janus.gradient_checkpointing_enable()
        self.model = shard(TokenLosses(policy), list(policy.janus.model.language_model.layers), self.ctx)
        self.optimizer = torch.optim.AdamW([p for p in self.model.parameters() if p.requires_grad], lr=opts.lr,
                                           betas=opts.betas, weight_decay=opts.weight_decay)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: warmup_cosine(s, opts.steps, opts.warmup_ratio))
        self.autocast = autocast  # e.g. bf16 on GPU; weights and optimiser stay fp32
        self.step = 0
        self._order: tuple[int, list[int]] = (-1, [])  # (epoch, its permutation of the records)

    def epoch_order(self, epoch: int) -> list[int]:
        """The records' order in one epoch (computed once per epoch, not per row)."""
        if self._order[0] != epoch:
            order = list(range(len(self.records)))
            random.Random(seed_from(self.opts.seed, "order", epoch)).shuffle(order)
            self._order = (epoch, order)
        return self._order[1]

    def micro_batch(self, step: int, micro: int) -> Batch:
        """This process's rows of one global micro-batch (every world-th row from its rank): records by a
        per-epoch permutation; caption style and condition dropout drawn per row."""
        o, split = self.opts, self.split
        rows = []
        for r in range(self.ctx.rank, split.global_micro, self.ctx.world):
            slot = step * split.batch_size + micro * split.global_micro + r
            epoch, pos = divmod(slot, len(self.records))
            index = self.epoch_order(epoch)[pos]
            example = self.records[index].example(o.augmentation, random.Random(seed_from(o.seed, "prompt", epoch, index)))
            drop = random.Random(seed_from(o.seed, "dropout", step, micro, r)).random() < o.condition_dropout
            rows.append(encode_example(example, self.policy.tokenizer, self.policy.ids, self.fmt, o.cot, drop,
                                       o.condition_dropout_pads))
        return collate(rows, self.policy.ids).to(self.policy.device)

    def train_step(self) -> dict[str, float]:
        """One optimiser step over the split's micro-batches; returns its metrics (over the global batch)."""
        o, accum = self.opts, self.split.grad_accum
        self.optimizer.zero_grad(set_to_none=True)
        sums = torch.zeros(5, device=self.policy.device)
        counts = torch.zeros(5, device=self.policy.device)
        losses = []
        for micro in range(accum):
            batch = self.micro_batch(self.step, micro)
            with self._precision():
                ce = self.model(batch)  # [B, T − 1], fp32 (the CE upcasts its logits)
            terms = loss_terms(ce, batch.parts[:, 1:], o.weights)
            reduced = all_reduce_sum(torch.cat([terms.part_sums, terms.part_counts, terms.weighted.detach()[None]]),
                                     self.ctx)  # [11]: the global micro-batch's CE sums, counts, weighted sum
            trained = reduced[6:10].sum().clamp(min=1)
            # × world: FSDP averages gradients over ranks, so each rank's share of Σ/N_global is scaled back up
            (terms.weighted * self.ctx.world / trained / accum).backward()
            losses.append((reduced[10] / trained).item())  # micro-batch losses are averaged, as the release does
            sums += reduced[:5]
            counts += reduced[5:10]
        grad_norm = full_value(torch.nn.utils.clip_grad_norm_(
            [p for p in self.model.parameters() if p.requires_grad], o.clip))
        self.optimizer.step()
        lr = self.scheduler.get_last_lr()[0]
        self.scheduler.step()
        self.step += 1
        return {"step": self.step, "loss": sum(losses) / len(losses), **part_stats(sums, counts),
                "tokens": int(counts[1:].sum()), "lr": lr, "grad_norm": float(grad_norm)}

    def _precision(self) -> contextlib.AbstractContextManager:
        if self.autocast is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.policy.device.type, dtype=self.autocast)

    # ------------------------------------------------------------------ checkpoints
    def save(self, folder: str | Path) -> Path:
        """Full (gathered) model and optimiser states, written by rank 0; every rank must call it."""
        return save_checkpoint(self.model, self.optimizer, folder, STATE_FILE,
                               {"step": self.step, "scheduler": self.scheduler.state_dict()}, self.ctx)

    def load(self, folder: str | Path) -> None:
        state = load_checkpoint(self.model, self.optimizer, folder, STATE_FILE)
        self.scheduler.load_state_dict(state["scheduler"])
        self.step = state["step"]

    def export_state(self) -> dict[str, torch.Tensor]:
        """The policy's full state dict (gathered; on rank 0 only under FSDP), keyed as `policy.state_dict()`."""
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

        weights = get_model_state_dict(self.model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
        return {k.removeprefix("policy."): v for k, v in weights.items()}
