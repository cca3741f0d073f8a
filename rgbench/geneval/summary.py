"""GenEval's aggregation (`summary_scores.py`), pure: results rows → summary, plus the paper's table.

* % correct images = mean of `correct` over images; % correct prompts = share of prompts (grouped by the metadata
  JSON string) with any correct image;
* per task: image-level accuracy;
* **overall = unweighted mean of the per-task accuracies** (macro over tasks; neither image- nor prompt-weighted).

Unlike the official script the summary also says what is missing: failures (by reason), prompts absent from the
benchmark's prompt set, tasks with no images, so a number over a partial folder cannot pass for a full one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

TASKS = ("single_object", "two_object", "counting", "colors", "position", "color_attr")
# The paper's column order (ReasonGen-R1 / Janus-Pro GenEval tables).
PAPER_COLUMNS = (("single_object", "Single Obj."), ("two_object", "Two Obj."), ("counting", "Counting"),
                 ("colors", "Colors"), ("position", "Position"), ("color_attr", "Color Attri."), ("overall", "Overall"))
AGGREGATION = "overall = unweighted mean of the per-task image accuracies (macro over tasks), as summary_scores.py"
MAX_LISTED_FAILURES = 50


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _failure_kind(error: str) -> str:
    return error.split(":", 1)[0].split(";", 1)[0].strip()


def summarize(rows: Sequence[Mapping[str, Any]], failures: Sequence[Mapping[str, Any]] = (),
              expected_prompts: Sequence[str] | None = None) -> dict[str, Any]:
    """Results rows (official fields) and failure records (filename, error) → the summary.

    `expected_prompts`: the metadata JSON strings of the prompt set the folder should cover (e.g. GenEval's 553);
    prompts with no scored image are counted as missing.
    """
    by_task: dict[str, list[bool]] = defaultdict(list)
    by_prompt: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        by_task[row["tag"]].append(bool(row["correct"]))
        by_prompt[row["metadata"]].append(bool(row["correct"]))
    order = [t for t in TASKS if t in by_task] + [t for t in by_task if t not in TASKS]
    tasks = {t: {"accuracy": _mean(by_task[t]), "correct": sum(by_task[t]), "images": len(by_task[t])} for t in order}
    missing_tasks = [t for t in TASKS if t not in by_task]
    summary: dict[str, Any] = {
        "overall": _mean([tasks[t]["accuracy"] for t in order]),
        "tasks": tasks,
        "images": len(rows),
        "prompts": len(by_prompt),
        "correct_images": _mean([bool(r["correct"]) for r in rows]),
        "correct_prompts": _mean([any(v) for v in by_prompt.values()]),
        "images_per_prompt": dict(sorted(Counter(len(v) for v in by_prompt.values()).items())),
        "aggregation": AGGREGATION,
        "overall_over_tasks": len(order),
        "missing_tasks": missing_tasks,
        "failures": _failures(failures),
    }
    if expected_prompts is not None:
        summary["expected_prompts"] = len(expected_prompts)
        summary["missing_prompts"] = len(set(expected_prompts) - set(by_prompt))
    summary["warnings"] = warnings(summary)
    summary["complete"] = not summary["warnings"]
    return summary


def _failures(failures: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    kinds = Counter(_failure_kind(f["error"]) for f in failures)
    return {"count": len(failures), "by_kind": dict(kinds.most_common()),
            "files": [{"filename": f["filename"], "error": f["error"]} for f in failures[:MAX_LISTED_FAILURES]]}


def warnings(summary: Mapping[str, Any]) -> list[str]:
    """Why this summary is not a full GenEval score, in words."""
    out = []
    fails = summary["failures"]
    if fails["count"]:
        kinds = ", ".join(f"{n} {k}" for k, n in fails["by_kind"].items())
        out.append(f"{fails['count']} file(s) could not be scored ({kinds}); they are not in any accuracy")
        skipped = sum(n for k, n in fails["by_kind"].items() if k.startswith("not a PNG") or k.startswith("not named"))
        if skipped:
            out.append(f"{skipped} of them are not <digits>.png: the official scorer skips such files without a "
                       f"word, so its image and prompt counts would silently shrink")
    if summary.get("missing_prompts"):
        out.append(f"{summary['missing_prompts']} of {summary['expected_prompts']} prompts have no scored image")
    if summary["missing_tasks"] and summary["images"]:
        out.append(f"overall is over {summary['overall_over_tasks']} of 6 tasks (no images for "
                   f"{', '.join(summary['missing_tasks'])})")
    if not summary["images"]:
        out.append("no image was scored")
    return out


def markdown_table(summary: Mapping[str, Any], label: str = "model") -> str:
    """One-row Markdown table in the paper's column order (accuracies in [0, 1], two decimals), plus warnings."""
    def cell(key: str) -> str:
        value = summary["overall"] if key == "overall" else summary["tasks"].get(key, {}).get("accuracy")
        return "–" if value is None else f"{value:.2f}"

    head = "| Method | " + " | ".join(name for _, name in PAPER_COLUMNS) + " |"
    rule = "| --- | " + " | ".join("---:" for _ in PAPER_COLUMNS) + " |"
    row = f"| {label} | " + " | ".join(cell(key) for key, _ in PAPER_COLUMNS) + " |"
    notes = [f"\n> warning: {w}" for w in summary.get("warnings", [])]
    return "\n".join([head, rule, row]) + "".join(notes) + "\n"
