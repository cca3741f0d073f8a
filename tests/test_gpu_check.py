"""benchmarks/gpu_check.sh end to end in its smoke mode (tiny shapes, CPU, fp32, gloo): every figure prints its line,
the training figures under torchrun; without CUDA, the GPU mode says why a figure does not run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).parent.parent
SCRIPT = ROOT / "benchmarks" / "gpu_check.sh"
FIGURES = ["generation-sdpa", "generation-flash-attn", "geneval-detector", "geneval-clip", "sft-fsdp2", "grpo-fsdp2"]


def env() -> dict[str, str]:
    return {**os.environ, "RGBENCH_PYTHON": sys.executable, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def test_figure_list_is_the_run_order():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--list"], env=env(),
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == FIGURES


def test_smoke_mode_prints_one_line_per_figure(tmp_path):
    done = subprocess.run([str(SCRIPT), "--smoke"], env={**env(), "GPU_CHECK_LOGS": str(tmp_path)},
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()[1:]  # the first line names the interpreter and the log folder
    assert [line.split(":")[0].split()[0] for line in lines] == FIGURES, done.stdout
    by_name = {line.split()[0].rstrip(":"): line for line in lines}
    for name in ("generation-sdpa", "geneval-detector", "geneval-clip"):
        assert " img/s vs " in by_name[name] and "x);" in by_name[name], by_name[name]
        assert by_name[name].startswith(f"{name} fp32:")  # fp32 on the CPU
    assert "not run: flash-attn runs on CUDA only" in by_name["generation-flash-attn"]
    for name in ("sft-fsdp2", "grpo-fsdp2"):
        assert by_name[name].startswith(f"{name} gloo:") and "params DTensor" in by_name[name], by_name[name]
    assert all(line.endswith(" s]") for line in lines)  # each part's elapsed time


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message printed where there is no CUDA")
def test_gpu_mode_without_cuda_says_why():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "sft-fsdp2"], env=env(),
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "sft-fsdp2: not run: no CUDA device (torch.cuda.is_available() is False); NCCL needs one"
