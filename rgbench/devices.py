"""Which device a command runs on: the one asked for, else the GPU when there is one, else the CPU."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    import torch

    if device is not None and str(device) != "":
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def autocast_for(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of a training run's `precision`: "bf16", or "auto" on a GPU, gives bf16 (weights and
    optimiser stay fp32); "fp32", or "auto" on a CPU (bf16 matmuls there are ~10x slower), gives none."""
    import torch

    if precision == "bf16" or (precision == "auto" and device.type == "cuda"):
        return torch.bfloat16
    return None
