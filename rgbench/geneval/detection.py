"""What GenEval's scorer needs from vision models: an instance detector and an object colour classifier.

Backends (Mask2Former through transformers, mmdet, the toy rule detector; CLIP, open_clip, the toy palette
classifier) implement these protocols and register in DETECTORS / COLOR_CLASSIFIERS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from rgbench.registry import Registry


@dataclass
class Detection:
    label: str  # class name, in the detector's class list
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in pixels; x2 = x_max + 1 (mmdet's tight-mask box)
    score: float  # confidence in [0, 1]
    mask: np.ndarray | None = field(default=None, repr=False)  # bool [H, W] at the image's size

    def to_record(self) -> dict[str, Any]:
        """JSON-able raw record (the mask as run-length rows is left to the writer that needs it)."""
        return {"label": self.label, "box": [float(v) for v in self.box], "score": float(self.score)}


class Detector(Protocol):
    name: str
    classes: tuple[str, ...]

    def detect(self, images: Sequence[Any]) -> list[list[Detection]]:
        """Images (PIL or uint8 [H, W, 3]) → per image, detections sorted by score (highest first)."""
        ...


class ColorClassifier(Protocol):
    name: str
    colors: tuple[str, ...]

    def classify(self, image: Any, detections: Sequence[Detection]) -> list[str]:
        """One colour name per detected object of one image (uses each detection's mask and box)."""
        ...


DETECTORS: Registry[Any] = Registry("detector")
COLOR_CLASSIFIERS: Registry[Any] = Registry("colour classifier")
