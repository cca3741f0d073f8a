"""The re-scoring convention every evaluator follows.

An evaluation run writes two kinds of records into its run folder:
* `raw/<log>.jsonl`: the raw model outputs, one record per model call (detections with class, box, score and
  mask/colour; VQA answers with P(yes); similarities), each keyed and stamped with the backend that made it;
* `samples.jsonl`: the per-sample verdicts, derived from the raw records by the benchmark's pure `score`.

`score` and `summarize` are pure functions of records: no model, no file, no randomness. So `rescore_run`
(and `rgbench runs rescore`) recomputes every verdict and the summary from `raw/` alone, e.g. to apply a
corrected rule, another mode, or to check the official numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from rgbench.registry import Registry
from rgbench.results import dumps_row, read_json, read_jsonl, write_atomic, write_json

Record = dict[str, Any]


class Benchmark(Protocol):
    """A benchmark's scoring side. Registered in BENCHMARKS under `name`."""

    name: str
    version: str  # bumped whenever prompts, templates or scoring rules change
    raw_logs: tuple[str, ...]  # names of the raw/<log>.jsonl files score() reads

    def score(self, raw: dict[str, list[Record]], options: dict[str, Any]) -> list[Record]:
        """Raw model records (by log name) → one verdict row per sample, each with a `key`."""
        ...

    def summarize(self, rows: list[Record], options: dict[str, Any]) -> dict[str, Any]:
        """Verdict rows → summary; says whether each aggregate is a macro or micro mean."""
        ...

    # Optional: `rescore(run_dir, options, out_dir) -> summary`, for a benchmark whose outputs have a public
    # layout of their own (GenEval's results.jsonl); `rescore_run` then leaves the writing to it.


BENCHMARKS: Registry[Benchmark] = Registry("benchmark")
BENCHMARKS.register("geneval", "rgbench.geneval.evaluate:BENCHMARK")
BENCHMARKS.register("dpg", "rgbench.dpg.evaluate:BENCHMARK")
BENCHMARKS.register("t2i", "rgbench.t2i.evaluate:BENCHMARK")


def load_raw(run_dir: Path, logs: tuple[str, ...]) -> dict[str, list[Record]]:
    raw = {}
    for name in logs:
        path = run_dir / "raw" / f"{name}.jsonl"
        if not path.exists():
            raise FileNotFoundError(f"{run_dir}: raw log {path.name} is missing; it cannot be re-scored")
        raw[name] = read_jsonl(path)
    return raw


def rescore_run(run_dir: str | Path, options: dict[str, Any] | None = None, out: str | Path | None = None) -> dict[str, Any]:
    """Recompute verdicts and summary of a finished run from its raw records; no model is loaded.

    Writes `<out>/samples.jsonl` and `<out>/summary.json` (default `<run>/rescored/`) and returns the summary.
    """
    run_dir = Path(run_dir)
    meta = read_json(run_dir / "meta.json")
    name = meta.get("provenance", {}).get("benchmark")
    if not name:
        raise ValueError(f"{run_dir} is not an evaluation run (meta.json names no benchmark)")
    bench = BENCHMARKS.get(name)
    opts = dict(options or {})
    out_dir = Path(out) if out else run_dir / "rescored"
    if hasattr(bench, "rescore"):  # a benchmark whose outputs have their own public layout writes them itself
        return bench.rescore(run_dir, opts, out_dir)
    rows = bench.score(load_raw(run_dir, bench.raw_logs), opts)
    summary = bench.summarize(rows, opts)
    write_atomic(out_dir / "samples.jsonl", "".join(dumps_row(r) + "\n" for r in rows))
    write_json(out_dir / "summary.json", {**summary, "rescored_from": str(run_dir), "options": opts,
                                          "benchmark": name, "benchmark_version": bench.version})
    return summary
