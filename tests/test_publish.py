"""`rgbench publish`: a reproduction folder → a folder to commit (small text + figures, no weights or image dumps,
relative paths, PROVENANCE.md naming the command and commit)."""

import json

from rgbench.publish import publishable
from rgbench.results import read_json
from tests.helpers.cli import invoke


def fake_reproduction(root):
    files = {"summary.json": json.dumps({"tables": {"toy-geneval": f"{root}/tables/toy-geneval.md"}}),
             "stages.jsonl": json.dumps({"stage": "s0/sft", "outputs": {}, "seconds": 12.5}) + "\n"
             + json.dumps({"stage": "analysis/tables", "outputs": {}, "seconds": 1, "git": {"commit": "def456",
                                                                                          "dirty": False}}) + "\n",
             "tables/toy-geneval.md": "| Method |\n", "tables/toy-geneval-bars.png": "PNG",
             "report/index.html": "<html></html>", "report/img/base-00000.png": "PNG",
             "runs/sft-s0/meta.json": json.dumps({"git": {"commit": "abc123", "dirty": False}}),
             "runs/sft-s0/model/model.safetensors": "weights", "runs/sft-s0/checkpoint/state.pt": "state",
             "runs/sft-s0/metrics.jsonl": "{}\n", "gen/base-s0/toy-geneval/00000/samples/0000.png": "PNG",
             "gen/base-s0/toy-geneval/cot.jsonl": "{}\n", "runs/sft-s0/huge.jsonl": "x" * 3000}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_publish_keeps_text_and_figures_and_records_provenance(tmp_path):
    root, dest = tmp_path / "repro", tmp_path / "results" / "toy"
    fake_reproduction(root)
    (dest / "stale").mkdir(parents=True)  # a previous publication is replaced, not merged
    (dest / "publish.json").write_text("{}")
    result = invoke(["publish", str(root), str(dest), "--command", "rgbench reproduce --seeds 3",
                                      "--max-file-mb", "0.002"])
    assert result.exit_code == 0, result.output
    kept = {str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()}
    assert kept == {"summary.json", "stages.jsonl", "tables/toy-geneval.md", "tables/toy-geneval-bars.png",
                    "report/index.html", "report/img/base-00000.png", "runs/sft-s0/meta.json",
                    "runs/sft-s0/metrics.jsonl", "publish.json", "PROVENANCE.md"}
    assert read_json(dest / "summary.json")["tables"]["toy-geneval"] == "tables/toy-geneval.md"  # made relative
    record = read_json(dest / "publish.json")
    assert record["left_out"] == {"weights or image dump": 2, "generated image": 1,
                                  "per-item record (--raw keeps it)": 2}
    # --raw keeps the per-item records too, except what is over the size limit
    result = invoke(["publish", str(root), str(dest), "--raw", "--max-file-mb", "0.002",
                                      "--command", "rgbench reproduce --seeds 3"])
    assert result.exit_code == 0, result.output
    assert (dest / "gen/base-s0/toy-geneval/cot.jsonl").is_file() and not (dest / "runs/sft-s0/huge.jsonl").exists()
    assert read_json(dest / "publish.json")["left_out"]["larger than 0.002 MB"] == 1
    text = (dest / "PROVENANCE.md").read_text()
    assert ("Made by `rgbench reproduce --seeds 3` at commit `abc123` (1 runs, 0 stages recorded it), `def456` "
            "(0 runs, 1 stages recorded it)." in text) and "14 s" in text


def test_publish_refuses_unfinished_or_nested_folders(tmp_path):
    (tmp_path / "repro").mkdir()
    result = invoke(["publish", str(tmp_path / "repro"), str(tmp_path / "out")])
    assert result.exit_code != 0 and "not a finished reproduction" in result.text
    fake_reproduction(tmp_path / "repro")
    for nested in (tmp_path / "repro" / "pub", tmp_path):  # inside the reproduction, or above it
        result = invoke(["publish", str(tmp_path / "repro"), str(nested)])
        assert result.exit_code != 0 and "outside the reproduction" in result.text
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("keep me")  # a folder that is not an earlier publication
    result = invoke(["publish", str(tmp_path / "repro"), str(tmp_path / "mine")])
    assert result.exit_code != 0 and "not an earlier publication" in result.text
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "keep me"


def test_publishable_rules():
    from pathlib import Path

    assert publishable(Path("curves/entropy.svg")) is None and publishable(Path("benchmark.json")) is None
    assert publishable(Path("runs/eval-toy-t2i-sft-s0/color/summary.json")) is None
    assert publishable(Path("runs/eval-toy-dpg-sft-s0/raw/answers.jsonl")) == "per-item record (--raw keeps it)"
    assert publishable(Path("runs/eval-toy-dpg-sft-s0/raw/answers.jsonl"), raw=True) is None
    assert publishable(Path("gen/sft-s0/toy-t2i/color/samples/a_000000.png")) == "generated image"
    assert publishable(Path("runs/grpo-main-s0/model/config.json")) == "weights or image dump"
    assert publishable(Path("runs/x/file.lock")) == "not a text or figure file (.lock)"
    assert publishable(Path("plans/plans.md")) is None and publishable(Path("plans/gold-sft.md")) is None
    assert publishable(Path("plans/s0/sft.jsonl")) == "per-item record (--raw keeps it)"
