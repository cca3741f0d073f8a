"""The re-scoring convention, with a fake benchmark: verdicts and summary come back from raw/ alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from rgbench.results import read_jsonl
from rgbench.runs import Run
from rgbench.scoring import BENCHMARKS, rescore_run


class ThresholdBench:
    """A detection is correct when its score is above a threshold (0.3 'official', 0.5 'strict')."""

    name, version, raw_logs = "fake-threshold", "1", ("detections",)

    def score(self, raw, options):
        cut = {"official": 0.3, "strict": 0.5}[options.get("mode", "official")]
        return [{"key": r["key"], "correct": r["score"] > cut} for r in raw["detections"]]

    def summarize(self, rows, options):
        return {"accuracy": sum(r["correct"] for r in rows) / len(rows), "aggregate": "micro"}


@dataclass
class EvalCfg:
    mode: str = "official"


@pytest.fixture
def eval_run(results_dir: Path) -> Path:
    BENCHMARKS.register("fake-threshold", ThresholdBench(), replace=True)
    bench = BENCHMARKS.get("fake-threshold")
    with Run.open(results_dir, "ev", EvalCfg(), kind="eval", seed=0,
                  provenance={"benchmark": bench.name, "benchmark_version": bench.version, "backend": "fake"}) as run:
        raw = [{"key": str(i), "score": s, "backend": "fake"} for i, s in enumerate([0.2, 0.4, 0.6, 0.9])]
        run.raw("detections").append(raw)
        rows = bench.score({"detections": raw}, {})
        run.samples.append(rows)
        run.write_summary(bench.summarize(rows, {}))
    return results_dir / "ev"


def test_rescore_reproduces_the_run_and_applies_other_modes(eval_run: Path):
    summary = rescore_run(eval_run)
    original = json.loads((eval_run / "summary.json").read_text())
    assert summary["accuracy"] == original["accuracy"] == 0.75
    assert read_jsonl(eval_run / "rescored" / "samples.jsonl") == read_jsonl(eval_run / "samples.jsonl")
    strict = rescore_run(eval_run, {"mode": "strict"}, out=eval_run / "strict")
    assert strict["accuracy"] == 0.5
    written = json.loads((eval_run / "strict" / "summary.json").read_text())
    assert written["options"] == {"mode": "strict"} and written["benchmark_version"] == "1"


def test_rescore_needs_the_raw_log(eval_run: Path):
    (eval_run / "raw" / "detections.jsonl").unlink()
    with pytest.raises(FileNotFoundError, match="detections.jsonl is missing"):
        rescore_run(eval_run)
