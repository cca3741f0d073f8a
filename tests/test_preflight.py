"""`rgbench reproduce --preset paper --check`: without a GPU or any model loaded, every stage's config, topology,
weights and data are resolved; what is missing says how to get it; the training stages' launch commands are the
stages the reproduction runs."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
from helpers.cli import invoke
from helpers.release_world import build_release_files

from rgbench.config import load_config
from rgbench.preflight import preflight
from rgbench.reproduce import training_stages

WEIGHTS = {  # every model the paper reproduction loads, with the files `resolve_weights` asks of it
    "deepseek-community/Janus-Pro-7B": ("config.json",), "Qwen/Qwen2.5-VL-7B-Instruct": (
        "config.json", "tokenizer_config.json", "preprocessor_config.json"),
    "Qwen/Qwen2.5-VL-3B-Instruct": ("config.json", "tokenizer_config.json", "preprocessor_config.json"),
    "facebook/mask2former-swin-small-coco-instance": ("config.json",),
    "openai/clip-vit-large-patch14": ("config.json", "tokenizer_config.json"),
    "openai/clip-vit-base-patch32": ("config.json", "tokenizer_config.json"),
    "Salesforce/blip-vqa-capfilt-large": ("config.json", "tokenizer_config.json", "preprocessor_config.json")}


def test_check_on_a_bare_machine_names_everything_missing_and_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    result = invoke(["reproduce", "--preset", "paper", "--check"])
    assert result.exit_code == 1, result.output
    text = result.text
    for model in WEIGHTS:
        assert f"✗ weights {model}" in text and f"hf download {model}" in text
    assert "✗ data ReasonGen-R1-SFT-230k" in text and "huggingface-cli download Franklin0/ReasonGen-R1-SFT-230k" in text
    assert "ReasonGen-R1/examples/rl_prompts" in text and "--set release_script=" in text
    assert "✗ questions dpg_bench.csv" in text
    commands = [line.strip() for line in result.output.splitlines() if line.strip().startswith("torchrun")]
    assert len(commands) == 6 and commands[0].startswith("torchrun --nproc-per-node 4 -m rgbench train sft -c release")
    assert all(c.startswith("torchrun --nproc-per-node 8 -m rgbench train grpo -c paper") for c in commands[1:])


def test_check_passes_when_every_file_is_there(tmp_path, monkeypatch):
    build_release_files(tmp_path)
    weights = tmp_path / "weights"
    for model, files in WEIGHTS.items():
        for name in (*files, "model.safetensors"):
            (weights / model).mkdir(parents=True, exist_ok=True)
            (weights / model / name).write_text("{}")
    shutil.copy(Path(__file__).parent.parent / "rgbench" / "toy" / "data" / "dpg" / "dpg_bench.csv",
                tmp_path / "dpg_bench.csv")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RGBENCH_WEIGHTS", str(weights))
    result = invoke(["reproduce", "--preset", "paper", "--check"])
    assert result.exit_code == 0, result.output
    assert "0 missing" in result.text and "✗" not in result.text
    assert "✓ model results/reproduce-paper/runs/sft-s0/model" in result.text  # made by the SFT stage


def test_topology_that_does_not_split_is_reported_with_its_fix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(["reproduce", "--preset", "paper", "--check", "--set", "processes.grpo=3"])
    assert result.exit_code == 1
    assert "✗ batch sizes s0/grpo/main on 3 processes" in result.text
    assert "run on a process count dividing 128" in result.text


def test_commands_are_the_reproductions_own_stages(tmp_path):
    cfg = load_config("reproduce", "paper", ["seeds=2"])
    found = preflight(cfg, tmp_path)
    stages = training_stages(cfg, tmp_path / "runs")
    assert len(found.commands) == len(stages) == 12
    for command, stage in zip(found.commands, stages):
        words = shlex.split(command)
        sets = [words[i + 1] for i, w in enumerate(words) if w == "--set"]
        assert sets == stage.overrides and words[words.index("--run-id") + 1] == stage.run_id
        load_config(stage.kind, stage.preset, sets)  # each command's config resolves


@pytest.mark.parametrize("preset", ["toy", "toy-quick"])
def test_toy_presets_need_nothing_from_outside(preset, tmp_path):
    found = preflight(load_config("reproduce", preset), tmp_path)
    assert not found.missing, [c.what for c in found.missing]
    assert all(c.startswith("rgbench train") for c in found.commands)  # one process: no torchrun


def test_a_stage_trained_by_its_printed_command_is_taken_as_it_is(tmp_path):
    """The flow for the paper: train a stage with `--check`'s command (there under torchrun), then the
    reproduction reopens nothing: the finished run with the same config is used without loading its model."""
    from rgbench.reproduce import train
    from rgbench.results import read_json

    cfg = load_config("reproduce", "toy-quick")
    stage = training_stages(cfg, tmp_path / "runs")[0]
    command = preflight(cfg, tmp_path).commands[0]
    assert command.startswith("rgbench train sft")
    result = invoke(["--quiet", *shlex.split(command)[1:]])
    assert result.exit_code == 0, result.output
    model = train(stage, tmp_path / "runs", "cpu")
    assert model == str(tmp_path / "runs" / "sft-s0" / "model")
    assert len(read_json(tmp_path / "runs" / "sft-s0" / "meta.json")["attempts"]) == 1  # not reopened


def test_a_multi_process_stage_is_never_trained_in_the_reproduction_process(tmp_path):
    from rgbench.reproduce import train

    cfg = load_config("reproduce", "paper")
    stage = training_stages(cfg, tmp_path / "runs")[0]
    with pytest.raises(ValueError, match="written for 4 processes") as err:
        train(stage, tmp_path / "runs", "cpu", processes=4)
    assert "torchrun --nproc-per-node 4 -m rgbench train sft -c release" in str(err.value)
    assert not (tmp_path / "runs").exists()  # nothing opened, nothing loaded
