"""Rule-based vision models of the toy world, behind the real models' interfaces:
a detector (connected components + shape templates), a colour classifier (palette vote inside the mask),
size and texture readers, and `perceive`, which turns an image into `Seen` objects for the VQA and judges."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from rgbench.backends import BackendSpec
from rgbench.geneval.detection import Detection
from rgbench.images import as_array, as_batch
from rgbench.toy.render import shape_mask, texture_mask
from rgbench.toy.spec import Seen
from rgbench.toy.world import BACKGROUND, PALETTE, SHADE, WorldConfig

FOREGROUND_DIFF = 30  # a pixel is foreground when some channel differs from the background by more than this
MIN_IOU = 0.5  # below this template IoU a blob is not an object at all


def components(fg: np.ndarray) -> np.ndarray:
    """4-connected component labels of a batch of masks: bool [B, H, W] → int [B, H, W] (0 = background)."""
    B, H, W = fg.shape
    labels = np.where(fg, np.arange(1, B * H * W + 1).reshape(B, H, W), 0)  # [B, H, W]
    for _ in range(H * W):
        p = np.pad(labels, ((0, 0), (1, 1), (1, 1)))  # [B, H+2, W+2]
        neigh = np.maximum.reduce([p[:, :-2, 1:-1], p[:, 2:, 1:-1], p[:, 1:-1, :-2], p[:, 1:-1, 2:], labels])
        new = np.where(fg, neigh, 0)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


@lru_cache(maxsize=8)
def _templates(shapes: tuple[str, ...], sides: tuple[int, ...]) -> list[tuple[str, int, np.ndarray]]:
    return [(s, side, shape_mask(s, side)) for s in shapes for side in sides]


def _iou_topleft(a: np.ndarray, b: np.ndarray) -> float:
    h, w = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    pa = np.zeros((h, w), bool)
    pb = np.zeros((h, w), bool)
    pa[:a.shape[0], :a.shape[1]] = a
    pb[:b.shape[0], :b.shape[1]] = b
    union = np.logical_or(pa, pb).sum()
    return float(np.logical_and(pa, pb).sum() / union) if union else 0.0


class ToyDetector:
    """Connected components of non-background pixels, each matched against the shape templates.

    Score = IoU with the best template (1.0 on clean renders). Validity filters: box sides within the
    world's object sizes ± 3 px, aspect ≤ 1.6, IoU ≥ 0.5; blobs failing them are not objects.
    """

    name = "toy"

    def __init__(self, world: WorldConfig | None = None) -> None:
        self.world = world or WorldConfig()
        self.classes = tuple(self.world.shapes)

    def detect(self, images: Sequence[Any]) -> list[list[Detection]]:
        batch = as_batch(images).astype(np.int16)  # [B, H, W, 3]
        fg = np.abs(batch - np.array(BACKGROUND, np.int16)).max(axis=-1) > FOREGROUND_DIFF  # [B, H, W]
        labels = components(fg)  # [B, H, W]
        return [self._objects(labels[i]) for i in range(len(batch))]

    def _objects(self, labels: np.ndarray) -> list[Detection]:
        sides = tuple(sorted(self.world.sizes.values()))
        lo, hi = sides[0] - 3, sides[-1] + 3
        out = []
        for lab in np.unique(labels[labels > 0]):
            mask = labels == lab  # [H, W]
            ys, xs = np.nonzero(mask)
            y1, y2, x1, x2 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
            h, w = y2 - y1, x2 - x1
            if not (lo <= h <= hi and lo <= w <= hi) or max(h, w) / min(h, w) > 1.6:
                continue
            crop = mask[y1:y2, x1:x2]
            best = max(((_iou_topleft(crop, t), s) for s, side, t in _templates(self.classes, sides)
                        if abs(side - h) <= 3 and abs(side - w) <= 3), default=(0.0, ""))
            if best[0] >= MIN_IOU:
                out.append(Detection(best[1], (float(x1), float(y1), float(x2), float(y2)), best[0], mask))
        return sorted(out, key=lambda d: -d.score)


def _tones() -> tuple[np.ndarray, list[str], np.ndarray]:
    names = list(PALETTE)
    rgb = np.array([PALETTE[c] for c in names] + [SHADE[c] for c in names], np.float32)  # [2C, 3]
    is_shade = np.array([False] * len(names) + [True] * len(names))
    return rgb, names + names, is_shade


class ToyColorClassifier:
    """Each masked pixel votes for its nearest palette tone (base or shade); the most voted colour wins."""

    name = "toy"
    colors = tuple(PALETTE)

    def classify(self, objects: Sequence[tuple[Any, Detection]]) -> list[str]:
        rgb, names, _ = _tones()
        out = []
        for image, det in objects:
            pix = as_array(image).astype(np.float32)[det.mask]  # [N, 3]
            nearest = ((pix[:, None, :] - rgb[None]) ** 2).sum(-1).argmin(1)  # [N]
            votes: dict[str, int] = {}
            for k in nearest:
                votes[names[k]] = votes.get(names[k], 0) + 1
            out.append(max(votes, key=lambda c: (votes[c], -self.colors.index(c))))
        return out


def build_toy_detector(spec: BackendSpec) -> ToyDetector:
    """DETECTORS["toy"]: the default world's detector (the spec's weights/device do not apply)."""
    return ToyDetector()


def build_toy_colors(spec: BackendSpec) -> ToyColorClassifier:
    """COLOR_CLASSIFIERS["toy"]."""
    return ToyColorClassifier()


def read_texture(image: np.ndarray, det: Detection, world: WorldConfig) -> str:
    """Which texture's shade pattern best explains the object's shade pixels."""
    x1, y1, x2, y2 = (int(v) for v in det.box)
    crop = image[y1:y2, x1:x2].astype(np.float32)  # [h, w, 3]
    mask = det.mask[y1:y2, x1:x2]
    rgb, _, is_shade = _tones()
    shade = is_shade[((crop[..., None, :] - rgb) ** 2).sum(-1).argmin(-1)] & mask  # [h, w]
    side = max(crop.shape[:2])
    scores = {t: (texture_mask(t, side)[:shade.shape[0], :shade.shape[1]] & mask == shade).mean() for t in world.textures}
    return max(scores, key=lambda t: (scores[t], -world.textures.index(t)))


def read_size(det: Detection, world: WorldConfig) -> str:
    side = max(det.box[2] - det.box[0], det.box[3] - det.box[1])
    return min(world.sizes, key=lambda name: abs(world.sizes[name] - side))


def perceive(images: Sequence[Any], world: WorldConfig | None = None, min_score: float = 0.5,
             detector: ToyDetector | None = None) -> list[list[Seen]]:
    """Images → per image, the objects with shape, colour, size, texture and box (score ≥ min_score)."""
    world = world or WorldConfig()
    detector = detector or ToyDetector(world)
    colours = ToyColorClassifier()
    arrays = as_batch(images)
    out = []
    for arr, dets in zip(arrays, detector.detect(arrays)):
        dets = [d for d in dets if d.score >= min_score]
        cols = colours.classify([(arr, d) for d in dets])
        out.append([Seen(d.label, c, read_size(d, world), read_texture(arr, d, world), d.box, d.score)
                    for d, c in zip(dets, cols)])
    return out
