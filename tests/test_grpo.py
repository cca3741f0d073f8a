"""The GRPO loop on the toy policy: phases, the group filter with refill, masks, KL, leakage warnings, and
`rgbench train grpo` end to end with exact resume."""

from __future__ import annotations

import hashlib
import math

import pytest
import torch

from rgbench.policy.generate import GenerationOptions
from rgbench.results import read_json, read_jsonl
from rgbench.toy.policy import build_toy_policy
from rgbench.train import grpo
from rgbench.train.grpo import (
    AdaptiveEntropyOptions,
    EntropyOptions,
    FilterExhausted,
    GRPOOptions,
    GRPOTrainer,
)
from rgbench.train.judges import Verdict
from rgbench.train.leakage import leakage_warnings
from tests.helpers.cli import invoke

PROMPTS = [(f"p{i}", text) for i, text in enumerate(
    ["a red circle", "two squares", "a blue triangle above a green cross", "a white ring", "three diamonds",
     "a black square left of a pink circle"])]


class CoinJudge:
    """Reward 1 or 0 from the image bytes: varies within a group, so groups are informative."""

    name = "coin"

    def judge(self, prompts, images):
        return [Verdict(float(hashlib.sha256(im.tobytes()).digest()[0] % 2), "coin") for im in images]


class ConstantJudge:
    name = "constant"

    def judge(self, prompts, images):
        return [Verdict(1.0, "\\boxed{1}") for _ in images]


class FirstOnlyJudge:
    """Reward 1 for the first image of each call, 0 for the rest: of a generation batch's groups only the first
    varies, so one group is kept per batch."""

    name = "first-only"

    def judge(self, prompts, images):
        return [Verdict(float(i == 0), "first") for i in range(len(images))]


def options(**kw) -> GRPOOptions:
    base = dict(steps=2, prompts_per_step=2, samples_per_prompt=4, mini_batch_prompts=1, micro_batch=4, lr=1e-3,
                max_generation_batches=3, generation=GenerationOptions(cot=True, cfg_weight=1.0, max_cot_tokens=6),
                entropy=EntropyOptions("adaptive", adaptive=AdaptiveEntropyOptions(0.5, 1.0)))
    base.update(kw)
    return GRPOOptions(**base)


def weights(policy) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in policy.parameters() if p.requires_grad])


def test_one_step_collects_updates_and_reports():
    policy = build_toy_policy()
    trainer = GRPOTrainer(policy, PROMPTS, CoinJudge(), options())
    before = weights(policy)
    row, collected = trainer.train_step()
    assert row["kept_groups"] == 2 and all(len(g.rewards) == 4 for g in collected.groups)
    kept = collected.kept
    for g in kept:  # group-normalised: mean 0 within each kept group
        assert abs(sum(g.advantages)) < 1e-5 and len(set(g.rewards)) > 1
    assert row["h_text"] > 0 and row["h_image"] > 0 and row["alpha_text"] != 0 and row["alpha_image"] != 0
    assert 0 <= row["clip_fraction"] <= 1 and row["grad_norm"] > 0 and row["kl"] is None
    assert row["short_step"] is False
    assert not torch.equal(before, weights(policy))  # two optimiser steps (mini-batches of one prompt)


def test_an_exhausted_filter_stops_the_run_by_default_as_verl():
    trainer = GRPOTrainer(build_toy_policy(), PROMPTS, ConstantJudge(), options())
    with pytest.raises(FilterExhausted, match=r"step 1: .* kept 0 of the 2 .* after 3 generation batches "
                       r"\(train.max_generation_batches=3\).*train.on_filter_exhausted=train_on_kept"):
        trainer.train_step()
    partial = GRPOTrainer(build_toy_policy(), PROMPTS, FirstOnlyJudge(), options(max_generation_batches=1))
    with pytest.raises(FilterExhausted, match="kept 1 of the 2 .* after 1 generation batches"):
        partial.collect()
    with pytest.raises(ValueError, match="on_filter_exhausted 'train-on-kept' is not one of"):
        GRPOTrainer(build_toy_policy(), PROMPTS, CoinJudge(), options(on_filter_exhausted="train-on-kept"))


def test_train_on_kept_trains_on_fewer_groups_and_marks_the_step_short():
    policy = build_toy_policy()
    trainer = GRPOTrainer(policy, PROMPTS, FirstOnlyJudge(),
                          options(max_generation_batches=1, on_filter_exhausted="train_on_kept"))
    before = weights(policy)
    row, collected = trainer.train_step()
    assert row["kept_groups"] == 1 and row["generated_groups"] == 2 and row["short_step"] is True
    assert collected.kept[0].rewards == [1.0, 0.0, 0.0, 0.0] and row["pg_loss"] is not None
    assert not torch.equal(before, weights(policy))  # one mini-batch of the one kept group


