"""FSDP2 under torchrun: 2 CPU processes (gloo) give the single-process result for the same global batch, and
a distributed checkpoint resumes exactly."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HELPER = Path(__file__).parent / "helpers" / "dist_sft.py"
ROOT = Path(__file__).parent.parent


def run(tmp_path: Path, name: str, processes: int) -> dict:
    out, ckpt = tmp_path / f"{name}.json", tmp_path / f"{name}-ckpt"
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes),
                "--master_port", str(29500 + os.getpid() % 1000)] if processes > 1 else [sys.executable]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([*launcher, str(HELPER), str(out), str(ckpt)], env=env, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


def test_two_gloo_processes_match_one(tmp_path):
    one, two = run(tmp_path, "one", 1), run(tmp_path, "two", 2)
    assert (one["world"], two["world"]) == (1, 2)
    for a, b in zip(one["metrics"], two["metrics"]):
        assert a["tokens"] == b["tokens"]  # the same global batch
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-5)
        assert b["grad_norm"] == pytest.approx(a["grad_norm"], rel=1e-4)
    assert two["lm_head"] == pytest.approx(one["lm_head"], abs=1e-6)
    assert set(one["norms"]) == set(two["norms"])
    assert all(two["norms"][k] == pytest.approx(v, rel=1e-5) for k, v in one["norms"].items())
    # checkpoint after 2 steps + load into another initialisation + step 3 = the straight run
    for result in (one, two):
        assert result["resumed"] == [m["loss"] for m in result["metrics"]]
