"""The shipped toy base checkpoint: it loads by name, generates, and was made by the toy-base preset as it stands."""

import json

import numpy as np

from rgbench.catalog import load_catalog
from rgbench.config import load_config
from rgbench.policy.generate import GenerationOptions, generate
from rgbench.policy.zoo import open_policy
from rgbench.runs import config_hash
from rgbench.toy.checkpoints import BASE_DIR


def test_toy_base_is_the_toy_base_preset_trained():
    load_catalog()
    meta = json.loads((BASE_DIR / "run_meta.json").read_text())
    # a changed preset (or SFT config schema) means the shipped weights no longer come from it: rerun
    # `rgbench toy pretrain` and commit the new checkpoint
    assert meta["config_hash"] == config_hash(load_config("sft", "toy-base"))
    assert meta["status"] == "complete" and meta["provenance"]["model"] == "toy-init"
    rows = [json.loads(line) for line in (BASE_DIR / "run_metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == load_config("sft", "toy-base").train.steps and rows[-1]["loss"] < rows[0]["loss"] / 10


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
