"""The image-tokenizer interface the generator is trained on: Janus's VQ model and the toy patch tokenizer."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class ImageTokenizer(Protocol):
    image_size: int  # side of the square images it encodes and decodes, in pixels
    grid: tuple[int, int]  # (rows, cols) of the token grid
    codebook_size: int  # number of distinct image codes

    def encode(self, images: np.ndarray) -> np.ndarray:
        """uint8 [B, H, W, 3] → int64 [B, rows*cols] code ids, row-major."""
        ...

    def decode(self, ids: np.ndarray) -> np.ndarray:
        """int [B, rows*cols] → uint8 [B, H, W, 3]."""
        ...
