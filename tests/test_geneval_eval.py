"""`rgbench eval geneval` end to end on toy-world images with the toy backends: scores, resume, shards + merge,
re-scoring from the detections file, and bad input counted with reasons."""

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from rgbench.backends import BackendSpec
from rgbench.geneval.detection import COLORS, DETECTORS
from rgbench.geneval.evaluate import Batching, GenEvalConfig, evaluate_run
from rgbench.geneval.layout import GenEvalLayout
from rgbench.prompt_sets import load_prompt_set
from rgbench.results import read_json, read_jsonl
from rgbench.runs import Run
from rgbench.toy.render import render
from rgbench.toy.sampler import scene_for
from rgbench.toy.spec import parse_prompt
from rgbench.toy.vision import ToyDetector
from rgbench.toy.world import BACKGROUND, WorldConfig
from tests.helpers.cli import invoke


@pytest.fixture(scope="module")
def toy_folder(tmp_path_factory) -> Path:
    """All toy GenEval prompts, one image each: even prompts get a correct render, odd ones a blank canvas."""
    out = tmp_path_factory.mktemp("geneval-images")
    world, rng = WorldConfig(), random.Random(0)
    blank = np.zeros((world.canvas, world.canvas, 3), np.uint8) + np.array(BACKGROUND, np.uint8)
    for item in load_prompt_set("toy-geneval").items:
        image = render(scene_for(parse_prompt(item.prompt), world, rng), world) if item.index % 2 == 0 else blank
        GenEvalLayout().write(out, item, [image])
    return out


def expected_accuracies() -> dict[str, float]:
    by_tag: dict[str, list[bool]] = {}
    for item in load_prompt_set("toy-geneval").items:
        by_tag.setdefault(item.record["tag"], []).append(item.index % 2 == 0)
    return {tag: sum(v) / len(v) for tag, v in by_tag.items()}


def cli(*args):
    result = invoke(["--quiet", *args])
    return result


def test_end_to_end_scores_match_what_was_drawn(toy_folder, tmp_path):
    result = cli("eval", "geneval", "--images", toy_folder, "--results", tmp_path, "--run-id", "r")
    assert result.exit_code == 0, result.output
    summary = read_json(tmp_path / "r" / "summary.json")
    want = expected_accuracies()
    assert {t: v["accuracy"] for t, v in summary["tasks"].items()} == pytest.approx(want)
    assert summary["overall"] == pytest.approx(sum(want.values()) / 6)
    assert summary["complete"] and summary["benchmark_version"] == load_prompt_set("toy-geneval").version
    rows = read_jsonl(tmp_path / "r" / "results.jsonl")
    assert len(rows) == 159 and {"filename", "tag", "prompt", "correct", "reason", "metadata", "details"} <= set(rows[0])
    assert rows[0]["provenance"]["detector"] == "toy" and rows[0]["provenance"]["scorer_version"]
    detections = read_jsonl(tmp_path / "r" / "raw" / "detections.jsonl")
    assert len(detections) == 159 and {"filename", "width", "height", "objects"} <= set(detections[0])
    colour_rows = [d for d in detections if d["metadata"]["tag"] == "colors" and d["objects"]]
    assert colour_rows and all(o["color"] for d in colour_rows for o in d["objects"])
    assert "| Method | Single Obj." in (tmp_path / "r" / "table.md").read_text()


def test_rescoring_the_detections_gives_the_same_decisions(toy_folder, tmp_path):
    assert cli("eval", "geneval", "--images", toy_folder, "--results", tmp_path, "--run-id", "a").exit_code == 0
    det = tmp_path / "a" / "raw" / "detections.jsonl"
    again = cli("eval", "geneval", "--detections", det, "--results", tmp_path, "--run-id", "b")
    assert again.exit_code == 0, again.output
    strip = lambda rows: [{k: v for k, v in r.items() if k != "provenance"} for r in rows]  # noqa: E731
    assert strip(read_jsonl(tmp_path / "a" / "results.jsonl")) == strip(read_jsonl(tmp_path / "b" / "results.jsonl"))
    # another option changes decisions without a model: a counting threshold of 1.0 fails every counting image
    strict = cli("eval", "geneval", "--detections", det, "--option", "counting_threshold=1.0",
                 "--results", tmp_path, "--run-id", "c")
    assert strict.exit_code == 0
    assert read_json(tmp_path / "c" / "summary.json")["tasks"]["counting"]["accuracy"] == 0
    # a threshold below the floor the detections were written with cannot be scored
    low = cli("eval", "geneval", "--detections", det, "--option", "threshold=0.05", "--results", tmp_path, "--run-id", "d")
    assert low.exit_code == 2 and "floor" in low.text
    # `rgbench runs rescore` goes through the same rules
    out = cli("runs", "rescore", str(tmp_path / "a"), "--out", tmp_path / "re")
    assert out.exit_code == 0, out.output
    assert read_json(tmp_path / "re" / "summary.json")["overall"] == read_json(tmp_path / "a" / "summary.json")["overall"]


