"""`rgbench eval t2i` end to end: every toy category on toy images with the toy backends (scores worked out from
what was drawn), re-scoring without models in both modes, resume, bad files counted with reasons, and tiny
random BLIP and CLIP models scoring real T2I-CompBench prompts."""

import random
from pathlib import Path

import numpy as np
import pytest
from helpers.fakes import CountingVQA

from rgbench.dpg.vqa import VQA_MODELS
from rgbench.layouts import save_png_atomic
from rgbench.prompt_sets import load_prompt_set
from rgbench.results import read_json, read_jsonl
from rgbench.t2i import evaluate as t2i_eval
from rgbench.t2i import phrases, rules
from rgbench.t2i.folder import Entry
from rgbench.t2i.layout import T2ILayout
from rgbench.toy.render import render
from rgbench.toy.sampler import scene_for
from rgbench.toy.spec import parse_prompt
from rgbench.toy.world import BACKGROUND, WorldConfig
from tests.helpers.cli import invoke

PER_CATEGORY = 8  # prompts drawn per toy category
TOY_CATEGORIES = ("color", "shape", "texture", "spatial", "numeracy", "complex")


@pytest.fixture(scope="module")
def toy_folder(tmp_path_factory) -> Path:
    """The first prompts of each toy category, one image each: even prompts drawn, odd ones a blank canvas."""
    out = tmp_path_factory.mktemp("t2i-images")
    world, rng = WorldConfig(), random.Random(0)
    blank = np.zeros((world.canvas, world.canvas, 3), np.uint8) + np.array(BACKGROUND, np.uint8)
    for cat in TOY_CATEGORIES:
        for item in load_prompt_set(f"toy-t2i:{cat}").items[:PER_CATEGORY]:
            image = render(scene_for(parse_prompt(item.prompt), world, rng), world) if item.index % 2 == 0 else blank
            T2ILayout().write(out, item, [image])
    return out


def cli(*args):
    result = invoke(["--quiet", *args])
    return result


def evaluate(folder, results, run_id, *extra):
    return cli("eval", "t2i", "--images", folder, "--prompts", "toy-t2i", "--results", results, "--run-id", run_id,
               *extra)


def test_every_toy_category_end_to_end(toy_folder, tmp_path):
    result = evaluate(toy_folder, tmp_path, "r")
    assert result.exit_code == 0, result.output
    summary = read_json(tmp_path / "r" / "summary.json")
    cats = summary["categories"]
    assert list(cats) == list(TOY_CATEGORIES) and all(c["images"] == PER_CATEGORY for c in cats.values())
    # two noun phrases per attribute prompt; the toy VQA says 0.98 for a drawn object, 0.02 for a missing one
    drawn, blank = 0.98 * 0.98, 0.02 * 0.02
    for cat in ("color", "shape", "texture"):
        assert cats[cat]["score"] == pytest.approx((round(drawn, 4) + round(blank, 4)) / 2)
    assert cats["numeracy"]["score"] == pytest.approx(0.5)  # drawn counts are exact, blank ones find nothing
    assert all(c["images_per_prompt"] == 1 for c in cats.values())
    assert summary["non_official"] == ["spatial", "numeracy", "complex"]
    assert "2D-Spatial †" in (tmp_path / "r" / "table.md").read_text()
    rows = read_jsonl(tmp_path / "r" / "color" / "results.jsonl")
    assert rows[0]["details"]["questions"] == [q + "?" for q in rows[0]["prompt"].split(" and ")]
    assert rows[0]["provenance"]["chunker"] in ("builtin",) or rows[0]["provenance"]["chunker"].startswith("spacy")
    spatial = read_jsonl(tmp_path / "r" / "spatial" / "results.jsonl")
    assert all(r["score"] == 0 for r in spatial if r["index"] % 2)  # nothing drawn, nothing found
    assert read_jsonl(tmp_path / "r" / "raw" / "detections.jsonl")[0]["objects"] is not None


def test_rescoring_from_raw_in_both_modes(toy_folder, tmp_path):
    assert evaluate(toy_folder, tmp_path, "c").exit_code == 0
    assert evaluate(toy_folder, tmp_path, "o", "--mode", "official").exit_code == 0
    result = cli("runs", "rescore", tmp_path / "c", "-o", "mode=official", "--out", tmp_path / "re")
    assert result.exit_code == 0, result.output
    official, rescored = (read_json(tmp_path / d / "summary.json") for d in ("o", "re"))
    assert {k: v["score"] for k, v in rescored["categories"].items()} == \
        {k: v["score"] for k, v in official["categories"].items()}
    # "a … on the top of a …" asks "the top?" officially (the official drop list lacks it): complex differs
    corrected = read_json(tmp_path / "c" / "summary.json")["categories"]
    assert official["categories"]["complex"]["score"] != corrected["complex"]["score"]
    assert cli("eval", "t2i", "--raw", tmp_path / "c" / "raw", "--prompts", "toy-t2i", "--results", tmp_path,
               "--run-id", "from-raw").exit_code == 0
    again = read_json(tmp_path / "from-raw" / "summary.json")["categories"]
    assert {k: v["score"] for k, v in again.items()} == {k: v["score"] for k, v in corrected.items()}


