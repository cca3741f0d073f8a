"""Image plumbing shared by every backend: PIL images or uint8 arrays in, uint8 [H, W, 3] arrays out."""

from __future__ import annotations

from typing import Union

import numpy as np
from PIL import Image

ImageLike = Union[np.ndarray, Image.Image]


def as_array(image: ImageLike) -> np.ndarray:
    """uint8 [H, W, 3] RGB."""
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"), dtype=np.uint8)
    arr = np.asarray(image)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected a uint8 [H, W, 3] image, got {arr.dtype} {arr.shape}")
    return arr


def as_batch(images) -> np.ndarray:
    """A sequence of images (or a [B, H, W, 3] array) → uint8 [B, H, W, 3]."""
    if isinstance(images, np.ndarray) and images.ndim == 4:
        return images.astype(np.uint8, copy=False)
    return np.stack([as_array(im) for im in images])


def save_png(array: np.ndarray, path) -> None:
    Image.fromarray(as_array(array)).save(path)
