"""Training on the real model classes at tiny sizes, every model saved with `save_pretrained` and loaded back with
`from_pretrained`: SFT of a tiny transformers Janus (images tokenized by its own VQ model) lowers the loss, and two
GRPO steps run with a tiny random Qwen2.5-VL as the judge."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from rgbench.policy.generate import GenerationOptions
from rgbench.policy.model import load_policy
from rgbench.policy.tiny import save_tiny_hf_janus
from rgbench.train.grpo import AdaptiveEntropyOptions, EntropyOptions, GRPOOptions, GRPOTrainer
from rgbench.train.rewards import build_reward
from rgbench.train.sft import SFTOptions, SFTTrainer
from rgbench.train.sft_data import read_records


@pytest.fixture(scope="module")
def janus(tmp_path_factory):
    return save_tiny_hf_janus(tmp_path_factory.mktemp("janus"))


@pytest.fixture(scope="module")
def qwen(tmp_path_factory):
    from rgbench.vlm.tiny import save_tiny_qwen_vl

    return save_tiny_qwen_vl(tmp_path_factory.mktemp("qwen"))


def test_tiny_janus_sft_lowers_the_loss(janus, tmp_path):
    policy = load_policy(janus, device="cpu", dtype="fp32")
    rng = np.random.default_rng(0)
    rows = []
    for i, (prompt, cot) in enumerate([("a red circle", "red circle r0 c0 ."), ("two squares", "square r1 c1 ."),
                                       ("a white ring", "white ring r2 c2 ."), ("a black cross", "black cross r3 c3 .")]):
        Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(tmp_path / f"{i}.png")
        rows.append({"id": f"r{i}", "prompt": prompt, "cot": cot, "image": f"{i}.png"})
    (tmp_path / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    records = read_records(tmp_path / "records.jsonl", policy.image_tokenizer)  # through the VQ encoder
    assert all(len(r.codes) == 16 for r in records)
    opts = SFTOptions(steps=20, micro_batch=4, lr=1e-2, warmup_ratio=0.0, condition_dropout=0.0)
    trainer = SFTTrainer(policy, records, opts, policy.spec.prompt)
    losses = [trainer.train_step()["loss"] for _ in range(opts.steps)]
    assert losses[-1] < 0.7 * losses[0], losses


def test_tiny_janus_grpo_with_a_tiny_qwen_judge_runs_two_steps(janus, qwen):
    policy = load_policy(janus, device="cpu", dtype="fp32")
    judge = build_reward([{"name": "qwen_vl", "options": {"model": str(qwen), "mode": "p_yes", "min_pixels": 32 * 32, "upscale_to": None,
                                                          "batch_size": 8}}])
    opts = GRPOOptions(steps=2, prompts_per_step=2, samples_per_prompt=4, mini_batch_prompts=1, micro_batch=4,
                       lr=1e-3, max_generation_batches=2,
                       generation=GenerationOptions(cot=True, cfg_weight=1.0, max_cot_tokens=6),
                       entropy=EntropyOptions("adaptive", adaptive=AdaptiveEntropyOptions(1.0, 2.0)))
    prompts = [("a", "a red circle"), ("b", "two squares"), ("c", "a white ring")]
    trainer = GRPOTrainer(policy, prompts, judge, opts)
    before = torch.cat([p.detach().flatten() for p in policy.parameters() if p.requires_grad])
    rows = [trainer.train_step()[0] for _ in range(2)]
    assert [r["step"] for r in rows] == [1, 2]
    assert all(r["kept_groups"] == 2 and 0 < r["reward_mean"] < 1 for r in rows)  # soft P(yes) rewards vary
    assert all(r["h_image"] > 0 and r["grad_norm"] > 0 for r in rows)
    after = torch.cat([p.detach().flatten() for p in policy.parameters() if p.requires_grad])
    assert not torch.equal(before, after)


def test_boxed_qwen_judge_rewards_are_binary_in_a_grpo_step(janus, qwen):
    policy = load_policy(janus, device="cpu", dtype="fp32")
    judge = build_reward([{"name": "qwen_vl", "options": {"model": str(qwen), "mode": "boxed", "min_pixels": 32 * 32, "upscale_to": None,
                                                          "max_new_tokens": 8}}])
    opts = GRPOOptions(steps=1, prompts_per_step=1, samples_per_prompt=2, mini_batch_prompts=1, micro_batch=2,
                       filter_groups=False, generation=GenerationOptions(cot=True, cfg_weight=1.0, max_cot_tokens=4),
                       entropy=EntropyOptions("none"))
    row, collected = GRPOTrainer(policy, [("a", "a red circle")], judge, opts).train_step()
    assert row["kept_groups"] == 1 and {r for g in collected.groups for r in g.rewards} <= {0.0, 1.0}