def test_resume_asks_only_what_is_missing(toy_folder, tmp_path):
    VQA_MODELS.register("toy", lambda spec: CountingVQA(), replace=True)
    try:
        assert evaluate(toy_folder, tmp_path, "x", "--category", "color").exit_code == 0
        first = CountingVQA.asked
        log = tmp_path / "x" / "raw" / "vqa.jsonl"
        lines = log.read_text().splitlines(keepends=True)
        log.write_text("".join(lines[:-3]))
        assert evaluate(toy_folder, tmp_path, "x", "--category", "color").exit_code == 0
        assert CountingVQA.asked - first == 3 and len(read_jsonl(log)) == len(lines)
    finally:
        VQA_MODELS.register("toy", "rgbench.toy.judges:build_toy_vqa", replace=True)


def test_bad_files_are_counted_with_reasons(toy_folder, tmp_path):
    folder = tmp_path / "images" / "color" / "samples"
    folder.mkdir(parents=True)
    items = load_prompt_set("toy-t2i:color").items
    good = toy_folder / T2ILayout().image_ref(items[0], 0, 1)  # drawn
    (folder / good.name).write_bytes(good.read_bytes())
    (folder / "no index.png").write_bytes(good.read_bytes())
    (folder / good.name.replace(".png", ".jpg")).write_bytes(good.read_bytes())
    (folder / "a purple unicorn_000009.png").write_bytes(good.read_bytes())
    (tmp_path / "images" / T2ILayout().image_ref(items[2], 0, 1)).write_bytes(b"broken")
    result = evaluate(tmp_path / "images", tmp_path, "bad", "--category", "color")
    assert result.exit_code == 0, result.output
    failures = [f["error"] for f in read_jsonl(tmp_path / "bad" / "color" / "failures.jsonl")]
    assert len(failures) == 4
    for reason in ("not <prompt>_<index>.png", "not a PNG", "prompt not in color_val.txt", "unreadable image"):
        assert any(reason in f for f in failures), (reason, failures)
    assert read_json(tmp_path / "bad" / "summary.json")["categories"]["color"] == {
        "score": pytest.approx(round(0.98 * 0.98, 4)), "images": 1, "prompts": 1, "images_per_prompt": 1,
        "failed": 4, "official_detector": True, "no_question": 0, "parsed": {"recorded": 1, "reparsed": 0}}
    broken = tmp_path / "images" / T2ILayout().image_ref(items[2], 0, 1)  # the broken image is replaced
    broken.write_bytes((toy_folder / T2ILayout().image_ref(items[2], 0, 1)).read_bytes())
    assert evaluate(tmp_path / "images", tmp_path, "bad", "--category", "color").exit_code == 0
    assert read_json(tmp_path / "bad" / "summary.json")["categories"]["color"]["images"] == 2


class RefusingChunker:
    """A chunker that fails if anything parses a prompt."""

    name = "refusing"

    def noun_chunks(self, text):
        raise AssertionError(f"re-parsed {text!r}")

    tagged = noun_chunks


def test_rescoring_reads_the_recorded_parses_and_the_score_cut(toy_folder, tmp_path, monkeypatch):
    assert evaluate(toy_folder, tmp_path, "p").exit_code == 0
    parsed = read_jsonl(tmp_path / "p" / "raw" / "parsed.jsonl")
    assert len(parsed) == len(TOY_CATEGORIES) * PER_CATEGORY
    spatial = next(r for r in parsed if r["category"] == "spatial")
    a, b = spatial["objects"]["official"]  # "a diamond next to a square" → ["diamond", "square"]
    assert spatial["prompt"].startswith(f"a {a} ") and spatial["prompt"].endswith(f" {b}")
    assert spatial["relation"] in spatial["prompt"] and spatial["objects"]["corrected"] == [a, b]
    first = read_json(tmp_path / "p" / "summary.json")
    assert first["score_threshold"] == 0.1 and first["warnings"] == []
    scores = {k: v["score"] for k, v in first["categories"].items()}
    monkeypatch.setitem(t2i_eval.CHUNKERS, "auto", RefusingChunker)  # re-scoring must not parse a prompt
    assert cli("runs", "rescore", tmp_path / "p", "--out", tmp_path / "re").exit_code == 0
    assert {k: v["score"] for k, v in read_json(tmp_path / "re" / "summary.json")["categories"].items()} == scores
    # the detector score cut is a re-scoring option: above 1.0 nothing is kept, so no object is ever found
    assert cli("runs", "rescore", tmp_path / "p", "-o", "score_threshold=1.0", "--out", tmp_path / "cut").exit_code == 0
    cut = read_json(tmp_path / "cut" / "summary.json")
    assert cut["score_threshold"] == 1.0 and cut["categories"]["spatial"]["score"] == 0
    assert cut["categories"]["numeracy"]["score"] == 0 and cut["categories"]["color"]["score"] == scores["color"]
    assert read_jsonl(tmp_path / "cut" / "spatial" / "results.jsonl")[0]["provenance"]["score_threshold"] == 1.0
    # a raw folder from before parse records: the prompts are parsed again, and the summary says so
    monkeypatch.undo()
    (tmp_path / "p" / "raw" / "parsed.jsonl").unlink()
    assert cli("runs", "rescore", tmp_path / "p", "--out", tmp_path / "old").exit_code == 0
    old = read_json(tmp_path / "old" / "summary.json")
    assert {k: v["score"] for k, v in old["categories"].items()} == scores
    assert all(c["parsed"] == {"recorded": 0, "reparsed": PER_CATEGORY} for c in old["categories"].values())
    assert len(old["warnings"]) == len(TOY_CATEGORIES) and "re-parsed" in old["warnings"][0]


