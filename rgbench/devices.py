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
