"""Data-parallel training on an existing engine: PyTorch FSDP2 (`fully_shard`) under torchrun.

    torchrun --nproc_per_node 8 -m rgbench train sft -c release      # one process per GPU (NCCL)
    rgbench train sft -c toy                                          # the same code, one process

Each LLaMA decoder layer is its own FSDP unit and the wrapper module the root; the optimiser sees the sharded
parameters. Each rank takes every world-th row of a micro-batch, and the loss is normalised by the trained tokens
of the *global* micro-batch (an all-reduce), so the gradient equals the single-process one for the same global
batch. Checkpoints gather full state dicts (`torch.distributed.checkpoint.state_dict`), so they load into any
world size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


@dataclass
class DistContext:
    rank: int = 0
    world: int = 1
    mesh: Any = None

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def device(self, asked: torch.device) -> torch.device:
        """This process's device: under torchrun on GPUs, the GPU of its local rank."""
        if self.enabled and asked.type == "cuda":
            local = int(os.environ.get("LOCAL_RANK", "0"))
            torch.cuda.set_device(local)
            return torch.device("cuda", local)
        return asked


def init_distributed(device: torch.device) -> DistContext:
    """A process group from torchrun's environment (gloo on CPU, NCCL on GPU), or a single-process context."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistContext()
    from torch.distributed.device_mesh import init_device_mesh

    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return DistContext(dist.get_rank(), dist.get_world_size(), init_device_mesh(device.type, (dist.get_world_size(),)))


def all_reduce_sum(tensor: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    if ctx.enabled:
        tensor = tensor.clone()
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def shard(module: torch.nn.Module, layers: list[torch.nn.Module], ctx: DistContext) -> torch.nn.Module:
    """FSDP2: every decoder layer one unit, then the root (embeddings, heads, aligner) — a no-op on one process."""
    if not ctx.enabled:
        return module
    from torch.distributed.fsdp import fully_shard

    for layer in layers:
        fully_shard(layer, mesh=ctx.mesh)
    fully_shard(module, mesh=ctx.mesh)
    return module


def full_value(tensor: torch.Tensor) -> torch.Tensor:
    """A DTensor's full value (e.g. the clipped gradient norm); a plain tensor as is."""
    return tensor.full_tensor() if hasattr(tensor, "full_tensor") else tensor
