"""GenEval's scoring rules as pure functions: one detections record + its prompt's metadata → `correct` + `reason`.

This is `evaluate_images.py` (djghosh13/geneval) with the models taken out: the detector's boxes and scores and
the colour classifier's answers arrive in a detections record (see `rgbench.geneval.detections`), so re-scoring
needs no model and gives the decisions the official scorer gives on the same detections. Kept exactly:

* threshold per image: 0.9 when the tag is `counting` (include *and* exclude clauses), else 0.3; strict `>`,
  compared in float32 as numpy compares mmdet's float32 scores;
* per class: sort by score (highest first), threshold, keep the first 16, then greedy NMS only when
  max_overlap < 1 (IoU with the +1-pixel area convention);
* include clauses in order: the first `count` detections of the class; colour: at least `count` of them
  classified as the colour; position `[rel, k]`: every found object in relation `rel` to every object of clause k,
  which must have matched; exclude clauses: fail when the kept detections of the class number ≥ `count`;
* the official reason strings.

Two places where the official output is not deterministic are pinned down here: ties in score are ordered as
a stable argsort reversed (the later detection first, what numpy's argsort does for ≤ 16 items), and the
relations listed in a position reason are written in the order left of, right of, above, below (the official
code joins a set, whose order changes with PYTHONHASHSEED). Neither changes a decision except score ties.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from rgbench.geneval.detection import COLORS
from rgbench.geneval.position import RELATIONS, relations


@dataclass(frozen=True)
class ScoringOptions:
    """The official `--options` with their defaults."""

    threshold: float = 0.3
    counting_threshold: float = 0.9
    max_objects: int = 16
    max_overlap: float = 1.0  # 1.0 = no NMS
    position_threshold: float = 0.1

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any] | None) -> ScoringOptions:
        """Options as given on a command line (strings or numbers); unknown keys are an error."""
        options = dict(options or {})
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise ValueError(f"unknown GenEval option(s) {', '.join(unknown)}; known: {', '.join(known)}")
        kwargs = {k: (int(v) if k == "max_objects" else float(v)) for k, v in options.items()}
        return cls(**kwargs)

    def threshold_for(self, tag: str) -> float:
        return self.counting_threshold if tag == "counting" else self.threshold

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class MissingColor(ValueError):
    """A colour clause needs an object the detections record did not colour-classify."""


@dataclass
class Kept:
    """One kept detection: the float32 row [x1, y1, x2, y2, score] as mmdet gives it, and its colour."""

    row: np.ndarray  # float32 [5]
    color: str | None


def compute_iou(box_a: np.ndarray, box_b: np.ndarray) -> float:
    """IoU with the +1-pixel area convention (the official NMS)."""
    def area(box: Sequence[float]) -> float:
        return max(box[2] - box[0] + 1, 0) * max(box[3] - box[1] + 1, 0)

    inter = area([max(box_a[0], box_b[0]), max(box_a[1], box_b[1]), min(box_a[2], box_b[2]), min(box_a[3], box_b[3])])
    union = area(box_a) + area(box_b) - inter
    return inter / union if union else 0


def confidence_order(scores: Sequence[float]) -> np.ndarray:
    """Indices by score, highest first, compared in float32; ties: the later detection first (a stable argsort
    reversed). The rule's order, and so the order colour candidates are picked in."""
    return np.argsort(np.asarray(scores, dtype=np.float32), kind="stable")[::-1]


def class_order(objects: Sequence[Mapping[str, Any]], classes: Sequence[str]) -> list[str]:
    """Classes in the detector's order (GenEval's object_names), then any other label in order of appearance."""
    present = dict.fromkeys(o["label"] for o in objects)
    return [c for c in classes if c in present] + [c for c in present if c not in set(classes)]


