"""The shipped toy checkpoints (toy-base, toy-sft): each loads by name, generates, and was made by its preset as it
stands."""

import json

import numpy as np
import pytest

from rgbench.catalog import load_catalog
from rgbench.config import load_config
from rgbench.policy.generate import GenerationOptions, generate
from rgbench.policy.zoo import open_policy
from rgbench.toy.checkpoints import STAGES, checkpoint_dir


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_shipped_checkpoint_was_trained_on_the_shipped_prompt_sets(stage):
    """A new DATA_VERSION (rgbench toy build-data) needs new toy-base and toy-sft checkpoints."""
    from rgbench.toy.world import DATA_VERSION

    summary = json.loads((checkpoint_dir(stage) / "run_summary.json").read_text())
    # the shipped toy-base was trained before run summaries recorded the data version; it was toy-v1-data2
    recorded = summary.get("data_version", {"base": "toy-v1-data2"}.get(stage))
    assert recorded == DATA_VERSION


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_shipped_checkpoint_is_its_preset_trained(stage):
    load_catalog()
    preset, _ = STAGES[stage]
    folder = checkpoint_dir(stage)
    meta = json.loads((folder / "run_meta.json").read_text())
    # a changed preset means the shipped weights no longer come from it: rerun `rgbench toy pretrain --stage
    # <stage>` and commit the new checkpoint. The recorded config is read with today's schema (a field added
    # since takes its default, so the hash, a function of every field, may differ from the recorded one)
    cfg = load_config("sft", preset)
    assert load_config("sft", folder / "run_config.yaml") == cfg
    assert meta["status"] == "complete" and meta["provenance"]["model"] == cfg.model
    rows = [json.loads(line) for line in (folder / "run_metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == cfg.train.steps and rows[-1]["loss"] < rows[0]["loss"] / 5


def test_toy_sft_writes_current_plans_and_draws():
    """toy-sft was trained on the plan writer as it stands, and writes plans the parser reads back."""
    from rgbench.toy.cot import PLAN_VERSION, parse_plan

    summary = json.loads((checkpoint_dir("sft") / "run_summary.json").read_text())
    assert summary["plan_version"] == PLAN_VERSION  # a new plan writer needs a new toy-sft
    policy = open_policy("toy-sft", device="cpu", dtype="fp32")
    prompts = ["a photo of a red circle", "a photo of a blue square left of a green ring"]
    out = generate(policy, prompts, [(0, "a", 0), (0, "b", 0)], GenerationOptions(cfg_weight=1.0, max_cot_tokens=40))
    assert out.images.shape == (2, 64, 64, 3) and all(out.cot_stopped)
    assert [len(parse_plan(c).objects) for c in out.cot_text] == [1, 2], out.cot_text


def test_toy_base_loads_by_name_and_draws_without_a_plan():
    policy = open_policy("toy-base", device="cpu", dtype="fp32")
    out = generate(policy, ["a red circle", "two squares"], [(0, "a", 0), (0, "b", 0)],
                   GenerationOptions(cot=False, cfg_weight=5.0))
    assert out.images.shape == (2, 64, 64, 3) and out.images.dtype == np.uint8
    assert out.response_text_ids == [[], []]


def test_toy_pretrain_cli_installs_a_loadable_checkpoint_with_its_record(tmp_path):
    from tests.helpers.cli import invoke

    out = tmp_path / "base"
    args = ["--quiet", "toy", "pretrain", "--results", str(tmp_path / "runs"), "--out", str(out),
            "--set", "train.steps=2", "--set", "data_limit=8", "--set", "toy_variants=1"]
    result = invoke(args)
    assert result.exit_code == 0, result.output
    assert {"config.json", "run_config.yaml", "run_metrics.jsonl", "run_meta.json", "run_summary.json"} <= \
        {p.name for p in out.iterdir()}
    assert len((out / "run_metrics.jsonl").read_text().splitlines()) == 2
    policy = open_policy(str(out), device="cpu", dtype="fp32")
    assert policy.spec.image_tokenizer == "toy-patch"
