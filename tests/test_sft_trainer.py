"""The SFT loop: schedule, deterministic batches, and exact resume (2N steps = N + checkpoint + N)."""

import pytest

from rgbench.toy.policy import build_toy_policy
from rgbench.train.sft import SFTOptions, SFTTrainer, warmup_cosine
from rgbench.train.sft_data import SFTRecord

EXAMPLES = [SFTRecord(f"r{k}", f"a {c} {s}", f"{c} {s} r{k % 4 + 1} c{k % 3 + 1}", [(k * 13 + i) % 97 for i in range(64)],
                      {"short_caption": f"a {c} {s}.", "tags": [c, s]})
            for k, (c, s) in enumerate([("red", "circle"), ("blue", "square"), ("green", "cross"), ("white", "ring"),
                                        ("black", "diamond")])]
OPTS = SFTOptions(steps=6, micro_batch=2, grad_accum=2, lr=3e-3, condition_dropout=0.3, seed=4)


def test_warmup_then_cosine_to_zero():
    assert [round(warmup_cosine(s, 100, 0.05), 3) for s in (0, 4, 5)] == [0.2, 1.0, 1.0]
    assert warmup_cosine(52, 100, 0.05) == pytest.approx(0.5, abs=0.02) and warmup_cosine(99, 100, 0.05) < 0.01


def test_batches_are_a_function_of_step_and_seed():
    a, b = SFTTrainer(build_toy_policy(seed=0), EXAMPLES, OPTS), SFTTrainer(build_toy_policy(seed=0), EXAMPLES, OPTS)
    assert a.micro_batch(3, 1).text_ids.equal(b.micro_batch(3, 1).text_ids)
    assert not a.micro_batch(3, 1).text_ids.equal(a.micro_batch(3, 0).text_ids)


def test_resume_continues_the_loss_curve_exactly(tmp_path):
    straight = SFTTrainer(build_toy_policy(seed=0), EXAMPLES, OPTS)
    full = [straight.train_step()["loss"] for _ in range(6)]
    assert full[-1] < full[0]

    first = SFTTrainer(build_toy_policy(seed=0), EXAMPLES, OPTS)
    head = [first.train_step()["loss"] for _ in range(3)]
    first.save(tmp_path / "ckpt")
    resumed = SFTTrainer(build_toy_policy(seed=9), EXAMPLES, OPTS)  # other init: everything must come from the file
    resumed.load(tmp_path / "ckpt")
    tail = [resumed.train_step()["loss"] for _ in range(3)]
    assert head + tail == full