def test_constant_rewards_are_all_filtered_and_nothing_is_updated():
    policy = build_toy_policy()
    trainer = GRPOTrainer(policy, PROMPTS, ConstantJudge(), options(on_filter_exhausted="train_on_kept"))
    before = weights(policy)
    row, collected = trainer.train_step()
    assert row["kept_groups"] == 0 and row["generation_batches"] == 3 and row["short_step"]  # the bound on refills
    # refill sizes: 2 prompts, then min(max(world 1, 2^(bit_length(2)+1) = 8), prompts_per_step 2) = 2
    assert len(collected.groups) == 6 and row["pg_loss"] is None
    assert torch.equal(before, weights(policy))
    unfiltered = GRPOTrainer(build_toy_policy(), PROMPTS, ConstantJudge(), options(filter_groups=False))
    row, _ = unfiltered.train_step()
    assert row["kept_groups"] == 2 and row["generation_batches"] == 1
    assert row["pg_loss"] == pytest.approx(0.0, abs=1e-7)  # zero advantages: no policy-gradient signal


def test_logged_clip_stats_average_the_micro_batches(monkeypatch):
    """clip_fraction / approx_kl are means of per-micro-batch token means (verl); the _pooled fields pool tokens."""
    seen = []

    def recording(*args, **kw):
        terms = grpo_ppo_clip_terms(*args, **kw)
        seen.append(terms.counts.clone())
        return terms

    grpo_ppo_clip_terms = grpo.ppo_clip_terms
    monkeypatch.setattr(grpo, "ppo_clip_terms", recording)
    trainer = GRPOTrainer(build_toy_policy(), PROMPTS, CoinJudge(), options(micro_batch=2))
    row, _ = trainer.train_step()
    assert len(seen) == 4  # 2 mini-batches of one group × 2 micro-batches of 2 sequences
    n = [float(c[3]) for c in seen]  # trained tokens per micro-batch
    per_micro_kl = [float(c[2]) / k for c, k in zip(seen, n)]
    assert row["approx_kl"] == pytest.approx(sum(per_micro_kl) / 4)
    assert row["approx_kl_pooled"] == pytest.approx(sum(float(c[2]) for c in seen) / sum(n))
    assert row["clip_fraction"] == pytest.approx(sum(float(c[0]) / k for c, k in zip(seen, n)) / 4)
    assert row["clip_fraction_pooled"] == pytest.approx(sum(float(c[0]) for c in seen) / sum(n))
    assert len(set(n)) > 1 and row["approx_kl"] != pytest.approx(row["approx_kl_pooled"])  # the two differ here


def test_alpha_text_steps_on_micro_batches_without_text_tokens():
    """No CoT (image-only GRPO): no text slot is trained, verl's masked mean gives H_text = 0 and α_text still takes
    its Adam step each micro-batch: target 0.5 above 0 → two steps of lr = 5e-5 down, α_text = sinh(−1e-4)."""
    trainer = GRPOTrainer(build_toy_policy(), PROMPTS, CoinJudge(),
                          options(generation=GenerationOptions(cot=False, cfg_weight=1.0),
                                  on_filter_exhausted="train_on_kept"))
    row, collected = trainer.train_step()
    assert row["kept_groups"] == 2 and all(r == [] for g in collected.kept for r in g.response_text_ids)
    assert row["h_text"] is None and row["h_image"] > 0
    assert row["alpha_text"] == pytest.approx(math.sinh(-1e-4), rel=1e-6)  # 2 mini-batches × 1 micro-batch


def test_begin_of_image_can_be_left_out_of_the_loss():
    trainer = GRPOTrainer(build_toy_policy(), PROMPTS, CoinJudge(), options(include_begin_of_image=False))
    collected = trainer.collect()
    scores = trainer._score([(collected.groups[0], k) for k in range(4)], with_grad=False)
    mask = trainer._trained_text(scores)
    n_image = int(scores.image_mask[0].sum())
    boi_col = scores.text_mask.shape[1] - n_image - 1
    assert scores.text_mask[:, boi_col].all() and not mask[:, boi_col].any()
    assert (mask.sum(1) == scores.text_mask.sum(1) - 1).all()


def test_kl_to_the_reference_starts_at_zero():
    trainer = GRPOTrainer(build_toy_policy(), PROMPTS, CoinJudge(), options(kl_coef=0.1, mini_batch_prompts=2))
    row, _ = trainer.train_step()
    assert row["kl"] == pytest.approx(0.0, abs=1e-6)  # one mini-batch: the first update is on-policy


