"""What the toy paper is meant to show, checked against a finished reproduction (`benchmarks/reproduce.py` prints
it; `targets.md` in the reproduction keeps it). These are goals to report, never knobs: a miss is printed as a miss.

    plan following   the SFT model's images follow its own plan per object (cell + colour + shape) ≥ 0.8, and
                     its images follow gold plans ≥ 0.9 (from plans/plans.json)
    orderings        toy GenEval overall over the seeds: base in 0.40–0.65; SFT ≥ base + 0.05; SFT + GRPO > SFT;
                     RL without SFT < SFT + GRPO; small judge < large judge (means; std shown, and a note where the
                     difference is within one std: the seeds do not resolve that ordering)
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rgbench.results import read_json


@dataclass
class Target:
    name: str
    measured: str  # the numbers, as text
    met: bool | None  # None: not measured in this reproduction
    note: str = ""  # e.g. that an ordering's difference is within the seeds' spread

    def verdict(self) -> str:
        mark = {True: "met", False: "missed", None: "not measured"}[self.met]
        return f"{mark} ({self.note})" if self.note else mark

    def line(self) -> str:
        return f"{self.name}: {self.measured} — {self.verdict()}"


def geneval_overall(root: Path, summary: Mapping[str, Any], label: str, bench: str = "toy-geneval") -> list[float]:
    """A model's GenEval overall, one value per seed."""
    from rgbench.analysis.tables import load_summary

    runs = summary.get("evaluations", {}).get(label, {}).get(bench, [])
    return [float(load_summary(run)["overall"]) for run in runs]


def mean_std(values: Sequence[float]) -> str:
    if not values:
        return "–"
    std = f" ± {statistics.stdev(values):.3f}" if len(values) > 1 else ""
    return f"{statistics.fmean(values):.3f}{std}"


def plan_target(plans: Mapping[str, Any], label: str, goal: float, what: str) -> Target:
    entry = plans.get(label, {}).get("all")
    if not entry or entry.get("follows") is None:
        return Target(what, "–", None)
    value = entry["follows"]
    return Target(what, f"{value:.3f} (goal ≥ {goal})", value >= goal)


def ordering(name: str, scores: Mapping[str, list[float]], labels: Sequence[str],
             holds: Callable[[list[float]], bool]) -> Target:
    if any(not scores.get(label) for label in labels):
        return Target(name, "–", None)
    means = [statistics.fmean(scores[label]) for label in labels]
    measured = ", ".join(f"{label} {mean_std(scores[label])}" for label in labels)
    return Target(name, measured, holds(means), spread_note(scores, labels))


def spread_note(scores: Mapping[str, list[float]], labels: Sequence[str]) -> str:
    """For a comparison of two models over several seeds: say when the difference of the means is smaller than the
    larger of their sample stds (the ordering is then not resolved by these seeds)."""
    if len(labels) != 2 or any(len(scores[label]) < 2 for label in labels):
        return ""
    a, b = (scores[label] for label in labels)
    diff = statistics.fmean(b) - statistics.fmean(a)
    spread = max(statistics.stdev(a), statistics.stdev(b))
    return f"difference {diff:+.3f} is within one std ({spread:.3f})" if abs(diff) < spread else ""


def toy_targets(root: Path, main: str = "main", no_sft: str = "no-sft", small: str = "small-judge") -> list[Target]:
    """Every target of the toy paper, measured on a reproduction folder (summary.json, plans/plans.json)."""
    summary = read_json(root / "summary.json")
    plans_file = root / "plans" / "plans.json"
    plans = read_json(plans_file) if plans_file.is_file() else {}
    scores = {label: geneval_overall(root, summary, label) for label in ("base", "sft", main, no_sft, small)}
    return [
        plan_target(plans, "sft", 0.8, "SFT images follow their own plans (per object: cell + colour + shape)"),
        plan_target(plans, "gold-sft", 0.9, "SFT images follow gold plans (per object: cell + colour + shape)"),
        ordering("toy GenEval: base in 0.40–0.65", scores, ["base"], lambda m: 0.40 <= m[0] <= 0.65),
        ordering("toy GenEval: CoT SFT ≥ base + 0.05", scores, ["base", "sft"], lambda m: m[1] >= m[0] + 0.05),
        ordering("toy GenEval: SFT + GRPO > SFT", scores, ["sft", main], lambda m: m[1] > m[0]),
        ordering("toy GenEval: RL without SFT < SFT + GRPO", scores, [no_sft, main], lambda m: m[0] < m[1]),
        ordering("toy GenEval: small judge < large judge", scores, [small, main], lambda m: m[0] < m[1]),
    ]


def targets_markdown(targets: Sequence[Target]) -> str:
    lines = ["**Targets of the toy paper (goals reported, never tuned for)**", "", "| target | measured | |",
             "|---|---|---|"]
    lines += [f"| {t.name} | {t.measured} | {t.verdict()} |" for t in targets]
    return "\n".join(lines) + "\n"
