"""`rgbench eval dpg` end to end on toy-world images with the toy VQA: scores worked out from what was drawn,
both modes, resume, shards merged through --answers, re-scoring a run with no model, bad input counted with
reasons, and a tiny random Qwen2.5-VL answering through the same command."""

import random
from pathlib import Path

import numpy as np
import pytest
from helpers.fakes import CountingVQA
from PIL import Image

from rgbench.dpg.layout import DPGLayout
from rgbench.dpg.questions import read_questions
from rgbench.dpg.vqa import VQA_MODELS
from rgbench.prompt_sets import load_prompt_set
from rgbench.results import read_json, read_jsonl
from rgbench.toy.render import render
from rgbench.toy.sampler import scene_for
from rgbench.toy.spec import parse_prompt
from rgbench.toy.world import BACKGROUND, WorldConfig
from tests.helpers.cli import invoke

QUESTIONS = Path(__file__).parents[1] / "rgbench" / "toy" / "data" / "dpg" / "dpg_bench.csv"
N = 12  # items used (--limit)


@pytest.fixture(scope="module")
def toy_folder(tmp_path_factory) -> Path:
    """The first N toy DPG prompts as 2×2 grids: even items drawn as prompted, odd items blank canvases."""
    out = tmp_path_factory.mktemp("dpg-images")
    world, rng = WorldConfig(), random.Random(0)
    blank = np.zeros((world.canvas, world.canvas, 3), np.uint8) + np.array(BACKGROUND, np.uint8)
    for k, item in enumerate(load_prompt_set("toy-dpg").items[:N]):
        images = [render(scene_for(parse_prompt(item.prompt), world, rng), world) if k % 2 == 0 else blank
                  for _ in range(4)]
        DPGLayout().write(out, item, images)
    return out


def expected_overall() -> float:
    """Drawn items score 1; on a blank canvas only "Is the background flat gray?" is yes, every other question
    is an entity (no) or a child of one, so the item scores 1 / its question count."""
    items = list(read_questions(QUESTIONS).values())[:N]
    return 100 * sum(1 if k % 2 == 0 else 1 / len(it.questions) for k, it in enumerate(items)) / N


def cli(*args):
    result = invoke(["--quiet", *args])
    return result


def evaluate(folder, results, run_id, *extra):
    return cli("eval", "dpg", "--questions", QUESTIONS, "--images", folder, "--results", results, "--run-id", run_id,
               "--limit", N, *extra)


def test_end_to_end_scores_match_what_was_drawn(toy_folder, tmp_path):
    result = evaluate(toy_folder, tmp_path, "r")
    assert result.exit_code == 0, result.output
    summary = read_json(tmp_path / "r" / "summary.json")
    assert summary["overall"] == pytest.approx(expected_overall())
    assert summary["mode"] == "corrected" and summary["scored"] == N and not summary["official_vqa"]
    assert any("not DPG-Bench's official VQA model" in w for w in summary["warnings"])
    rows = read_jsonl(tmp_path / "r" / "results.jsonl")
    assert len(rows) == N and rows[0]["tile_scores"] == [1, 1, 1, 1]
    assert rows[0]["provenance"]["vqa"] == ["toy"] and rows[0]["provenance"]["mode"] == "corrected"
    answers = read_jsonl(tmp_path / "r" / "raw" / "answers.jsonl")
    n_questions = sum(len(it.questions) for it in list(read_questions(QUESTIONS).values())[:N])
    assert len(answers) == 4 * n_questions
    assert {"item_id", "tile", "proposition_id", "question", "answer", "p_yes"} <= set(answers[0])
    table = (tmp_path / "r" / "table.md").read_text()
    assert "| Model | Global | Entity | Attribute | Relation | Other | Overall |" in table


def test_official_mode_and_rescoring_from_answers_agree(toy_folder, tmp_path):
    assert evaluate(toy_folder, tmp_path, "o", "--mode", "official").exit_code == 0
    official = read_json(tmp_path / "o" / "summary.json")
    assert official["mode"] == "official" and official["overall"] == pytest.approx(expected_overall())
    # the corrected run's answers, re-scored in official mode without a model, give the same summary
    assert evaluate(toy_folder, tmp_path, "c").exit_code == 0
    result = cli("runs", "rescore", tmp_path / "c", "-o", "mode=official", "--out", tmp_path / "re")
    assert result.exit_code == 0, result.output
    rescored = read_json(tmp_path / "re" / "summary.json")
    assert rescored["overall"] == pytest.approx(official["overall"]) and rescored["l2"] == official["l2"]
    assert cli("eval", "dpg", "--questions", QUESTIONS, "--answers", tmp_path / "c" / "raw" / "answers.jsonl",
               "--limit", N, "--results", tmp_path, "--run-id", "a").exit_code == 0
    assert read_json(tmp_path / "a" / "summary.json")["overall"] == pytest.approx(expected_overall())


def test_shards_merge_to_the_unsharded_result(toy_folder, tmp_path):
    for i in range(2):
        assert evaluate(toy_folder, tmp_path, f"s{i}", "--shard", f"{i}/2").exit_code == 0
    files = [tmp_path / f"s{i}" / "raw" / "answers.jsonl" for i in range(2)]
    assert cli("eval", "dpg", "--questions", QUESTIONS, "--answers", files[0], "--answers", files[1], "--limit", N,
               "--results", tmp_path, "--run-id", "merged").exit_code == 0
    merged = read_json(tmp_path / "merged" / "summary.json")
    assert merged["overall"] == pytest.approx(expected_overall()) and merged["scored"] == N