def test_leakage_warnings_name_the_overlap_and_the_shared_judge():
    from rgbench.prompt_sets import load_prompt_set

    evaluation = load_prompt_set("toy-geneval").items[0].prompt
    warnings = leakage_warnings([evaluation, "something else entirely"], ["toy-large"])
    assert any("1 of the toy-geneval evaluation prompts" in w for w in warnings)
    assert any("reward 'toy-large' is also an evaluation judge" in w for w in warnings)
    assert leakage_warnings(["no such prompt anywhere"], ["qwen_vl"]) == []


GRPO_ARGS = ["--quiet", "train", "grpo", "-c", "toy", "--set", "model=toy-init", "--set", "prompt_limit=40",
             "--set", "train.prompts_per_step=2", "--set", "train.samples_per_prompt=4",
             "--set", "train.mini_batch_prompts=1", "--set", "train.micro_batch=4",
             "--set", "train.max_generation_batches=2", "--set", "train.generation.max_cot_tokens=6",
             "--set", "rewards=[{name: toy-small}]", "--set", "eval_every=2", "--set", "eval_limit=3",
             "--set", "save_every=1", "--run-id", "g"]


def test_train_grpo_cli_logs_and_resumes_exactly(tmp_path):
    whole = invoke([*GRPO_ARGS, "--set", "train.steps=2", "--results", str(tmp_path / "a")])
    assert whole.exit_code == 0, whole.output
    run = tmp_path / "a" / "g"
    metrics = read_jsonl(run / "metrics.jsonl")
    assert [m["step"] for m in metrics] == [1, 2]
    assert {"reward_mean", "reward_std", "accuracy", "kept_groups", "h_text", "h_image", "alpha_text",
            "alpha_image", "clip_fraction", "seconds_rollout", "seconds_reward", "seconds_update"} <= set(metrics[0])
    rollouts = read_jsonl(run / "rollouts" / "step_00001.jsonl")
    assert {"prompt", "cot", "reward", "advantage", "kept"} <= set(rollouts[0])
    assert [v["step"] for v in read_jsonl(run / "validation.jsonl")] == [0, 2]
    summary = read_json(run / "summary.json")
    assert any("toy-small" in w for w in summary["warnings"]) and (run / "model" / "config.json").is_file()

    again = invoke([*GRPO_ARGS, "--set", "train.steps=2", "--results", str(tmp_path / "a")])
    assert again.exit_code == 0 and len(read_jsonl(run / "metrics.jsonl")) == 2  # finished: resumes, adds nothing


TIMING = {"seconds_rollout", "seconds_reward", "seconds_update"}


def test_resume_continues_exactly(tmp_path):
    def fresh() -> GRPOTrainer:
        return GRPOTrainer(build_toy_policy(), PROMPTS, CoinJudge(), options(entropy=EntropyOptions("adaptive")))

    straight = fresh()
    rows = [straight.train_step()[0] for _ in range(2)]
    first = fresh()
    first.train_step()
    first.save(tmp_path / "ckpt")
    resumed = fresh()
    resumed.load(tmp_path / "ckpt")
    row, _ = resumed.train_step()
    assert {k: v for k, v in row.items() if k not in TIMING} == {k: v for k, v in rows[1].items() if k not in TIMING}
    assert torch.equal(weights(resumed.policy), weights(straight.policy))


def test_prompt_sources(tmp_path):
    from rgbench.train.grpo_run import load_prompts

    some = load_prompts("toy:position,colors")
    assert some and len(some) < len(load_prompts("toy"))
    with pytest.raises(ValueError, match="no toy training prompts of task"):
        load_prompts("toy:positon")
    (tmp_path / "p.txt").write_text("a dog\n\na cat\n")
    assert load_prompts(str(tmp_path / "p.txt")) == [("0", "a dog"), ("2", "a cat")]
    (tmp_path / "p.jsonl").write_text('{"id": "x", "prompt": "a dog"}\n{"text": "no prompt"}\n')
    with pytest.raises(ValueError, match="needs a 'prompt' field"):
        load_prompts(str(tmp_path / "p.jsonl"))


def test_bf16_autocast_scores_old_and_new_log_probs_alike():
    """precision bf16 (the GPU default) runs rollouts and every scoring pass under autocast: the first, on-policy
    mini-batch's old and new log-probs come from the same path (approx KL exactly 0), and the losses move off the
    fp32 ones only by bf16 rounding."""
    opts = options(mini_batch_prompts=2, steps=1)  # one mini-batch: on-policy
    fp32 = GRPOTrainer(build_toy_policy(), PROMPTS, CoinJudge(), opts).train_step()[0]
    bf16 = GRPOTrainer(build_toy_policy(), PROMPTS, CoinJudge(), opts, autocast=torch.bfloat16).train_step()[0]
    assert bf16["approx_kl"] == 0.0 and bf16["clip_fraction"] == 0.0
    assert bf16["h_text"] == pytest.approx(fp32["h_text"], rel=0.05) and bf16["h_text"] != fp32["h_text"]
