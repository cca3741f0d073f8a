"""The plan diagnosis (rgbench.toy.plans, `rgbench analyze plans`) and the gold-plan probe (`generate --plans gold`)."""

from __future__ import annotations

import json
import random
import re

import numpy as np
import pytest

from rgbench.dpg.layout import tile_2x2
from rgbench.layouts import get_layout, save_png_atomic
from rgbench.results import read_jsonl
from rgbench.toy.cot import parse_plan, plan_clauses, write_plan
from rgbench.toy.plans import check_record, gold_plan, markdown, summarize
from rgbench.toy.render import render
from rgbench.toy.sampler import random_spec, scene_for
from rgbench.toy.spec import Seen, parse_prompt
from rgbench.toy.world import Obj, Scene, WorldConfig, object_box
from tests.helpers.cli import invoke

WORLD = WorldConfig()


def seen(shape: str, color: str, row: int, col: int, size: str = "large") -> Seen:
    box = tuple(float(v) for v in object_box(Obj(shape, color, row, col, size), WORLD))
    return Seen(shape, color, size, "solid", box)


def test_plans_name_each_cell_one_way_after_its_object():
    rng = random.Random(3)
    for _ in range(300):
        scene = scene_for(random_spec("dense", WORLD, rng), WORLD, rng)
        plan = write_plan(scene, rng)
        for clause, obj in plan_clauses(plan):
            assert obj is not None, plan
            assert clause.rstrip().endswith(f"r{obj.row + 1} c{obj.col + 1}"), clause
        assert not re.search(r"\b(row|column|col|midleft|midright|upper)\b", plan), plan
        cells = [(o.row, o.col) for o in parse_plan(plan).objects]
        assert cells == sorted(cells), plan  # objects in the order the image is drawn


def test_old_cell_names_still_parse():
    old = "layout : row 1 column 2 : big red circle ; tiny blue dotted square at bottom midleft"
    assert parse_plan(old) == Scene((Obj("circle", "red", 0, 1), Obj("square", "blue", 3, 1, "small", "dotted")))


def test_check_record_by_hand():
    prompt = "a photo of a red circle left of a blue square"
    cot = "red circle at r2 c1 ; put a blue square at r2 c3 ; green ring in r1 c1"  # 3 objects: one extra
    image = [seen("circle", "red", 1, 0), seen("square", "green", 1, 2), seen("cross", "white", 3, 3)]
    r = check_record(prompt, cot, image, WORLD)
    assert r["plan_parses"] and r["objects"] == 3
    assert r["plan_satisfies_prompt"] is False  # the ring is an unrequested object
    assert (r["cell"], r["color"], r["shape"], r["follows"]) == (2, 1, 2, 1)  # circle all; square cell+shape
    assert r["image_satisfies_plan"] is False and r["image_satisfies_prompt"] is False
    assert r["seen"][1] == {"shape": "square", "color": "green", "size": "large", "texture": "solid", "row": 1,
                            "col": 2}
    exact = check_record(prompt, "red circle at r2 c1 and blue square in r2 c3",
                         [seen("circle", "red", 1, 0), seen("square", "blue", 1, 2)], WORLD)
    assert exact["plan_satisfies_prompt"] and exact["image_satisfies_plan"] and exact["image_satisfies_prompt"]
    assert exact["follows"] == exact["objects"] == 2
    broken = check_record(prompt, "red circle at r2 c1 ; a blue thing somewhere", [], WORLD)
    assert not broken["plan_parses"] and broken["objects"] == 1 and broken["cell"] == 0
    outside = check_record("a photo of a cat", "red circle at r1 c1", [], WORLD)
    assert outside["plan_satisfies_prompt"] is None and "cat" in outside["prompt_error"]


def test_summarize_pools_images_and_planned_objects():
    rows = [{"tag": "a", "objects": 2, "cell": 2, "color": 1, "shape": 2, "follows": 1, "plan_parses": True,
             "plan_satisfies_prompt": True, "image_satisfies_plan": False, "image_satisfies_prompt": True,
             "prompt_error": None},
            {"tag": "a", "objects": 1, "cell": 0, "color": 0, "shape": 0, "follows": 0, "plan_parses": False,
             "plan_satisfies_prompt": None, "image_satisfies_plan": False, "image_satisfies_prompt": None,
             "prompt_error": "no toy object"},
            {"tag": "b", "objects": 1, "cell": 1, "color": 1, "shape": 1, "follows": 1, "plan_parses": True,
             "plan_satisfies_prompt": False, "image_satisfies_plan": True, "image_satisfies_prompt": False,
             "prompt_error": None}]
    s = summarize(rows)
    assert list(s) == ["a", "b", "all"]
    assert s["a"]["images"] == 2 and s["a"]["planned_objects"] == 3
    assert s["a"]["cell"] == pytest.approx(2 / 3) and s["a"]["follows"] == pytest.approx(1 / 3)
    assert s["a"]["plan_parses"] == 0.5 and s["a"]["plan_satisfies_prompt"] == 1.0  # unparsed prompt left out
    assert s["a"]["unparsed_prompts"] == 1
    assert s["all"]["follows"] == pytest.approx(2 / 4) and s["all"]["image_satisfies_plan"] == pytest.approx(1 / 3)
    assert "| b | 1 | 1.00 | 0.00 | 1.00 |" in markdown(s, "t")


