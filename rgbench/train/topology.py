"""How a training config's batch sizes split over processes (`torchrun --nproc-per-node N`), as the release means them.

The release sizes its steps globally and its micro-batches per GPU: SFT `data.train_batch_size=128` with
`micro_batch_size_per_gpu=4` on 4 GPUs (accumulation 128 / (4·4) = 8); GRPO `ppo_mini_batch_size=16` prompts
(× 8 samples = 128 sequences) with `ppo_micro_batch_size_per_gpu=2` on 8 GPUs (128 / 8 / 2 = 8 micro-batches per
GPU per mini-batch, one α step each). rgbench's `micro_batch` is likewise sequences per forward **on each
process**; step, mini-batch and (SFT) `batch_size` are global, so a preset trains the same global batches at any
process count that splits them. Rows of a global micro-batch (micro_batch × processes sequences) are dealt to the
ranks in turn, and the loss is normalised over the whole global micro-batch (`rgbench.train.distributed`).

The checks are pure functions of the options and the process count, so a config can be checked for a topology
without building a model (`rgbench reproduce --check`, the shipped-preset tests); the trainers call the same
functions. Each error names the config field and a fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class SFTOptions(Protocol):
    """The batch fields of rgbench.train.sft.SFTOptions."""

    micro_batch: int
    grad_accum: int
    batch_size: int | None


class GRPOOptions(Protocol):
    """The batch fields of rgbench.train.grpo.GRPOOptions."""

    prompts_per_step: int
    samples_per_prompt: int
    mini_batch_prompts: int
    micro_batch: int


class TopologyError(ValueError):
    """Batch sizes that do not split over the processes; the message names the fields and a fix."""


@dataclass(frozen=True)
class SFTSplit:
    processes: int
    micro_batch: int  # sequences per forward on each process
    grad_accum: int  # micro-batches per optimiser step on each process
    global_micro: int  # sequences per micro-batch over all processes
    batch_size: int  # records per optimiser step over all processes


@dataclass(frozen=True)
class GRPOSplit:
    processes: int
    micro_batch: int  # sequences per forward on each process
    mini_batch_sequences: int  # sequences per optimiser step over all processes
    micro_batches: int  # micro-batches per mini-batch on each process (= α steps per rank per mini-batch)
    global_micro: int  # sequences per micro-batch over all processes


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _positive(field: str, value: int) -> None:
    if value < 1:
        raise TopologyError(f"{field} must be ≥ 1, got {value}")


def sft_split(opts: SFTOptions, processes: int = 1) -> SFTSplit:
    """SFT batch sizes on `processes` processes: `batch_size` (global) fixes the accumulation, or `grad_accum`
    (per process) does when `batch_size` is unset."""
    _positive("processes", processes)
    _positive("train.micro_batch", opts.micro_batch)
    _positive("train.grad_accum", opts.grad_accum)
    per_forward = opts.micro_batch * processes
    if opts.batch_size is None:
        return SFTSplit(processes, opts.micro_batch, opts.grad_accum, per_forward, per_forward * opts.grad_accum)
    _positive("train.batch_size", opts.batch_size)
    if opts.grad_accum != 1:
        raise TopologyError(f"set train.batch_size ({opts.batch_size}, global) or train.grad_accum "
                            f"({opts.grad_accum}, per process), not both: with batch_size the accumulation is "
                            f"batch_size / (micro_batch × processes)")
    if opts.batch_size % per_forward:
        raise TopologyError(
            f"train.batch_size {opts.batch_size} does not split into micro-batches of train.micro_batch "
            f"{opts.micro_batch} on each of {processes} processes ({opts.micro_batch} × {processes} = {per_forward} "
            f"sequences per forward); {_sft_fix(opts.batch_size, opts.micro_batch, processes)}")
    return SFTSplit(processes, opts.micro_batch, opts.batch_size // per_forward, per_forward, opts.batch_size)


def _sft_fix(batch: int, micro: int, processes: int) -> str:
    fixes = []
    if batch % micro == 0:
        fixes.append(f"run on a process count dividing {batch // micro} ({_listing(_divisors(batch // micro))})")
    if batch % processes == 0:
        micros = [d for d in _divisors(batch // processes) if d <= max(micro, 1) * 4]
        fixes.append(f"set train.micro_batch to a divisor of {batch // processes} ({_listing(micros)})")
    return " or ".join(fixes) or f"choose a train.batch_size that is a multiple of {micro * processes}"


def grpo_split(opts: GRPOOptions, processes: int = 1) -> GRPOSplit:
    """GRPO batch sizes on `processes` processes: each mini-batch's sequences split evenly over the processes and
    then into per-process micro-batches (verl asserts the same for its actor)."""
    _positive("processes", processes)
    _positive("train.micro_batch", opts.micro_batch)
    _positive("train.mini_batch_prompts", opts.mini_batch_prompts)
    if opts.prompts_per_step % opts.mini_batch_prompts:
        raise TopologyError(f"train.prompts_per_step {opts.prompts_per_step} must be a multiple of "
                            f"train.mini_batch_prompts {opts.mini_batch_prompts}")
    sequences = opts.mini_batch_prompts * opts.samples_per_prompt
    what = (f"a mini-batch of train.mini_batch_prompts {opts.mini_batch_prompts} × train.samples_per_prompt "
            f"{opts.samples_per_prompt} = {sequences} sequences")
    if sequences % processes:
        counts = _listing(_divisors(sequences))
        raise TopologyError(f"{what} does not split over {processes} processes; run on a process count dividing "
                            f"{sequences} ({counts})")
    share = sequences // processes
    if share % opts.micro_batch:
        micros = _listing(_divisors(share))
        raise TopologyError(f"{what} gives each of {processes} processes {share}, which train.micro_batch "
                            f"{opts.micro_batch} (per process) does not divide; set train.micro_batch to one of "
                            f"{micros}")
    return GRPOSplit(processes, opts.micro_batch, sequences, share // opts.micro_batch, opts.micro_batch * processes)


def _listing(values: list[int]) -> str:
    return ", ".join(str(v) for v in values)
