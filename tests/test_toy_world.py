"""The toy world: data determinism and disjointness, parser ↔ writer inverse, instruments' accuracy."""

from __future__ import annotations

import csv
import hashlib
import json
import random
from pathlib import Path

import numpy as np
import pytest

from rgbench.geneval.position import relations
from rgbench.image_tokenizer import ImageTokenizer
from rgbench.prompt_sets import normalize_prompt
from rgbench.toy.cot import parse_plan, write_plan
from rgbench.toy.datasets import (
    DATA_DIR,
    DPG_COLUMNS,
    build_files,
    geneval_record,
    holds_out_content,
    manifest,
)
from rgbench.toy.judges import ToyVQA
from rgbench.toy.quality import detector_and_colour_accuracy, judge_agreement, round_trip_accuracy
from rgbench.toy.render import render_batch
from rgbench.toy.sampler import random_spec, scene_for
from rgbench.toy.spec import PromptParseError, Spec, parse_prompt
from rgbench.toy.tokenizer import PatchTokenizer
from rgbench.toy.world import WorldConfig
from tests.helpers.cli import invoke

WORLD = WorldConfig()


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return build_files(WORLD)


def test_build_data_is_byte_identical_to_the_shipped_files(files):
    shipped = json.loads((DATA_DIR / "MANIFEST.json").read_text())
    assert manifest(files) == shipped
    for rel, digest in shipped["files"].items():
        assert hashlib.sha256((DATA_DIR / rel).read_bytes()).hexdigest() == digest, rel


def test_no_eval_prompt_in_training(files):
    geneval = [json.loads(line) for line in files["geneval/evaluation_metadata.jsonl"].splitlines()]
    dpg = [t.strip() for p, t in files.items() if p.startswith("dpg/prompts/")]
    t2i = [line for p, t in files.items() if p.startswith("t2i/dataset/") and p.endswith("_val.txt") for line in t.splitlines()]
    eval_prompts = [r["prompt"] for r in geneval] + dpg + t2i
    train = [json.loads(line) for line in files["train/prompts.jsonl"].splitlines()]
    train_texts = {normalize_prompt(r["prompt"]) for r in train}
    assert not train_texts & {normalize_prompt(p) for p in eval_prompts}
    held = {parse_prompt(p).key() for p in eval_prompts if holds_out_content(parse_prompt(p))}
    assert held and not held & {Spec.from_json(r["spec"]).key() for r in train}


def test_geneval_metadata_schema_and_tags(files):
    records = [json.loads(line) for line in files["geneval/evaluation_metadata.jsonl"].splitlines()]
    assert {r["tag"] for r in records} == {"single_object", "two_object", "counting", "colors", "position", "color_attr"}
    for r in records:
        assert list(r) in (["tag", "include", "prompt"], ["tag", "include", "exclude", "prompt"])
        assert geneval_record(r["tag"], parse_prompt(r["prompt"])) == r  # the prompt says exactly the metadata
    position = next(r for r in records if r["tag"] == "position")
    assert "position" in position["include"][1] and position["include"][1]["position"][1] == 0
    counting = next(r for r in records if r["tag"] == "counting")
    assert counting["exclude"][0]["count"] == counting["include"][0]["count"] + 1


def test_dpg_csv_schema_and_dependencies(files):
    rows = list(csv.DictReader(files["dpg/dpg_bench.csv"].splitlines()))
    assert tuple(rows[0]) == DPG_COLUMNS
    items = {p.split("/")[-1][:-4] for p in files if p.startswith("dpg/prompts/")}
    assert {r["item_id"] for r in rows} == items
    by_item: dict[str, set[str]] = {}
    for r in rows:
        ids = by_item.setdefault(r["item_id"], set())
        deps = [d for d in r["dependency"].split(",") if d != "0"]
        assert all(d in ids for d in deps), r  # parents come first and exist
        ids.add(r["proposition_id"])
        assert r["tuple"].startswith(r["category_detailed"]) and r["category_detailed"].startswith(r["category_broad"])


def test_every_shipped_prompt_parses_back_to_its_spec(files):
    for line in files["train/prompts.jsonl"].splitlines():
        rec = json.loads(line)
        spec = Spec.from_json(rec["spec"])
        parsed = parse_prompt(rec["prompt"])
        expected = Spec(spec.wants) if rec["style"] == "objects" else spec  # object lists state no relations
        assert parsed.key() == expected.key(), rec


