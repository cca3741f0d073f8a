"""GenEval's relative-position rule (pure): which of left of / right of / above / below hold for A vs B.

Boxes are (x1, y1, x2, y2) in pixels, y down. Per axis the centre offset d = c_A − c_B is shrunk by a margin of
0.1 × (size_A + size_B) (never past 0); if both shrunk offsets are < 1e-3 no relation holds; otherwise the shrunk
offsets are divided by the norm of the *original* offset and compared with ±0.5. Several relations can hold at
once (diagonals).
"""

from __future__ import annotations

import math

Box = tuple[float, float, float, float]


def relations(box_a: Box, box_b: Box, margin: float = 0.1) -> set[str]:
    """Relations of A with respect to B under GenEval's rule."""
    ax, ay = (box_a[0] + box_a[2]) / 2, (box_a[1] + box_a[3]) / 2
    bx, by = (box_b[0] + box_b[2]) / 2, (box_b[1] + box_b[3]) / 2
    dx, dy = ax - bx, ay - by
    wx = margin * ((box_a[2] - box_a[0]) + (box_b[2] - box_b[0]))
    wy = margin * ((box_a[3] - box_a[1]) + (box_b[3] - box_b[1]))
    sx = math.copysign(max(abs(dx) - wx, 0.0), dx)
    sy = math.copysign(max(abs(dy) - wy, 0.0), dy)
    if abs(sx) < 1e-3 and abs(sy) < 1e-3:
        return set()
    norm = math.hypot(dx, dy)
    nx, ny = sx / norm, sy / norm
    out = set()
    if nx < -0.5:
        out.add("left of")
    if nx > 0.5:
        out.add("right of")
    if ny < -0.5:
        out.add("above")
    if ny > 0.5:
        out.add("below")
    return out
