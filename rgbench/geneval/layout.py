"""GenEval's image folder: `<out>/<00012>/metadata.jsonl` (that prompt's record, one JSON object) and
`<out>/<00012>/samples/<0000>.png`, as `evaluate_images.py` reads it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rgbench.layouts import read_rgb, save_png_atomic
from rgbench.prompt_sets import PromptItem
from rgbench.results import write_atomic


class GenEvalLayout:
    def check(self, n: int) -> None:
        if not 1 <= n <= 9999:
            raise ValueError(f"GenEval's layout holds 1..9999 images per prompt, not {n}")

    def image_ref(self, item: PromptItem, k: int, n: int) -> str:
        return f"{item.key}/samples/{k:04d}.png"

    def write(self, out: Path, item: PromptItem, images: list[np.ndarray]) -> None:
        write_atomic(out / item.key / "metadata.jsonl", json.dumps(item.record) + "\n")
        for k, image in enumerate(images):
            save_png_atomic(image, out / self.image_ref(item, k, len(images)))

    def done(self, out: Path, item: PromptItem, n: int) -> bool:
        return (out / item.key / "metadata.jsonl").is_file() and \
            all((out / self.image_ref(item, k, n)).is_file() for k in range(n))

    def read(self, out: Path, ref: str) -> np.ndarray:
        return read_rgb(out / ref)
