"""Publish a reproduction: copy the small, readable part of a `rgbench reproduce` folder into a folder meant for
version control (e.g. `results/toy/`), with a PROVENANCE.md that says which command and commit made it.

    rgbench publish /tmp/repro-toy results/toy --command "rgbench reproduce --preset toy --seeds 3"

Kept: summary.json, stages.jsonl, benchmark.json, tables/, curves/, cot-words/, report/ (with its gallery), the
plan diagnosis tables (plans/*.md, plans.json), and
each run's config, meta, summaries, metrics, failures and table, and each generation's generation.json. With
`raw=True` (`--raw`) also the per-item records: results.jsonl, raw model outputs, GRPO rollouts, cot.jsonl,
per-prompt metadata. Never: model weights and checkpoints, generated images outside the report's gallery, or any
file over `max_file_mb`. The reproduction's absolute folder is rewritten to relative paths in the text files.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rgbench.results import read_json, read_jsonl, write_atomic, write_json

FIGURE_DIRS = {"tables", "curves", "cot-words", "report"}  # their images are the point
TABLE_DIRS = {"plans"}  # the tables directly inside are kept; the per-item records below them only with raw
SKIPPED_DIRS = {"checkpoint", "model", "images"}  # weights; rollout image dumps
RUN_RECORDS = {"summary.json", "config.yaml", "meta.json", "metrics.jsonl", "failures.jsonl", "table.md",
               "leakage.json", "generation.json"}  # small, one per run (or per T2I category)
TEXT_SUFFIXES = {".json", ".jsonl", ".md", ".yaml", ".csv", ".tex", ".html", ".svg", ".txt"}
BINARY_SUFFIXES = {".png", ".jpg", ".jpeg"}


def publishable(rel: Path, raw: bool = False) -> str | None:
    """Why a file (relative to the reproduction) is left out, or None to keep it."""
    if any(part in SKIPPED_DIRS for part in rel.parts[:-1]):
        return "weights or image dump"
    top = rel.parts[0] if len(rel.parts) > 1 else ""
    if top in FIGURE_DIRS:
        return None if rel.suffix in TEXT_SUFFIXES | BINARY_SUFFIXES else f"not a text or figure file ({rel.suffix})"
    if rel.suffix in BINARY_SUFFIXES:
        return "generated image"
    if rel.suffix not in TEXT_SUFFIXES:
        return f"not a text or figure file ({rel.suffix or 'no suffix'})"
    if not top or rel.name in RUN_RECORDS or raw or (top in TABLE_DIRS and len(rel.parts) == 2):
        return None
    return "per-item record (--raw keeps it)"


def walk(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path.relative_to(root)


def publish(root: Path, dest: Path, command: str, max_file_mb: float = 5.0, raw: bool = False) -> dict[str, Any]:
    """Copy root's publishable files into dest (replacing an earlier publication there; any other non-empty folder
    is refused); returns what was done."""
    root, dest = root.resolve(), dest.resolve()
    if not (root / "summary.json").is_file():
        raise FileNotFoundError(f"{root} is not a finished reproduction (no summary.json)")
    if dest == root or root in dest.parents or dest in root.parents:
        raise ValueError(f"publish into a folder outside the reproduction (and not above it), not {dest}")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / "publish.json").is_file():
        raise ValueError(f"{dest} holds files and no publish.json: not an earlier publication, so it is not replaced")
    staging = dest.with_name(dest.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    kept, left_out, total = 0, {}, 0
    for rel in walk(root):
        reason = publishable(rel, raw)
        size = (root / rel).stat().st_size
        if reason is None and size > max_file_mb * 2**20:
            reason = f"larger than {max_file_mb} MB"
        if reason:
            left_out[reason] = left_out.get(reason, 0) + 1
            continue
        target = staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel.suffix in TEXT_SUFFIXES:
            target.write_text((root / rel).read_text(encoding="utf-8").replace(f"{root}/", ""), encoding="utf-8")
        else:
            shutil.copyfile(root / rel, target)
        kept, total = kept + 1, total + size
    record = {"command": command, "source": str(root), "raw": raw, "files": kept, "bytes": total,
              "left_out": left_out, **provenance(root)}
    write_json(staging / "publish.json", record)
    write_atomic(staging / "PROVENANCE.md", provenance_text(record))
    if dest.exists():
        shutil.rmtree(dest)
    staging.rename(dest)
    return record


def provenance(root: Path) -> dict[str, Any]:
    """The code and machine behind a reproduction: each commit (and dirty flag) its runs (meta.json) and stages
    (stages.jsonl) recorded, with how many of each; the stage seconds; benchmark.json when it was measured."""
    commits: dict[tuple[Any, Any], dict[str, int]] = {}
    sources = [(read_json(m).get("git"), "runs") for m in sorted(root.glob("runs/*/meta.json"))]
    stages = read_jsonl(root / "stages.jsonl")
    sources += [(row.get("git"), "stages") for row in stages if row.get("git")]
    for git, what in sources:
        key = ((git or {}).get("commit"), (git or {}).get("dirty"))
        counts = commits.setdefault(key, {"runs": 0, "stages": 0})
        counts[what] += 1
    bench = read_json(root / "benchmark.json") if (root / "benchmark.json").is_file() else None
    return {"commits": [{"commit": c, "dirty": d, **n} for (c, d), n in sorted(commits.items(), key=str)],
            "stage_seconds": round(sum(float(r.get("seconds", 0)) for r in stages), 1), "benchmark": bench}


def provenance_text(record: dict[str, Any]) -> str:
    commits = ", ".join(f"`{c['commit']}`" + (" with uncommitted changes" if c["dirty"] else "")
                        + f" ({c['runs']} runs, {c['stages']} stages recorded it)"
                        for c in record["commits"]) or "unknown"
    lines = ["# Provenance", "", f"Made by `{record['command']}` at commit {commits}.", "",
             f"Stages took {record['stage_seconds']:.0f} s in all."]
    bench = record.get("benchmark")
    if bench:
        lines += [f"Measured by `benchmarks/reproduce.py`: {bench['seconds_per_seed']:.0f} s per seed "
                  f"(budget {bench['budget_seconds_per_seed']} s), peak RSS {bench['peak_rss_gib']} GiB "
                  f"(budget {bench['budget_rss_gib']} GiB) on {bench['cpus']} CPUs, {bench['torch_threads']} torch "
                  f"threads, {bench['seeds']} seed(s)."]
    lines += ["", f"Published with `rgbench publish`: {record['files']} files ({record['bytes'] / 2**20:.1f} MiB); "
              f"left out: {left_out_text(record)}. Paths are relative to this folder; weights, generated images"
              + ("" if record.get("raw") else " and per-item records (results, raw model outputs, rollouts, CoTs)")
              + " stay in the reproduction folder; rerun the command to get them.", ""]
    return "\n".join(lines)


def left_out_text(record: dict[str, Any]) -> str:
    """'21336 generated image, 198 weights or image dump' (or 'nothing')."""
    return ", ".join(f"{n} {why}" for why, n in sorted(record["left_out"].items())) or "nothing"
