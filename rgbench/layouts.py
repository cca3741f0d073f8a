"""Image folder layouts the official scorers read, by name (shared/spec/benchmarks.md §1.4, §2.4, §3.2).

A layout says where a prompt's n images go, writes them atomically, and tells whether a prompt is finished.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from rgbench.prompt_sets import PromptItem
from rgbench.registry import Registry
from rgbench.results import read_json, write_atomic


class Layout(Protocol):
    def check(self, n: int) -> None:
        """Raise ValueError when this layout cannot hold n images per prompt."""
        ...

    def image_ref(self, item: PromptItem, k: int, n: int) -> str:
        """Where sample k lives, relative to the output folder (e.g. '00012/samples/0003.png')."""
        ...

    def write(self, out: Path, item: PromptItem, images: list[np.ndarray]) -> None:
        """Write one prompt's images (uint8 [H, W, 3] each), atomically per file."""
        ...

    def done(self, out: Path, item: PromptItem, n: int) -> bool:
        """True when every file of this prompt exists."""
        ...

    def read(self, out: Path, ref: str) -> np.ndarray:
        """The uint8 [H, W, 3] image an `image_ref` points at."""
        ...


LAYOUTS: Registry[type] = Registry("image layout")
LAYOUTS.register("geneval", "rgbench.geneval.layout:GenEvalLayout")
LAYOUTS.register("dpg", "rgbench.dpg.layout:DPGLayout")
LAYOUTS.register("t2i", "rgbench.t2i.layout:T2ILayout")


def get_layout(name: str) -> Layout:
    return LAYOUTS.get(name)()


def save_png_atomic(image: np.ndarray | Image.Image, path: Path) -> None:
    """Write a PNG atomically (rgbench.results.write_atomic): no half-written image survives a crash."""
    pil = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image, np.uint8))
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    write_atomic(path, buf.getvalue())


def generation_provenance(images: str | Path | None) -> dict[str, Any]:
    """The generating model, prompt set, seed and sample count, from an image folder's generation.json (written
    by `rgbench generate`), for every evaluator's provenance; {} for folders made elsewhere."""
    path = Path(images) / "generation.json" if images else None
    if path is None or not path.is_file():
        return {}
    settings = read_json(path).get("settings", {})
    return {k: settings[k] for k in ("model", "prompt_set", "seed", "n") if k in settings}



def read_rgb(path: Path) -> np.ndarray:
    """A saved image as uint8 [H, W, 3]."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))
