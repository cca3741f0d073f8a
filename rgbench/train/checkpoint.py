"""Training checkpoints shared by the SFT and GRPO loops: gathered full model weights (safetensors) plus one
`torch.save` file holding the optimiser, torch's RNG states and the loop's own state (read back with
weights_only=True). Full states load into any world size; every rank must call both functions (they gather).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from rgbench.train.distributed import DistContext

MODEL_FILE = "model.safetensors"


def save_checkpoint(model: torch.nn.Module, optimizer: torch.optim.Optimizer, folder: str | Path, state_file: str,
                    extra: dict[str, Any], ctx: DistContext) -> Path:
    """Write `folder/model.safetensors` and `folder/<state_file>` (rank 0), after gathering on every rank."""
    from safetensors.torch import save
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions,
        get_model_state_dict,
        get_optimizer_state_dict,
    )

    from rgbench.results import write_atomic

    full = StateDictOptions(full_state_dict=True, cpu_offload=True)
    weights = get_model_state_dict(model, options=full)
    optim = get_optimizer_state_dict(model, optimizer, options=full)
    folder = Path(folder)
    if ctx.is_main:
        write_atomic(folder / MODEL_FILE, save({k: v.contiguous() for k, v in weights.items()}))
        state = {**extra, "optimizer": optim, "rng_cpu": torch.get_rng_state(),
                 "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}
        buffer = io.BytesIO()
        torch.save(state, buffer)
        write_atomic(folder / state_file, buffer.getvalue())
    ctx.barrier()
    return folder


def load_checkpoint(model: torch.nn.Module, optimizer: torch.optim.Optimizer, folder: str | Path,
                    state_file: str) -> dict[str, Any]:
    """Restore model, optimiser and RNG states; returns the loop's own entries of the state file."""
    from safetensors.torch import load_file
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions,
        set_model_state_dict,
        set_optimizer_state_dict,
    )

    folder = Path(folder)
    full = StateDictOptions(full_state_dict=True)
    set_model_state_dict(model, load_file(str(folder / MODEL_FILE)), options=full)
    state: dict[str, Any] = torch.load(folder / state_file, weights_only=True)
    set_optimizer_state_dict(model, optimizer, state.pop("optimizer"), options=full)
    torch.set_rng_state(state.pop("rng_cpu"))
    cuda = state.pop("rng_cuda", [])
    if cuda:
        torch.cuda.set_rng_state_all(cuda)
    return state


def stop_at(step: int, steps: int, stop_after: int | None) -> int:
    """The step a training loop stops at now: the end, or `stop_after` steps past where it resumed."""
    if stop_after is not None and stop_after < 1:
        raise ValueError(f"--stop-after must be ≥ 1, got {stop_after}")
    return steps if stop_after is None else min(steps, step + stop_after)


def paused(trainer: Any, checkpoint: Path, steps: int, save_every: int) -> dict[str, Any]:
    """A run stopped early by --stop-after: its checkpoint holds the last step (every rank joins the save)."""
    if trainer.step % save_every:
        trainer.save(checkpoint)
    return {"paused": True, "steps": trainer.step, "of": steps, "checkpoint": str(checkpoint)}


def export_policy(trainer: Any, model: str, ctx: DistContext, folder: Path) -> None:
    """Write a trainer's policy (fp32) as a folder `load_policy` reads; `model` names how it was opened (under
    FSDP the gathered weights go into a fresh copy of it, written by rank 0; every rank must call this)."""
    from transformers.utils import logging as hf_logging

    from rgbench.policy.zoo import open_policy

    hf_logging.disable_progress_bar()  # the policy's own bar said enough
    if not ctx.enabled:
        trainer.policy.eval().save(folder)
        return
    state = trainer.export_state()  # every rank joins the gather; rank 0 gets the values
    if ctx.is_main:
        plain = open_policy(model, device="cpu", dtype="fp32")
        plain.load_state_dict(state)
        plain.save(folder)
    ctx.barrier()
