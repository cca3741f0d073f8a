"""T2I-CompBench's scoring rules as pure functions of the raw model outputs (benchmarks.md §3.3–§3.7).

Modes: `official` reproduces the scripts, quirks included; `corrected` (default) fixes what is a bug rather than
a choice, and says so in each result:
* 2D spatial: "on top of" (without "the") matches no branch of the official position rule, so it scores pos 0;
  corrected treats it as "on the top of".
* Complex objects (`phrases.complex_objects`): the official `--complex` reader has no "on the top of" / "on the
  bottom of" in its list, so those prompts get no objects (spatial 0), and it keeps a token's case; corrected
  knows both phrases and lower-cases the objects.
* Everything else (the < 0.5 zeroing of 2D spatial, 4-decimal rounding of BLIP probabilities and their float32
  product, the detector's 0.1 score cut, the numeracy weights) is the benchmark's definition and is the same in
  both modes.

Boxes are in the frame UniDet sees: the image resized by torchvision `Resize(479, max_size=480)`, which gives
each axis its own integer size (500×333 → 480×319, so x scales by 0.96 and y by 319/333); the 150-px "next to"
constant is in that frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MODES = ("corrected", "official")
SCORE_THRESHOLD = 0.1  # UniDet's ROI head keeps detections scoring strictly above this (hard-coded there)
Box = tuple[float, float, float, float]


def round4(x: float) -> float:
    """The official scripts' 4-decimal strings ('%.4f' of the binary float), read back as a float."""
    return float(f"{x:.4f}")


# ---------------------------------------------------------------- attribute binding (BLIP-VQA)
def attribute_score(p_yes: Sequence[float], np_num: int = 8) -> float:
    """Product of the first `np_num` questions' P(yes), each rounded to 4 decimals first, the product rounded
    again (missing questions count as 1). The official multiplies in a float32 tensor, so the running product
    is rounded to float32 after every factor: 0.25 · 0.1338 is 0.03344999… in float32 ("0.0334"), 0.03345 in
    float64 ("0.0335")."""
    product = np.float32(1.0)
    for p in p_yes[:np_num]:
        product = np.float32(product * np.float32(round4(p)))  # float32 · float32 → float32, as on the GPU
    return round4(float(product))


# ---------------------------------------------------------------- 2D spatial (UniDet rules, GenEval detector here)
def unidet_size(size: tuple[int, int], short: int = 479, max_size: int = 480) -> tuple[int, int]:
    """(width, height) of an image after torchvision `Resize(479, max_size=480)`: the shorter side to 479, the
    longer to int(479 · long / short); when that passes 480, the longer side is 480 and the shorter
    int(480 · 479 / that), both truncated to integers."""
    w, h = size
    lo, hi = min(w, h), max(w, h)
    new_lo, new_hi = short, int(short * hi / lo)
    if new_hi > max_size:
        new_lo, new_hi = int(max_size * new_lo / new_hi), max_size
    return (new_lo, new_hi) if w <= h else (new_hi, new_lo)


def unidet_scales(size: tuple[int, int]) -> tuple[float, float]:
    """Per-axis factors (x, y) from image pixels to UniDet's frame: 500×333 → (480/500, 319/333)."""
    new_w, new_h = unidet_size(size)
    return new_w / size[0], new_h / size[1]


def iou(a: Box, b: Box) -> float:
    """Plain IoU (no +1), as the 2D spatial script computes it."""
    iw, ih = max(0.0, min(a[2], b[2]) - max(a[0], b[0])), max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def position_score(relation: str, a: Box, b: Box, mode: str = "corrected") -> float:
    """pos for object a (the prompt's first) relative to b, boxes in the UniDet frame."""
    (ax, ay), (bx, by) = _center(a), _center(b)
    dx, dy = bx - ax, by - ay
    if relation in ("next to", "near", "on side of"):
        return 1.0 if abs(dx) < 150 or abs(dy) < 150 else 150 / max(abs(dx), abs(dy))
    if relation == "on top of" and mode == "corrected":
        relation = "on the top of"
    direction = {"on the right of": dx < 0 and abs(dx) > abs(dy), "on the left of": dx > 0 and abs(dx) > abs(dy),
                 "on the bottom of": dy < 0 and abs(dy) > abs(dx), "on the top of": dy > 0 and abs(dy) > abs(dx)}
    if not direction.get(relation, False):
        return 0.0  # official "on top of" lands here: no branch matches
    overlap = iou(a, b)
    return 1.0 if overlap < 0.1 else 0.1 / overlap