def test_detections_without_metadata_find_it_through_the_folder(toy_folder, tmp_path):
    assert cli("eval", "geneval", "--images", toy_folder, "--results", tmp_path, "--run-id", "a", "--limit", "10").exit_code == 0
    bare = tmp_path / "bare.jsonl"
    bare.write_text("".join(json.dumps({k: r[k] for k in ("filename", "width", "height", "objects")}) + "\n"
                            for r in read_jsonl(tmp_path / "a" / "raw" / "detections.jsonl")))
    no_folder = cli("eval", "geneval", "--detections", bare, "--results", tmp_path, "--run-id", "b")
    assert no_folder.exit_code == 0 and read_json(tmp_path / "b" / "summary.json")["failures"]["count"] == 10
    found = cli("eval", "geneval", "--detections", bare, "--images", toy_folder, "--results", tmp_path, "--run-id", "c")
    assert found.exit_code == 0
    assert read_json(tmp_path / "c" / "summary.json")["overall"] == read_json(tmp_path / "a" / "summary.json")["overall"]


def test_shards_merge_to_the_unsharded_result(toy_folder, tmp_path):
    assert cli("eval", "geneval", "--images", toy_folder, "--results", tmp_path, "--run-id", "all").exit_code == 0
    for i in range(2):
        assert cli("eval", "geneval", "--images", toy_folder, "--shard", f"{i}/2", "--results", tmp_path,
                   "--run-id", f"s{i}").exit_code == 0
    assert not read_json(tmp_path / "s0" / "summary.json")["complete"]  # half the prompts are missing
    merged = cli("eval", "geneval", "--detections", tmp_path / "s0/raw/detections.jsonl",
                 "--detections", tmp_path / "s1/raw/detections.jsonl", "--results", tmp_path, "--run-id", "m")
    assert merged.exit_code == 0, merged.output
    a, m = read_json(tmp_path / "all" / "summary.json"), read_json(tmp_path / "m" / "summary.json")
    assert m["complete"] and (m["overall"], m["tasks"]) == (a["overall"], a["tasks"])


class CountingToy(ToyDetector):
    """The toy detector that counts images and can be told to die after some calls."""

    calls = 0
    images = 0
    die_after: int | None = None

    def detect(self, images):
        if CountingToy.die_after is not None and CountingToy.calls >= CountingToy.die_after:
            raise KeyboardInterrupt
        CountingToy.calls += 1
        CountingToy.images += len(images)
        return super().detect(images)


def test_resume_detects_only_what_is_missing(toy_folder, tmp_path):
    DETECTORS.register("counting-toy", lambda spec: CountingToy(), replace=True)
    cfg = GenEvalConfig(images=str(toy_folder), detector="counting-toy", limit=40)
    CountingToy.calls, CountingToy.images, CountingToy.die_after = 0, 0, 2
    with pytest.raises(KeyboardInterrupt), Run.open(tmp_path, "r", cfg, kind="eval-geneval", seed=None,
                                                    samples_file="results.jsonl") as run:
        evaluate_run(run, cfg, BackendSpec(), Batching(step=16))
    assert len(read_jsonl(tmp_path / "r" / "raw" / "detections.jsonl")) == 32
    CountingToy.images, CountingToy.die_after = 0, None
    with Run.open(tmp_path, "r", cfg, kind="eval-geneval", seed=None, samples_file="results.jsonl") as run:
        summary = evaluate_run(run, cfg, BackendSpec(), Batching(step=16))
    assert CountingToy.images == 8 and summary["images"] == 40
    assert read_json(tmp_path / "r" / "meta.json")["status"] == "complete"


