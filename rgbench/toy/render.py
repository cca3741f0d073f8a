"""Rendering scenes to uint8 RGB arrays: every object is a pre-drawn cell tile pasted into its cell."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from rgbench.toy.world import BACKGROUND, PALETTE, SHADE, Obj, Scene, WorldConfig


def shape_mask(shape: str, side: int) -> np.ndarray:
    """Boolean [side, side] silhouette of a shape."""
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float64) + 0.5  # pixel centres
    c, r = side / 2, side / 2
    if shape == "circle":
        return (xx - c) ** 2 + (yy - c) ** 2 <= r * r
    if shape == "ring":
        d2 = (xx - c) ** 2 + (yy - c) ** 2
        return (d2 <= r * r) & (d2 > (0.45 * r) ** 2)
    if shape == "square":
        return np.ones((side, side), dtype=bool)
    if shape == "triangle":  # apex up, base on the bottom row
        return np.abs(xx - c) <= (yy / side) * r + 0.25
    if shape == "cross":
        arm = side / 3
        return (np.abs(xx - c) <= arm / 2 + 0.01) | (np.abs(yy - c) <= arm / 2 + 0.01)
    if shape == "diamond":
        return np.abs(xx - c) + np.abs(yy - c) <= r + 0.01
    raise ValueError(f"unknown shape '{shape}'")


def texture_mask(texture: str, side: int) -> np.ndarray:
    """Boolean [side, side]: pixels drawn in the shade tone (relative to the object's top-left corner)."""
    yy, xx = np.mgrid[0:side, 0:side]
    if texture == "solid":
        return np.zeros((side, side), dtype=bool)
    if texture == "striped":
        return yy % 3 == 2
    if texture == "dotted":
        return (yy % 3 == 1) & (xx % 3 == 1)
    raise ValueError(f"unknown texture '{texture}'")


def object_pixels(shape: str, color: str, side: int, texture: str) -> tuple[np.ndarray, np.ndarray]:
    """(mask [s, s] bool, rgb [s, s, 3] uint8) of one object drawn on its own."""
    mask = shape_mask(shape, side)
    rgb = np.empty((side, side, 3), dtype=np.uint8)
    rgb[...] = PALETTE[color]
    rgb[texture_mask(texture, side)] = SHADE[color]
    return mask, rgb


@lru_cache(maxsize=4096)
def _tile(shape: str, color: str, side: int, texture: str, cell_px: int) -> np.ndarray:
    tile = np.empty((cell_px, cell_px, 3), dtype=np.uint8)  # [C, C, 3]
    tile[...] = BACKGROUND
    mask, rgb = object_pixels(shape, color, side, texture)
    off = (cell_px - side) // 2
    region = tile[off:off + side, off:off + side]
    region[mask] = rgb[mask]
    return tile


def render(scene: Scene, world: WorldConfig) -> np.ndarray:
    """Scene → uint8 [H, W, 3]."""
    return render_batch([scene], world)[0]


def render_batch(scenes: Sequence[Scene], world: WorldConfig) -> np.ndarray:
    """Scenes → uint8 [B, H, W, 3]."""
    cp = world.cell_px
    out = np.empty((len(scenes), world.canvas, world.canvas, 3), dtype=np.uint8)  # [B, H, W, 3]
    out[...] = BACKGROUND
    for i, scene in enumerate(scenes):
        for obj in scene.objects:
            out[i, obj.row * cp:(obj.row + 1) * cp, obj.col * cp:(obj.col + 1) * cp] = tile_of(obj, world)
    return out


def tile_of(obj: Obj, world: WorldConfig) -> np.ndarray:
    return _tile(obj.shape, obj.color, world.sizes[obj.size], obj.texture, world.cell_px)
