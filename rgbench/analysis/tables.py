"""Paper-style tables from evaluation summaries: one row per method, mean ± std over its seeds' runs, plus quoted
reference rows (numbers from papers, marked as quoted, never mixed up with measured ones).

    # tables.yaml
    title: Toy GenEval, SFT vs RL            # optional
    benchmark: geneval                       # geneval | dpg | t2i (else read from the first summary)
    rows:
      - label: SFT
        runs: [results/eval-geneval-sft-s0, results/eval-geneval-sft-s1]     # run folders or summary.json files
      - label: Janus-Pro-7B
        quoted: {single_object: 0.99, two_object: 0.89, overall: 0.80}
        source: Janus-Pro paper, Table 4

    rgbench tables tables.yaml --out tables/      # → <name>.md, .csv, .tex and per-task bars <name>-bars.png, .svg

An ablation spec sets `benchmark: ablation` and gives each row its runs per benchmark
(`runs: {geneval: [...], dpg: [...], t2i: [...]}`).

The columns follow each paper: GenEval's six tasks + overall (the unweighted mean of the tasks), DPG-Bench's L1
categories + overall, T2I-CompBench's categories.

Ablation tables put one headline number per benchmark side by side (GenEval overall, DPG-Bench overall, the mean of
the T2I-CompBench categories that were scored): `ablation_rows` builds them from each row's runs per benchmark.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rgbench.dpg.scoring import PAPER_COLUMNS as DPG_COLUMNS
from rgbench.geneval.summary import PAPER_COLUMNS as GENEVAL_COLUMNS
from rgbench.results import read_json, write_atomic
from rgbench.t2i.evaluate import TABLE_COLUMNS as T2I_COLUMNS

ABLATION_COLUMNS = (("geneval", "GenEval overall"), ("dpg", "DPG-Bench overall"),
                    ("t2i", "T2I-CompBench (mean of categories)"))
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {  # each benchmark's own paper columns
    "geneval": GENEVAL_COLUMNS, "dpg": DPG_COLUMNS, "t2i": T2I_COLUMNS, "ablation": ABLATION_COLUMNS}
DIGITS = {"geneval": 3, "dpg": 2, "t2i": 4, "ablation": 3}


def benchmark_of(summary: Mapping[str, Any]) -> str:
    """Which benchmark wrote a summary.json."""
    if "tasks" in summary:
        return "geneval"
    if "l1" in summary:
        return "dpg"
    if "categories" in summary:
        return "t2i"
    raise ValueError("not a GenEval, DPG-Bench or T2I-CompBench summary (no tasks / l1 / categories)")


def values_of(summary: Mapping[str, Any]) -> dict[str, float | None]:
    """A summary → column key → value."""
    kind = benchmark_of(summary)
    if kind == "geneval":
        return {**{t: v["accuracy"] for t, v in summary["tasks"].items()}, "overall": summary["overall"]}
    if kind == "dpg":
        return {**summary["l1"], "overall": summary["overall"]}
    return {k: v["score"] for k, v in summary["categories"].items()}


def headline(summary: Mapping[str, Any]) -> float | None:
    """One number per benchmark run for ablation tables: GenEval / DPG-Bench overall; for T2I-CompBench (which has
    no official overall) the unweighted mean of the categories that were scored."""
    values = values_of(summary)
    if benchmark_of(summary) != "t2i":
        return values["overall"]
    scored = [v for v in values.values() if v is not None]
    return statistics.fmean(scored) if scored else None


def ablation_rows(entries: Sequence[tuple[str, Mapping[str, Sequence[str | Path]]]]) -> list[Row]:
    """(label, benchmark → run folders, one per seed) → rows with one headline value per benchmark and seed."""
    rows = []
    for label, by_bench in entries:
        row = Row(label)
        for runs in by_bench.values():
            for run in runs:
                summary = load_summary(run)
                value = headline(summary)
                if value is not None:
                    row.values.setdefault(benchmark_of(summary), []).append(float(value))
        if not row.values:
            raise ValueError(f"ablation row '{label}' has no runs with scores")
        rows.append(row)
    return rows


def load_summary(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    file = path / "summary.json" if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(f"no summary.json at {path}")
    return read_json(file)


@dataclass
class Row:
    label: str
    values: dict[str, list[float]] = field(default_factory=dict)  # column → one value per seed
    quoted: bool = False
    source: str = ""

    def mean(self, key: str) -> float | None:
        vals = self.values.get(key, [])
        return statistics.fmean(vals) if vals else None

    def std(self, key: str) -> float | None:
        vals = self.values.get(key, [])
        return statistics.stdev(vals) if len(vals) > 1 else None


def build_rows(spec: Mapping[str, Any]) -> tuple[str, list[Row]]:
    """The spec's rows, measured ones from their runs' summaries; checks every run is the same benchmark."""
    kind = spec.get("benchmark")
    rows = []
    for entry in spec.get("rows", []):
        if "quoted" in entry:
            rows.append(Row(entry["label"], {k: [float(v)] for k, v in entry["quoted"].items() if v is not None},
                            quoted=True, source=str(entry.get("source", ""))))
            continue
        if kind == "ablation":  # runs: {geneval: [...], dpg: [...], t2i: [...]}
            rows += ablation_rows([(entry["label"], entry.get("runs") or {})])
            continue
        row = Row(entry["label"])
        for run in entry.get("runs", []):
            summary = load_summary(run)
            found = benchmark_of(summary)
            kind = kind or found
            if found != kind:
                raise ValueError(f"{run} is a {found} summary in a {kind} table")
            for key, value in values_of(summary).items():
                if value is not None:
                    row.values.setdefault(key, []).append(float(value))
        if not row.values:
            raise ValueError(f"row '{entry['label']}' has no runs with scores")
        rows.append(row)
    if kind not in COLUMNS:
        raise ValueError(f"cannot tell the benchmark: set `benchmark:` to one of {', '.join(COLUMNS)}")
    return kind, rows


def cell(row: Row, key: str, digits: int, plus_minus: str = "±") -> str:
    mean, std = row.mean(key), row.std(key)
    if mean is None:
        return "–"
    text = f"{mean:.{digits}f}" + (f" {plus_minus} {std:.{digits}f}" if std is not None else "")
    return text


def label_of(row: Row) -> str:
    seeds = max((len(v) for v in row.values.values()), default=0)
    return f"{row.label} (quoted)" if row.quoted else f"{row.label}" + (f" (n={seeds})" if seeds > 1 else "")


def markdown(kind: str, rows: Sequence[Row], title: str = "") -> str:
    cols = COLUMNS[kind]
    lines = ([f"**{title}**", ""] if title else []) + [
        "| Method | " + " | ".join(name for _, name in cols) + " |", "|---|" + "---:|" * len(cols)]
    lines += [f"| {label_of(r)} | " + " | ".join(cell(r, k, DIGITS[kind]) for k, _ in cols) + " |" for r in rows]
    notes = [f"{r.label}: quoted from {r.source or 'the literature'}, not measured here" for r in rows if r.quoted]
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def csv_text(kind: str, rows: Sequence[Row]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    cols = COLUMNS[kind]
    writer.writerow(["method", "quoted", "seeds"] + [f"{k}{s}" for k, _ in cols for s in ("", "_std")])
    for r in rows:
        seeds = max((len(v) for v in r.values.values()), default=0)
        writer.writerow([r.label, r.quoted, seeds] + [x for k, _ in cols for x in (_num(r.mean(k)), _num(r.std(k)))])
    return buf.getvalue()


def _num(x: float | None) -> str:
    return "" if x is None else repr(x)


def latex(kind: str, rows: Sequence[Row], title: str = "") -> str:
    cols = COLUMNS[kind]
    head = " & ".join(["Method"] + [name for _, name in cols]) + r" \\"
    body = [" & ".join([_tex(label_of(r))] + [cell(r, k, DIGITS[kind], r"$\pm$") for k, _ in cols]) + r" \\"
            for r in rows]
    caption = f"\\caption{{{_tex(title)}}}\n" if title else ""
    return ("\\begin{table}[t]\n\\centering\n" + caption + "\\begin{tabular}{l" + "r" * len(cols) + "}\n\\toprule\n"
            + head + "\n\\midrule\n" + "\n".join(body) + "\n\\bottomrule\n\\end{tabular}\n\\end{table}\n")


def _tex(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#")):
        text = text.replace(a, b)
    return text


def write_table_files(stem: Path, kind: str, rows: Sequence[Row], title: str = "") -> str:
    """<stem>.md, <stem>.csv and <stem>.tex, each written atomically; returns the Markdown file."""
    write_atomic(Path(f"{stem}.md"), markdown(kind, rows, title))
    write_atomic(Path(f"{stem}.csv"), csv_text(kind, rows))
    write_atomic(Path(f"{stem}.tex"), latex(kind, rows, title))
    return f"{stem}.md"