def test_resume_asks_only_what_is_missing(toy_folder, tmp_path):
    VQA_MODELS.register("counting", lambda spec: CountingVQA(), replace=True)
    try:
        assert evaluate(toy_folder, tmp_path, "x", "--backend", "counting").exit_code == 0
        first = CountingVQA.asked
        answers = tmp_path / "x" / "raw" / "answers.jsonl"
        lines = answers.read_text().splitlines(keepends=True)
        answers.write_text("".join(lines[:-10]) + lines[-10][:15])  # lose 9 answers and tear the last line
        assert evaluate(toy_folder, tmp_path, "x", "--backend", "counting").exit_code == 0
        assert CountingVQA.asked - first == 10 and len(read_jsonl(answers)) == len(lines)
        assert read_json(tmp_path / "x" / "summary.json")["overall"] == pytest.approx(expected_overall())
    finally:
        VQA_MODELS._entries.pop("counting", None)


def test_bad_input_is_counted_with_reasons(toy_folder, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    items = list(read_questions(QUESTIONS))[:N]
    for name in items[:N - 2]:
        (folder / f"{name}.png").write_bytes((toy_folder / f"{name}.png").read_bytes())
    (folder / f"{items[N - 2]}.png").write_bytes(b"not a png")  # corrupt
    (folder / "notes.txt").write_text("hello")  # no item's image
    # items[N - 1] has no image at all
    result = evaluate(folder, tmp_path, "bad")
    assert result.exit_code == 0, result.output
    failures = {f["item_id"]: f["error"] for f in read_jsonl(tmp_path / "bad" / "failures.jsonl")}
    assert "unreadable image" in failures[items[N - 2]] and "no image named" in failures[items[N - 1]]
    summary = read_json(tmp_path / "bad" / "summary.json")
    assert summary["failed"] == 2 and summary["counted_as_zero"] == 2 and summary["items"] == N
    assert any("notes.txt" in w for w in summary["warnings"])
    full = expected_overall() * N / 100
    lost = 1 / len(read_questions(QUESTIONS)[items[N - 1]].questions) + 1  # items N-2 (drawn) and N-1 (blank)
    assert summary["overall"] == pytest.approx(100 * (full - lost) / N)  # corrected: the two count as 0
    assert evaluate(folder, tmp_path, "bad-official", "--mode", "official").exit_code == 0
    official = read_json(tmp_path / "bad-official" / "summary.json")
    assert official["overall"] == pytest.approx(100 * (full - lost) / (N - 2))  # official: left out
    for name in items[N - 2:]:  # the images turn up: a rerun of the same command scores them
        (folder / f"{name}.png").write_bytes((toy_folder / f"{name}.png").read_bytes())
    assert evaluate(folder, tmp_path, "bad").exit_code == 0
    fixed = read_json(tmp_path / "bad" / "summary.json")
    assert fixed["failed"] == 0 and fixed["overall"] == pytest.approx(expected_overall())


def test_missing_arguments_and_bad_options_are_clear_errors(toy_folder, tmp_path):
    assert "give --images" in cli("eval", "dpg", "--questions", QUESTIONS).text
    assert "did you mean 'blip'" in evaluate(toy_folder, tmp_path, "e", "--backend", "blipp").text
    assert "--pic-num must be 1 or 4" in evaluate(toy_folder, tmp_path, "e", "--pic-num", "2").text
    assert "not shipped" in cli("eval", "dpg", "--questions", tmp_path / "none.csv", "--images", toy_folder,
                                "--results", tmp_path).text
    assert "needs ModelScope" in evaluate(toy_folder, tmp_path, "e", "--backend", "mplug").text


@pytest.mark.parametrize("backend", ["qwen_vl", "blip"])
def test_a_tiny_real_vqa_model_answers_through_the_command(toy_folder, tmp_path, backend):
    from rgbench.vlm.tiny import save_tiny_qwen_vl
    from rgbench.vlm.tiny_blip import save_tiny_blip_vqa

    model = {"qwen_vl": save_tiny_qwen_vl, "blip": save_tiny_blip_vqa}[backend](tmp_path / backend)
    result = cli("eval", "dpg", "--questions", QUESTIONS, "--images", toy_folder, "--results", tmp_path,
                 "--run-id", "q", "--limit", 1, "--backend", backend, "--model", model)
    assert result.exit_code == 0, result.output
    answers = read_jsonl(tmp_path / "q" / "raw" / "answers.jsonl")
    assert len(answers) == 4 * len(next(iter(read_questions(QUESTIONS).values())).questions)
    assert all(isinstance(a["answer"], str) and 0 <= a["p_yes"] <= 1 for a in answers)
    assert answers[0]["backend"].startswith(backend)
    assert read_json(tmp_path / "q" / "summary.json")["scored"] == 1


def test_grids_written_by_generation_are_read_back_as_its_tiles(tmp_path):
    images = [np.full((8, 8, 3), 40 * (k + 1), np.uint8) for k in range(4)]
    item = load_prompt_set("toy-dpg").items[0]
    DPGLayout().write(tmp_path, item, images)
    from rgbench.dpg.tiles import crop_tiles

    with Image.open(tmp_path / f"{item.key}.png") as grid:
        assert [np.asarray(t)[0, 0, 0] for t in crop_tiles(grid, 4)] == [40, 80, 120, 160]
