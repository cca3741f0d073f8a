"""FSDP2 under torchrun: 2 CPU processes (gloo) give the single-process result for the same global batch, and
a distributed checkpoint resumes exactly."""

from pathlib import Path

import pytest
from helpers.launch import run_helper

HELPER = Path(__file__).parent / "helpers" / "dist_sft.py"


def run(tmp_path: Path, name: str, processes: int) -> dict:
    return run_helper(HELPER, tmp_path, name, processes)


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
