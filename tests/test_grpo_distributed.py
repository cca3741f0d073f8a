"""GRPO under torchrun: 2 CPU processes (gloo, FSDP2) give the single-process step for the same global batch —
the same rollouts and rewards, the same losses, entropies, synchronised α and weights — and a distributed
checkpoint resumes exactly."""

from pathlib import Path

import pytest
from helpers.launch import run_helper

HELPER = Path(__file__).parent / "helpers" / "dist_grpo.py"


def test_two_gloo_processes_match_one(tmp_path):
    one, two = run_helper(HELPER, tmp_path, "one", 1), run_helper(HELPER, tmp_path, "two", 2, port_offset=100)
    assert (one["world"], two["world"]) == (1, 2)
    exact = ("reward_mean", "reward_std", "kept_groups", "generated_groups", "generation_batches", "cot_tokens")
    close = ("pg_loss", "h_text", "h_image", "alpha_text", "alpha_image", "grad_norm", "clip_fraction")
    for a, b in zip(one["metrics"], two["metrics"]):
        assert {k: a[k] for k in exact} == {k: b[k] for k in exact}  # identical rollouts, whoever generates them
        for k in close:
            assert b[k] == pytest.approx(a[k], rel=1e-4, abs=1e-7), k
    assert two["lm_head"] == pytest.approx(one["lm_head"], abs=1e-6)
    assert all(two["norms"][k] == pytest.approx(v, rel=1e-5) for k, v in one["norms"].items())
    for result in (one, two):  # 1 step + checkpoint + load into another initialisation + 1 step = the straight run
        for k, v in result["metrics"][1].items():
            assert result["resumed"][k] == (v if v is None else pytest.approx(v, rel=1e-6, abs=1e-9)), k


def test_bf16_sampler_copy_under_fsdp_refreshes_from_fp32_weights(tmp_path):
    """With bf16 autocast the ranks' sampling copies are held in bf16 (half the memory), refreshed after the
    update from the gathered fp32 weights; the exported model is those fp32 weights, not the bf16 copy."""
    import math

    two = run_helper(Path(__file__).parent / "helpers" / "dist_grpo_bf16.py", tmp_path, "bf16", 2, port_offset=300)
    assert two["world"] == 2 and two["sampler_dtypes"] == ["torch.bfloat16"]
    assert two["export_dtype"] == "torch.float32" and two["sampler_is_bf16_of_export"]
    assert all(math.isfinite(v) for v in two["metrics"].values()) and two["metrics"]["grad_norm"] > 0
