"""T2I-CompBench's image folder: `<out>/<category>/samples/<prompt>_<NNNNNN>.png`, NNNNNN = prompt index · n + k
over the category file, so the scorers recover the prompt (before the first "_") and the order."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rgbench.layouts import read_rgb, save_png_atomic
from rgbench.prompt_sets import PromptItem


class T2ILayout:
    def check(self, n: int) -> None:
        if n < 1:
            raise ValueError("need at least one image per prompt")

    def image_ref(self, item: PromptItem, k: int, n: int) -> str:
        if "_" in item.prompt or "/" in item.prompt:
            raise ValueError(f"T2I-CompBench file names cannot hold a prompt with '_' or '/': {item.prompt!r}")
        return f"{item.group}/samples/{item.prompt}_{item.index * n + k:06d}.png"

    def write(self, out: Path, item: PromptItem, images: list[np.ndarray]) -> None:
        for k, image in enumerate(images):
            save_png_atomic(image, out / self.image_ref(item, k, len(images)))

    def done(self, out: Path, item: PromptItem, n: int) -> bool:
        return all((out / self.image_ref(item, k, n)).is_file() for k in range(n))

    def read(self, out: Path, ref: str) -> np.ndarray:
        return read_rgb(out / ref)
