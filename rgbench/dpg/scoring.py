"""DPG-Bench's scoring rules as pure functions of the question graphs and the VQA answers (benchmarks.md §2.3).

Two modes, recorded in every result:

* `official` — `compute_dpg_bench.py` exactly, quirks included:
  - the first CSV data row is skipped, so the first item loses its first proposition; a question of that item
    that depends on it makes the lookup fail and the whole item is excluded (reported as a failure);
  - a question scores 1 only when the answer string is exactly "yes";
  - L1 / L2 category scores pool the *raw* answers (before the dependency rule) of the *last* tile only
    (ELLA issue #60), question-weighted;
  - images that fail are excluded from the average, not scored 0.
* `corrected` (default) — the same dependency rule and headline, with the quirks fixed:
  - every CSV row is used;
  - answers are compared after trimming, lower-casing and dropping trailing punctuation ("Yes." counts);
  - categories pool every tile's scores *after* the dependency rule (what the headline counts);
  - an expected item whose image is missing or failed scores 0 and is counted, so a partial run cannot look
    better than a full one.

Per tile: walk the questions in CSV order; a question scores 1 if answered yes, then 0 if any parent currently
scores 0 (zeros set earlier in the walk count, so chains propagate). Tile score = mean over the item's questions;
item score = mean over tiles; DPG-Bench score = mean over items × 100.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rgbench.dpg.questions import L1_ORDER, Item

MODES = ("corrected", "official")
PAPER_COLUMNS = (("global", "Global"), ("entity", "Entity"), ("attribute", "Attribute"), ("relation", "Relation"),
                 ("other", "Other"), ("overall", "Overall"))  # the paper's DPG-Bench table

Answers = Mapping[tuple[int, int], str]  # (tile, proposition_id) → the VQA model's answer text


class ItemFailure(ValueError):
    """An item the mode cannot score (official: a parent lost to the skipped first row)."""


@dataclass
class ItemScore:
    item_id: str
    tile_scores: list[float]
    score: float  # mean over tiles
    categories: list[tuple[str, float]] = field(default_factory=list)  # (L2 category, value) pooled by the summary


def is_yes(answer: str, mode: str) -> bool:
    """official: the answer string is exactly "yes"; corrected: after trimming, lower-casing and dropping
    trailing punctuation."""
    if mode == "official":
        return answer == "yes"
    return answer.strip().lower().rstrip(".!") == "yes"


def items_for_mode(items: Mapping[str, Item], mode: str) -> dict[str, Item]:
    """official: the first item without its first question (the scorer skips CSV data row 0)."""
    check_mode(mode)
    out = dict(items)
    if mode == "official" and out:
        first = next(iter(out))
        out[first] = Item(first, out[first].text, out[first].questions[1:])
    return out


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown DPG mode '{mode}'; known: {', '.join(MODES)}")


def tile_scores(item: Item, raw: Mapping[int, float]) -> dict[int, float]:
    """Raw 0/1 scores by proposition id → scores after the dependency rule (CSV order, chains propagate).
    A parent the item does not have raises ItemFailure (the official scorer's KeyError)."""
    scores = dict(raw)
    for q in item.questions:
        for parent in q.parents:
            if parent not in scores:
                raise ItemFailure(f"proposition {q.proposition_id} depends on proposition {parent}, which this item "
                                  "does not have (the official scorer skips the first CSV row)")
            if scores[parent] == 0:
                scores[q.proposition_id] = 0.0
    return scores


def score_item(item: Item, answers: Answers, tiles: int, mode: str) -> ItemScore:
    """One item's tile scores, its score and its category values. Every (tile, question) must be answered."""
    check_mode(mode)
    if not item.questions:
        raise ItemFailure("no questions")
    missing = [(t, q.proposition_id) for t in range(tiles) for q in item.questions if (t, q.proposition_id) not in answers]
    if missing:
        raise ItemFailure(f"{len(missing)} unanswered question(s), e.g. tile {missing[0][0]} proposition {missing[0][1]}")
    per_tile, categories = [], []
    for t in range(tiles):
        raw = {q.proposition_id: float(is_yes(answers[t, q.proposition_id], mode)) for q in item.questions}
        scores = tile_scores(item, raw)
        per_tile.append(sum(scores[q.proposition_id] for q in item.questions) / len(item.questions))
        if mode == "corrected":
            categories += [(q.category, scores[q.proposition_id]) for q in item.questions]
        elif t == tiles - 1:
            categories += [(q.category, raw[q.proposition_id]) for q in item.questions]
    return ItemScore(item.item_id, per_tile, sum(per_tile) / tiles, categories)


def summarize(scores: Sequence[ItemScore], failures: Sequence[Mapping[str, Any]], mode: str,
              expected: int | None = None) -> dict[str, Any]:
    """Overall (prompt-weighted) and L1 / L2 category scores (question-weighted), all × 100.

    official: failed items are left out of every mean. corrected: each failure counts as an item scoring 0 in
    the overall (its questions are unknown, so the categories cannot count it).
    """
    check_mode(mode)
    zeros = len(failures) if mode == "corrected" else 0
    n = len(scores) + zeros
    overall = 100 * sum(s.score for s in scores) / n if n else None
    l2: dict[str, list[float]] = defaultdict(list)
    for s in scores:
        for category, value in s.categories:
            l2[category].append(value)
    l1: dict[str, list[float]] = defaultdict(list)
    for category, values in l2.items():
        l1[category.split("-")[0].strip()] += values
    return {
        "mode": mode,
        "overall": overall,
        "l1": {k: _mean100(l1[k]) for k in _ordered(l1)},
        "l2": {k: _mean100(l2[k]) for k in sorted(l2)},
        "items": n,
        "scored": len(scores),
        "failed": len(failures),
        "counted_as_zero": zeros,
        "expected": expected,
        "averaging": {"overall": "mean over items of the mean over tiles", "categories": "mean over questions"},
    }


def _ordered(keys: Iterable[str]) -> list[str]:
    keys = set(keys)
    return [k for k in L1_ORDER if k in keys] + sorted(keys - set(L1_ORDER))


def _mean100(values: list[float]) -> float | None:
    return 100 * sum(values) / len(values) if values else None


def markdown_table(summary: Mapping[str, Any], label: str) -> str:
    """The paper's columns: Global, Entity, Attribute, Relation, Other, Overall."""
    values = {**summary["l1"], "overall": summary["overall"]}
    cells = ["–" if values.get(k) is None else f"{values[k]:.2f}" for k, _ in PAPER_COLUMNS]
    return (f"| Model | {' | '.join(name for _, name in PAPER_COLUMNS)} |\n"
            f"|---|{'---|' * len(PAPER_COLUMNS)}\n"
            f"| {label} | {' | '.join(cells)} |\n\n"
            f"DPG-Bench, mode `{summary['mode']}`: {summary['scored']} items scored, {summary['failed']} failed"
            f"{' (counted as 0)' if summary['counted_as_zero'] else ' (left out)'}.\n")