def test_gold_plans_satisfy_their_prompts_and_are_seeded():
    from rgbench.prompt_sets import load_prompt_set

    for item in load_prompt_set("toy-geneval").items:
        plan = gold_plan(item.prompt, (0, item.key, 0))
        assert check_record(item.prompt, plan, [], WORLD)["plan_satisfies_prompt"], (item.prompt, plan)
    assert gold_plan("two red circles", (0, "k", 1)) == gold_plan("two red circles", (0, "k", 1))
    assert len({gold_plan("two red circles", (0, "k", s)) for s in range(8)}) > 1
    with pytest.raises(ValueError):
        gold_plan("a photo of a cat", (0, "k", 0))


def test_layouts_read_back_what_cot_rows_point_at(tmp_path):
    tiles = [np.full((4, 4, 3), 60 * k, np.uint8) for k in range(4)]
    save_png_atomic(tile_2x2(tiles), tmp_path / "item.png")
    dpg = get_layout("dpg")
    assert dpg.read(tmp_path, "item.png").shape == (8, 8, 3)
    for k in range(4):
        assert (dpg.read(tmp_path, f"item.png#tile{k}") == tiles[k]).all()
    with pytest.raises(ValueError, match="unknown DPG image reference"):
        dpg.read(tmp_path, "item.png#tile4")
    assert (get_layout("geneval").read(tmp_path, "item.png") == tile_2x2(tiles)).all()


def test_a_rendered_plan_is_followed_exactly():
    """The diagnosis of a perfect follower: render the gold plan's scene, perceive it, check it."""
    from rgbench.toy.vision import perceive

    prompt = "a photo of three blue squares"
    plan = gold_plan(prompt, (1, "x", 0))
    image = render(parse_plan(plan), WORLD)
    r = check_record(prompt, plan, perceive([image], WORLD)[0], WORLD)
    assert r["image_satisfies_plan"] and r["follows"] == r["objects"] == 3 and r["image_satisfies_prompt"]
    assert parse_prompt(prompt).wants[0].count == 3


def test_gold_plan_generation_and_analyze_cli(tmp_path):
    gold, own = tmp_path / "gold", tmp_path / "own"
    common = ["generate", "--model", "toy-init", "-b", "toy-geneval", "--n", "2", "--limit", "3", "--cfg", "1",
              "--max-cot-tokens", "8"]
    assert invoke([*common, "--out", gold, "--plans", "gold"]).exit_code == 0
    assert invoke([*common, "--out", own]).exit_code == 0
    rows = read_jsonl(gold / "cot.jsonl")
    assert all(r["plans"] == "gold" and r["cot"] == gold_plan(r["prompt"], (0, r["prompt_id"], r["sample"]))
               for r in rows)
    assert json.loads((gold / "generation.json").read_text())["settings"]["plans"] == "gold"
    mixed = invoke([*common, "--out", gold])  # sampled plans into the gold folder: other settings
    assert mixed.exit_code == 2 and "plans" in mixed.text
    no_cot = invoke([*common, "--out", tmp_path / "x", "--plans", "gold", "--no-cot"])
    assert no_cot.exit_code == 2 and "gold plans need CoT mode" in no_cot.text
    real = invoke([*common[:4], "geneval", *common[5:], "--out", tmp_path / "real", "--plans", "gold"])
    assert real.exit_code == 2 and "gold plans exist only for toy prompts" in real.text
    unknown = invoke([*common, "--out", tmp_path / "u", "--plans", "golden"])
    assert unknown.exit_code == 2 and "did you mean" not in unknown.text and "--plans must be" in unknown.text

    result = invoke(["analyze", "plans", gold, own, "--out", tmp_path / "plans", "--label", "gold", "--label", "own"])
    assert result.exit_code == 0, result.output
    assert "**gold**" in result.text and "**own**" in result.text and "| single_object | 6 |" in result.text
    records = read_jsonl(tmp_path / "plans" / "gold.jsonl")
    assert len(records) == 6 and all(r["plans"] == "gold" and r["plan_satisfies_prompt"] for r in records)
    summary = json.loads((tmp_path / "plans" / "plans.json").read_text())
    assert summary["gold"]["all"]["plan_satisfies_prompt"] == 1.0 and summary["own"]["all"]["images"] == 6
    missing = invoke(["analyze", "plans", tmp_path / "nothing", "--out", tmp_path / "p2"])
    assert missing.exit_code == 2 and "no cot.jsonl" in missing.text