def _center(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


@dataclass(frozen=True)
class Found:
    label: str
    score: float
    box: Box  # UniDet frame


def confident(detections: Sequence[Found], threshold: float = SCORE_THRESHOLD) -> list[Found]:
    """The detections UniDet would return: score strictly above `threshold` (0.1 exactly is dropped)."""
    return [d for d in detections if d.score > threshold]


def first_match(name: str, detections: Sequence[Found]) -> Found | None:
    """The highest-scoring detection whose label equals `name` exactly (detections sorted by score)."""
    return next((d for d in sorted(detections, key=lambda d: -d.score) if d.label == name), None)


def spatial_score(objects: tuple[str, str] | None, relation: str | None, detections: Sequence[Found],
                  mode: str = "corrected") -> tuple[float, dict[str, Any]]:
    """0.25·s1 + 0.25·s2 + 0.5·pos with both objects found, 0.25·s with one, 0; then < 0.5 → 0."""
    if objects is None or relation is None:
        return 0.0, {"reason": "no relation phrase" if objects else "fewer than two objects in the prompt"}
    a, b = first_match(objects[0], detections), first_match(objects[1], detections)
    if a and b:
        pos = position_score(relation, a.box, b.box, mode)
        raw = 0.25 * a.score + 0.25 * b.score + 0.5 * pos
    else:
        pos, raw = None, 0.25 * (a or b).score if (a or b) else 0.0
    details = {"objects": list(objects), "relation": relation, "found": [a is not None, b is not None], "pos": pos,
               "before_threshold": raw}
    return (raw if raw >= 0.5 else 0.0), details


# ---------------------------------------------------------------- numeracy
def area1(box: Box) -> float:
    return (box[2] - box[0] + 1) * (box[3] - box[1] + 1)


def dedupe(detections: Sequence[Found]) -> list[Found]:
    """Drop, in score order, a detection whose label matches a kept one that overlaps it: IoU > 0.9, or the
    intersection covers > 0.9 of either box (+1-pixel areas)."""
    kept: list[Found] = []
    for d in sorted(detections, key=lambda d: -d.score):
        if not any(k.label == d.label and _overlaps(k.box, d.box) for k in kept):
            kept.append(d)
    return kept


def _overlaps(a: Box, b: Box) -> bool:
    iw, ih = min(a[2], b[2]) - max(a[0], b[0]) + 1, min(a[3], b[3]) - max(a[1], b[1]) + 1
    inter = max(0.0, iw) * max(0.0, ih)
    union = area1(a) + area1(b) - inter
    return inter / union > 0.9 or inter / area1(a) > 0.9 or inter / area1(b) > 0.9


def numeracy_score(wanted: Sequence[tuple[str, int]], detections: Sequence[Found]) -> tuple[float, dict[str, Any]]:
    """Each parsed object adds 0.5/n when detected and 0.5/n more when its count is exact; a label containing
    the object name as a substring stands for it when no label equals it."""
    if not wanted:
        return 0.0, {"reason": "no (number, object) pair in the prompt (the official script divides by zero)"}
    kept = dedupe(detections)
    labels = [d.label for d in kept]
    score, per_object = 0.0, []
    for name, count in wanted:
        n = labels.count(name) if name in labels else sum(name in label for label in labels)
        score += (0.5 * (n > 0) + 0.5 * (n == count)) / len(wanted)
        per_object.append({"object": name, "want": count, "found": n})
    return score, {"objects": per_object}


# ---------------------------------------------------------------- complex (3-in-1)
def complex_score(subset: str, attribute: float, spatial: float | None, clip: float | None) -> float:
    """spatial subset: (spatial + attribute) / 2; action: (CLIP + attribute) / 2; spatial-action: the mean of all
    three."""
    if subset == "spatial":
        return (_need(spatial, "spatial") + attribute) / 2
    if subset == "action":
        return (_need(clip, "CLIP") + attribute) / 2
    if subset == "spatialaction":
        return (attribute + _need(spatial, "spatial") + _need(clip, "CLIP")) / 3
    raise ValueError(f"unknown complex subset {subset!r}")


def _need(value: float | None, what: str) -> float:
    if value is None:
        raise ValueError(f"a complex prompt of this subset needs its {what} score")
    return value


def category_summary(scores: Mapping[str, Sequence[float]]) -> dict[str, float | None]:
    """Per category: the mean over images (unweighted)."""
    return {k: (sum(v) / len(v) if v else None) for k, v in scores.items()}
