"""DPG-Bench's image folder: one `<out>/<item_id>.png` per prompt; 4 samples are tiled 2×2 (top-left,
top-right, bottom-left, bottom-right), tile = one image, as `compute_dpg_bench.py --pic-num 4` splits it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rgbench.layouts import read_rgb, save_png_atomic
from rgbench.prompt_sets import PromptItem

TILE_ORDER = ((0, 0), (0, 1), (1, 0), (1, 1))  # (row, col) of samples 0..3


def tile_2x2(images: list[np.ndarray]) -> np.ndarray:
    """Four uint8 [R, R, 3] images → one [2R, 2R, 3] grid."""
    side = images[0].shape[0]
    grid = np.zeros((2 * side, 2 * side, 3), np.uint8)
    for (r, c), image in zip(TILE_ORDER, images):
        grid[r * side:(r + 1) * side, c * side:(c + 1) * side] = image
    return grid


def split_2x2(grid: np.ndarray) -> list[np.ndarray]:
    """Inverse of tile_2x2 (the scorer's crop order)."""
    side = grid.shape[0] // 2
    return [grid[r * side:(r + 1) * side, c * side:(c + 1) * side] for r, c in TILE_ORDER]


class DPGLayout:
    def check(self, n: int) -> None:
        if n not in (1, 4):
            raise ValueError(f"DPG-Bench's layout holds 4 images per prompt as a 2×2 grid (or 1, --pic-num 1), not {n}")

    def image_ref(self, item: PromptItem, k: int, n: int) -> str:
        return f"{item.key}.png" + (f"#tile{k}" if n == 4 else "")

    def write(self, out: Path, item: PromptItem, images: list[np.ndarray]) -> None:
        save_png_atomic(tile_2x2(images) if len(images) == 4 else images[0], out / f"{item.key}.png")

    def done(self, out: Path, item: PromptItem, n: int) -> bool:
        return (out / f"{item.key}.png").is_file()

    def read(self, out: Path, ref: str) -> np.ndarray:
        """'item.png' (one image) or 'item.png#tileK' (sample K of a 2×2 grid)."""
        name, _, fragment = ref.partition("#")
        grid = read_rgb(out / name)
        if not fragment:
            return grid
        if not fragment.startswith("tile") or not fragment[4:].isdigit() or int(fragment[4:]) > 3:
            raise ValueError(f"unknown DPG image reference '{ref}' (expected 'item.png' or 'item.png#tile0'..'#tile3')")
        return split_2x2(grid)[int(fragment[4:])]