def test_parse_errors_are_clear():
    with pytest.raises(PromptParseError, match="no toy object"):
        parse_prompt("a photo of a cat")
    with pytest.raises(PromptParseError, match="introduced twice"):
        parse_prompt("a circle and a red circle")
    with pytest.raises(PromptParseError, match="no object after"):
        parse_prompt("a circle left of")


def test_geneval_position_rule_by_hand():
    a, b = (0, 0, 14, 14), (32, 0, 46, 14)  # same row, 32 px apart
    assert relations(a, b) == {"left of"} and relations(b, a) == {"right of"}
    assert relations(a, (16, 16, 30, 30)) == {"left of", "above"}  # a diagonal gives both
    assert relations(a, (16, 32, 30, 46)) == {"above"}  # 2 rows down, 1 col right: |dx'|/|d| = 0.37 < 0.5
    assert relations(a, (2, 2, 12, 12)) == set()  # centres coincide


def test_cot_plans_round_trip_and_vary():
    rng = random.Random(0)
    plans = set()
    for _ in range(200):
        scene = scene_for(random_spec("dense", WORLD, rng), WORLD, rng)
        plan = write_plan(scene, rng)
        plans.add(plan.split()[0])
        assert sorted(map(str, parse_plan(plan).objects)) == sorted(map(str, scene.objects)), plan
    assert len(plans) > 5  # no fixed preamble


def test_tokenizer_is_lossless_and_has_the_interface():
    tok = PatchTokenizer.load()
    assert isinstance(tok, ImageTokenizer) and tok.grid == (8, 8) and tok.image_size == WORLD.canvas
    scenes = [scene_for(random_spec("dense", WORLD, random.Random(i)), WORLD, random.Random(i)) for i in range(50)]
    images = render_batch(scenes, WORLD)
    ids = tok.encode(images)
    assert ids.shape == (50, 64) and ids.dtype == np.int64
    assert np.array_equal(tok.decode(ids), images)
    noisy = images.copy()
    noisy[:, ::7, ::5] ^= 3  # off-codebook pixels fall back to the nearest code
    assert np.abs(tok.decode(tok.encode(noisy)).astype(int) - images).mean() < 1.0
    with pytest.raises(ValueError, match="out of range"):
        tok.decode(np.full((1, 64), tok.codebook_size))


def test_instruments_meet_their_acceptance_on_a_sample():
    acc = detector_and_colour_accuracy(150, seed=5, world=WORLD)
    assert acc["detector_exact_scene"] >= 0.99 and acc["colour_per_object"] >= 0.99
    assert round_trip_accuracy(100, 6, WORLD, PatchTokenizer.load()) >= 0.95
    agree = judge_agreement(150, seed=7, world=WORLD)
    assert agree["judge_large_agreement"] >= 0.99
    assert 0.6 <= agree["judge_small_agreement"] <= 0.92


def test_vqa_says_yes_to_its_own_dpg_questions_and_no_to_wrong_ones(files):
    rows = list(csv.DictReader(files["dpg/dpg_bench.csv"].splitlines()))[:60]
    vqa = ToyVQA(WORLD)
    images, questions = [], []
    for item in dict.fromkeys(r["item_id"] for r in rows):
        spec = parse_prompt(files[f"dpg/prompts/{item}.txt"])
        img = render_batch([scene_for(spec, WORLD, random.Random(0))], WORLD)[0]
        for r in rows:
            if r["item_id"] == item:
                images.append(img)
                questions.append(r["question_natural_language"])
    assert min(vqa.p_yes(images, questions)) > 0.5
    blank = np.full((64, 64, 3), 128, np.uint8)
    assert max(vqa.p_yes([blank] * 3, ["Is there a circle?", "a red square?", "Are there two rings?"])) < 0.5


def test_toy_cli_render_and_show(tmp_path: Path):
    out = invoke(["toy", "render", "a red circle left of a blue square", "-o", str(tmp_path / "r.png")])
    assert out.exit_code == 0 and "CoT:" in out.text and (tmp_path / "r.png").stat().st_size > 0
    bad = invoke(["toy", "render", "a photo of a cat", "-o", str(tmp_path / "x.png")])
    assert bad.exit_code == 2 and "no toy object" in bad.text
    sheet = invoke(["toy", "show", "-o", str(tmp_path / "s.png"), "--n", "4"])
    assert sheet.exit_code == 0 and (tmp_path / "s.png").exists()