def keep_detections(objects: Sequence[Mapping[str, Any]], tag: str, options: ScoringOptions,
                    classes: Sequence[str] = ()) -> dict[str, list[Kept]]:
    """Per class: sort, threshold, cap and (optionally) NMS, as the official scorer does before evaluating.

    `objects` are detections-record objects (label, score, box, color) in the detector's order.
    Classes with nothing kept are absent.
    """
    threshold = np.float32(options.threshold_for(tag))
    detected: dict[str, list[Kept]] = {}
    for name in class_order(objects, classes):
        mine = [o for o in objects if o["label"] == name]
        rows = np.array([[*o["box"], o["score"]] for o in mine], dtype=np.float32).reshape(-1, 5)  # [n, 5]
        ordering = confidence_order(rows[:, 4])
        ordering = ordering[rows[ordering, 4] > threshold]
        ordering = ordering[:options.max_objects].tolist()
        kept = []
        while ordering:
            best = ordering.pop(0)
            kept.append(Kept(rows[best], mine[best].get("color")))
            if options.max_overlap != 1:
                ordering = [i for i in ordering if compute_iou(rows[best], rows[i]) < options.max_overlap]
        if kept:
            detected[name] = kept
    return detected


def _colors_of(found: list[Kept], classname: str) -> list[str]:
    colors = [k.color for k in found]
    if any(c is None for c in colors):
        raise MissingColor(f"a colour clause needs the colour of a '{classname}' detection that was not classified; "
                           f"re-run detection with these options (or a lower threshold) so it is")
    return colors  # type: ignore[return-value]


def evaluate(metadata: Mapping[str, Any], detected: Mapping[str, list[Kept]], options: ScoringOptions) -> tuple[bool, str]:
    """Include clauses (AND), then exclude clauses (OR): → (correct, newline-joined reasons)."""
    correct = True
    reason: list[str] = []
    matched_groups: list[list[Kept] | None] = []
    for req in metadata.get("include", []):
        classname, count = req["class"], req["count"]
        matched = True
        found = list(detected.get(classname, []))[:count]
        if len(found) < count:
            correct = matched = False
            reason.append(f"expected {classname}>={count}, found {len(found)}")
        else:
            if "color" in req:
                colors = _colors_of(found, classname)
                if colors.count(req["color"]) < count:
                    correct = matched = False
                    reason.append(f"expected {req['color']} {classname}>={count}, found "
                                  f"{colors.count(req['color'])} {req['color']}; and "
                                  + ", ".join(f"{colors.count(c)} {c}" for c in COLORS if c in colors))
            if "position" in req and matched:
                expected_rel, target = req["position"]
                if matched_groups[target] is None:
                    correct = matched = False
                    reason.append(f"no target for {classname} to be {expected_rel}")
                else:
                    failure = _position_failure(found, matched_groups[target], expected_rel, options)
                    if failure is not None:
                        correct = matched = False
                        reason.append(f"expected {classname} {expected_rel} target, found {failure} target")
        matched_groups.append(found if matched else None)
    for req in metadata.get("exclude", []):
        classname = req["class"]
        if len(detected.get(classname, [])) >= req["count"]:
            correct = False
            reason.append(f"expected {classname}<{req['count']}, found {len(detected[classname])}")
    return correct, "\n".join(reason)


def _position_failure(found: list[Kept], targets: list[Kept], expected: str, options: ScoringOptions) -> str | None:
    """None when every found object stands in `expected` to every target; else the first offending relations."""
    for obj in found:
        for target in targets:
            rels = relations(obj.row, target.row, options.position_threshold)
            if expected not in rels:
                return " and ".join(r for r in RELATIONS if r in rels)
    return None


def score_image(record: Mapping[str, Any], metadata: Mapping[str, Any], options: ScoringOptions,
                classes: Sequence[str] = ()) -> dict[str, Any]:
    """One detections record + its metadata → the official results row (filename, tag, prompt, correct,
    reason, metadata, details)."""
    detected = keep_detections(record["objects"], metadata["tag"], options, classes)
    correct, reason = evaluate(metadata, detected, options)
    return {
        "filename": record["filename"],
        "tag": metadata["tag"],
        "prompt": metadata["prompt"],
        "correct": correct,
        "reason": reason,
        "metadata": json.dumps(metadata),
        "details": json.dumps({name: [k.row.tolist() for k in kept] for name, kept in detected.items()}),
    }
