"""The toy paper's targets, read off a (fake) reproduction folder: hand-worked means, met / missed / not measured."""

from __future__ import annotations

import json

from rgbench.analysis.targets import spread_note, targets_markdown, toy_targets


def geneval_run(folder, overall: float):
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps({"tasks": {"single_object": {"accuracy": overall}},
                                                     "overall": overall}))
    return str(folder)


def test_targets_from_a_reproduction(tmp_path):
    scores = {"base": [0.50, 0.54], "sft": [0.60, 0.62], "main": [0.70, 0.66], "no-sft": [0.55, 0.57],
              "small-judge": [0.72, 0.70]}
    evaluations = {label: {"toy-geneval": [geneval_run(tmp_path / "runs" / f"{label}-{i}", v)
                                           for i, v in enumerate(values)]} for label, values in scores.items()}
    (tmp_path / "summary.json").write_text(json.dumps({"evaluations": evaluations}))
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "plans.json").write_text(json.dumps({"sft": {"all": {"follows": 0.81}},
                                                               "gold-sft": {"all": {"follows": 0.85}}}))
    got = {t.name: t for t in toy_targets(tmp_path)}
    own = got["SFT images follow their own plans (per object: cell + colour + shape)"]
    assert own.met and own.measured == "0.810 (goal ≥ 0.8)"
    assert got["SFT images follow gold plans (per object: cell + colour + shape)"].met is False
    assert got["toy GenEval: base in 0.40–0.65"].met  # 0.52
    sft = got["toy GenEval: CoT SFT ≥ base + 0.05"]
    assert sft.met and sft.note == ""  # 0.61 ≥ 0.57; +0.09 is well beyond the stds 0.028 / 0.014
    assert got["toy GenEval: SFT + GRPO > SFT"].met  # 0.68 > 0.61
    assert got["toy GenEval: RL without SFT < SFT + GRPO"].met  # 0.56 < 0.68
    small = got["toy GenEval: small judge < large judge"]
    assert small.met is False and small.measured == "small-judge 0.710 ± 0.014, main 0.680 ± 0.028"
    assert small.note == ""  # |−0.030| > the larger std 0.028: resolved (the wrong way)
    assert "| toy GenEval: small judge < large judge | small-judge 0.710 ± 0.014, main 0.680 ± 0.028 | missed |" \
        in targets_markdown(list(got.values()))
    grpo = got["toy GenEval: SFT + GRPO > SFT"]  # +0.07 over stds 0.014 / 0.028: resolved
    assert grpo.note == ""


def test_targets_not_measured_when_a_model_is_missing(tmp_path):
    (tmp_path / "summary.json").write_text(json.dumps({"evaluations": {}}))
    assert all(t.met is None and t.line().endswith("not measured") for t in toy_targets(tmp_path))


def test_an_ordering_inside_the_seed_spread_says_so():
    scores = {"sft": [0.714, 0.716, 0.718], "main": [0.714, 0.718, 0.722]}  # +0.002; stds 0.002 / 0.004
    assert spread_note(scores, ["sft", "main"]) == "difference +0.002 is within one std (0.004)"
    assert spread_note({"a": [0.5, 0.5], "b": [0.6, 0.6]}, ["a", "b"]) == ""  # no spread at all: resolved
    assert spread_note({"a": [0.5], "b": [0.6]}, ["a", "b"]) == ""  # one seed: nothing to say
