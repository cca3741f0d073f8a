"""What GenEval's scorer needs from vision models: an instance detector and an object colour classifier.

Backends implement these protocols and register a factory `(BackendSpec) -> backend` in DETECTORS /
COLOR_CLASSIFIERS (lazy "module:attr" paths, so nothing heavy imports until a backend is asked for):

    detectors:          toy (rule detector), mask2former (transformers), mmdet (official, optional extra)
    colour classifiers: toy (palette vote), clip (transformers CLIPModel), open_clip (optional extra)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from rgbench.backends import BackendSpec
from rgbench.registry import Registry

# GenEval's ten colours, in the official order (it is the argmax tie order and the order of the CLIP classifier).
COLORS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white")


@dataclass
class Detection:
    label: str  # class name, in the detector's class list (GenEval's object_names for the real detectors)
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in pixels; x2 = x_max + 1 (mmdet's tight-mask box)
    score: float  # confidence in [0, 1]
    mask: np.ndarray | None = field(default=None, repr=False)  # bool [H, W] at the image's original size

    def to_record(self) -> dict[str, Any]:
        """The public detections-file object (the colour is filled in by the evaluator). Score and box are
        written as the float32 values mmdet holds, so re-scoring compares exactly what the scorer would."""
        return {"label": self.label, "score": float(np.float32(self.score)),
                "box": [float(np.float32(v)) for v in self.box]}


class Detector(Protocol):
    name: str
    classes: tuple[str, ...]

    def detect(self, images: Sequence[Any]) -> list[list[Detection]]:
        """Images (PIL or uint8 [H, W, 3], any sizes) → per image, every detection the model returns
        (mmdet: the top-100 (query, class) pairs), sorted by score, highest first, masks at original size."""
        ...


class ColorClassifier(Protocol):
    name: str
    colors: tuple[str, ...]

    def classify(self, objects: Sequence[tuple[Any, Detection]]) -> list[str]:
        """(image, detection) pairs, possibly from many images → one colour name per pair, batched inside.
        Uses the detection's label (the class goes into the text prompts), mask and box."""
        ...


DETECTORS: Registry[Any] = Registry("detector")
COLOR_CLASSIFIERS: Registry[Any] = Registry("colour classifier")

DETECTORS.register("toy", "rgbench.toy.vision:build_toy_detector")
DETECTORS.register("mask2former", "rgbench.geneval.mask2former:build_mask2former")
DETECTORS.register("mmdet", "rgbench.geneval.mmdet_detector:build_mmdet")
COLOR_CLASSIFIERS.register("toy", "rgbench.toy.vision:build_toy_colors")
COLOR_CLASSIFIERS.register("clip", "rgbench.geneval.clip_colors:build_clip_colors")
COLOR_CLASSIFIERS.register("open_clip", "rgbench.geneval.clip_colors:build_open_clip_colors")


def build_detector(name: str, spec: BackendSpec | None = None) -> Detector:
    return DETECTORS.get(name)(spec or BackendSpec())


def build_color_classifier(name: str, spec: BackendSpec | None = None) -> ColorClassifier:
    return COLOR_CLASSIFIERS.get(name)(spec or BackendSpec())