def test_bad_input_is_counted_with_reasons(toy_folder, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(toy_folder, bad)
    (bad / "00000/samples/0001.jpg").write_bytes((bad / "00000/samples/0000.png").read_bytes())
    (bad / "00001/samples/0000.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (bad / "00002/metadata.jsonl").unlink()
    (bad / "00003/metadata.jsonl").write_text("{not json")
    shutil.rmtree(bad / "00004/samples")
    (bad / "notes").mkdir()
    result = cli("eval", "geneval", "--images", bad, "--results", tmp_path, "--run-id", "r")
    assert result.exit_code == 0, result.output
    summary = read_json(tmp_path / "r" / "summary.json")
    failures = {f["filename"]: f["error"] for f in read_jsonl(tmp_path / "r" / "failures.jsonl")}
    assert "not a PNG" in failures["00000/samples/0001.jpg"] and "skip" in failures["00000/samples/0001.jpg"]
    assert failures["00001/samples/0000.png"].startswith("unreadable image")
    assert "metadata.jsonl is missing" in failures["00002/samples/0000.png"]
    assert "not one JSON object" in failures["00003/samples/0000.png"]
    assert failures["00004/samples/"].startswith("no images")
    assert summary["failures"]["count"] == 5 and summary["images"] == 159 - 4
    assert summary["missing_prompts"] == 4 and not summary["complete"] and summary["ignored_folders"] == ["notes"]
    assert "could not be scored" in result.text and "official scorer skips such files" in result.text
    # the files are fixed: a rerun of the same command re-checks every failure and scores what is now readable
    (bad / "00001/samples/0000.png").write_bytes((toy_folder / "00001/samples/0000.png").read_bytes())
    shutil.copyfile(toy_folder / "00003/metadata.jsonl", bad / "00003/metadata.jsonl")
    again = cli("eval", "geneval", "--images", bad, "--results", tmp_path, "--run-id", "r")
    assert again.exit_code == 0, again.output
    failures = {f["filename"]: f["error"] for f in read_jsonl(tmp_path / "r" / "failures.jsonl")}
    assert set(failures) == {"00000/samples/0001.jpg", "00002/samples/0000.png", "00004/samples/"}
    assert read_json(tmp_path / "r" / "summary.json")["images"] == 159 - 2
    detections = read_jsonl(tmp_path / "r" / "raw" / "detections.jsonl")
    assert len(detections) == len({d["filename"] for d in detections})  # one record per file, never two


def test_empty_folder_and_missing_arguments_are_clear_errors(tmp_path):
    empty = cli("eval", "geneval", "--images", tmp_path, "--results", tmp_path / "res")
    assert empty.exit_code == 2 and "no GenEval prompt folders" in empty.text
    neither = cli("eval", "geneval", "--results", tmp_path / "res")
    assert neither.exit_code == 2 and "--images" in neither.text
    unknown = cli("eval", "geneval", "--images", tmp_path, "--backend", "mask2formr")
    assert unknown.exit_code == 2 and "did you mean 'mask2former'" in unknown.text


def test_tiny_mask2former_and_clip_run_end_to_end(tmp_path):
    """The transformers backends (tiny random weights, loaded with from_pretrained) through the whole command,
    on official GenEval prompts with random images."""
    from rgbench.geneval.tiny import save_tiny_clip, save_tiny_mask2former

    images, rng = tmp_path / "images", np.random.default_rng(0)
    items = load_prompt_set("geneval").items
    for index in (259, 453, 500):  # colors, color_attr, color_attr
        GenEvalLayout().write(images, items[index], [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)])
    m2f, clip = save_tiny_mask2former(tmp_path / "m2f"), save_tiny_clip(tmp_path / "clip")
    result = cli("eval", "geneval", "--images", images, "--backend", "mask2former", "--detector-model", m2f,
                 "--color-model", clip, "--floor", "0.0", "--results", tmp_path, "--run-id", "r")
    assert result.exit_code == 0, result.output
    detections = read_jsonl(tmp_path / "r" / "raw" / "detections.jsonl")
    assert len(detections) == 3 and all(d["detector"] == "mask2former" and d["color_classifier"] == "clip"
                                        for d in detections)
    assert all(len(d["objects"]) == 100 for d in detections)  # floor 0: mmdet's whole top-100
    classified = 0
    for d in detections:  # exactly the 16 most confident detections of each colour-clause class get a colour
        for clause in d["metadata"]["include"]:
            mine = [o for o in d["objects"] if o["label"] == clause["class"]]
            if "color" in clause:
                assert sum(o["color"] is not None for o in mine) == min(16, len(mine))
                classified += min(16, len(mine))
        assert all(o["color"] in (None, *COLORS) for o in d["objects"])
    assert classified > 0
    summary = read_json(tmp_path / "r" / "summary.json")
    assert summary["images"] == 3 and summary["benchmark_version"] == load_prompt_set("geneval").version
    assert summary["missing_prompts"] == 553 - 3 and not summary["complete"]