def test_an_image_whose_prompt_has_no_noun_chunk_scores_one_and_is_counted():
    # the official asks an empty question for each missing noun phrase and sets its factor to 1: 1.0 in all
    entry = Entry("color/samples/shiny_000000.png", "color", "shiny", 0)
    parse = t2i_eval.Parse("builtin", chunks=[]).record(entry)
    raw = t2i_eval.index_raw([], [], [], [], [parse])  # no VQA record: nothing was asked
    data = t2i_eval.CategoryData(["shiny"])
    assert t2i_eval.entries_from_raw(raw, "color", data) == [entry]  # named by its parse record alone
    rows, failures = t2i_eval.score_category([entry], data, raw, t2i_eval.T2IConfig(), phrases.BuiltinChunker(), {})
    assert failures == [] and rows[0]["score"] == 1.0 and rows[0]["details"]["questions"] == []
    assert t2i_eval.category_entry("color", rows, failures)["no_question"] == 1


def test_unknown_category_and_3d_are_clear_errors(toy_folder, tmp_path):
    assert "did you mean 'color'" in evaluate(toy_folder, tmp_path, "e", "--category", "colour").text
    assert "depth model" in evaluate(toy_folder, tmp_path, "e", "--category", "3d_spatial").text
    assert "give --images" in cli("eval", "t2i").text



def test_tiny_blip_and_clip_score_real_prompts(tmp_path):
    from rgbench.geneval.tiny import save_tiny_clip
    from rgbench.vlm.tiny_blip import save_tiny_blip_vqa

    rng = np.random.default_rng(0)
    for cat in ("color", "non_spatial"):
        for item in load_prompt_set(f"t2i:{cat}").items[:2]:
            save_png_atomic(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8),
                            tmp_path / "images" / T2ILayout().image_ref(item, 0, 1))
    blip, clip = save_tiny_blip_vqa(tmp_path / "blip"), save_tiny_clip(tmp_path / "clip")
    for cat in ("color", "non_spatial"):
        result = cli("eval", "t2i", "--images", tmp_path / "images", "--category", cat, "--backend", "hf",
                     "--vqa-model", blip, "--clip-model", clip, "--results", tmp_path, "--run-id", cat)
        assert result.exit_code == 0, result.output
    vqa = read_jsonl(tmp_path / "color" / "raw" / "vqa.jsonl")
    assert len(vqa) == 4 and all(0 <= r["p_yes"] <= 1 and r["backend"].endswith("-t2i") for r in vqa)
    rows = read_jsonl(tmp_path / "color" / "color" / "results.jsonl")
    for row in rows:
        p = [r["p_yes"] for r in sorted(vqa, key=lambda r: r["k"]) if r["filename"] == row["filename"]]
        assert row["score"] == rules.attribute_score(p)
    result = cli("eval", "t2i", "--images", tmp_path / "images", "--category", "non_spatial", "--backend", "hf",
                 "--clip-backend", "open_clip", "--clip-model", clip, "--results", tmp_path, "--run-id", "oc")
    assert result.exit_code == 2 and "needs open_clip" in result.text  # torchvision, hence open_clip, is absent here
    sims = read_jsonl(tmp_path / "non_spatial" / "raw" / "clip.jsonl")
    assert len(sims) == 2 and all(-1 <= r["similarity"] <= 1 for r in sims)
    summary = read_json(tmp_path / "non_spatial" / "summary.json")["categories"]["non_spatial"]
    assert summary["score"] == pytest.approx(sum(r["similarity"] for r in sims) / 2)
