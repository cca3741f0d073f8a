"""GenEval's relative-position rule (pure): which of left of / right of / above / below hold for A vs B.

Boxes are (x1, y1, x2, y2) in pixels, y down. Per axis the centre offset d = c_A − c_B is shrunk by a margin of
0.1 × (size_A + size_B) (never past 0); if both shrunk offsets are < 1e-3 no relation holds; otherwise the shrunk
offsets are divided by the norm of the *original* offset and compared with ±0.5. Several relations can hold at
once (diagonals).

The arithmetic is the official scorer's, in float32 (mmdet's boxes are float32 arrays and numpy keeps that
dtype through every step), so a pair on a decision edge gets the official decision.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RELATIONS = ("left of", "right of", "above", "below")  # fixed order, used to write reasons deterministically


def relations(box_a: Sequence[float], box_b: Sequence[float], margin: float = 0.1) -> set[str]:
    """Relations of A with respect to B under GenEval's rule (only the first four box values are read)."""
    boxes = np.array([box_a[:4], box_b[:4]], dtype=np.float32).reshape(2, 2, 2)  # [object, corner, xy]
    center_a, center_b = boxes.mean(axis=-2)  # [2] each
    dim_a, dim_b = np.abs(np.diff(boxes, axis=-2))[..., 0, :]  # [2] each: (width, height)
    offset = center_a - center_b  # [2]
    shrunk = np.maximum(np.abs(offset) - np.float32(margin) * (dim_a + dim_b), 0) * np.sign(offset)  # [2]
    if np.all(np.abs(shrunk) < 1e-3):
        return set()
    dx, dy = shrunk / np.linalg.norm(offset)
    out = set()
    if dx < -0.5:
        out.add("left of")
    if dx > 0.5:
        out.add("right of")
    if dy < -0.5:
        out.add("above")
    if dy > 0.5:
        out.add("below")
    return out
