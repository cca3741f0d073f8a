"""The toy image tokenizer: a codebook of p×p RGB patches (the ImageTokenizer interface of Janus's VQ model).

Fitting collects the distinct patches of sampled scenes; when they fit in the codebook they are kept exactly
(grid-aligned objects make this lossless), otherwise k-means picks the codebook. Encoding looks each patch up
by hash (exact hits) and falls back to the nearest code.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rgbench.toy.render import render_batch
from rgbench.toy.sampler import random_spec, scene_for
from rgbench.toy.world import WORLD_VERSION, Obj, Scene, WorldConfig

DATA_DIR = Path(__file__).parent / "data" / "tokenizer"
_HASH_W = np.random.default_rng(12345).integers(1, 2**63 - 1, size=4096, dtype=np.uint64) | np.uint64(1)
FIT_TASKS = ("single_object", "two_object", "counting", "colors", "position", "color_attr", "dense",
             "color", "shape", "texture", "spatial", "numeracy", "complex")


def to_patches(images: np.ndarray, p: int) -> np.ndarray:
    """uint8 [B, H, W, 3] → uint8 [B, (H/p)*(W/p), p*p*3], row-major over the patch grid."""
    B, H, W, C = images.shape
    x = images.reshape(B, H // p, p, W // p, p, C).transpose(0, 1, 3, 2, 4, 5)  # [B, h, w, p, p, C]
    return x.reshape(B, (H // p) * (W // p), p * p * C)


def from_patches(patches: np.ndarray, p: int, side: int) -> np.ndarray:
    """uint8 [B, h*w, p*p*3] → uint8 [B, H, W, 3]."""
    B, n = patches.shape[:2]
    g = side // p
    x = patches.reshape(B, g, g, p, p, 3).transpose(0, 1, 3, 2, 4, 5)  # [B, h, p, w, p, 3]
    return x.reshape(B, side, side, 3)


def _hash(flat: np.ndarray) -> np.ndarray:
    """uint8 [N, D] → uint64 [N] (wrapping dot product with fixed odd weights)."""
    return (flat.astype(np.uint64) * _HASH_W[: flat.shape[1]]).sum(axis=1, dtype=np.uint64)


@dataclass
class PatchTokenizer:
    codebook: np.ndarray  # uint8 [K, p*p*3]
    patch: int
    image_size: int
    meta: dict

    def __post_init__(self) -> None:
        self._keys = _hash(self.codebook)  # [K]
        self._order = np.argsort(self._keys)
        self._sorted = self._keys[self._order]

    @property
    def grid(self) -> tuple[int, int]:
        g = self.image_size // self.patch
        return (g, g)

    @property
    def codebook_size(self) -> int:
        return len(self.codebook)

    def encode(self, images: np.ndarray) -> np.ndarray:
        """uint8 [B, H, W, 3] → int64 [B, h*w]."""
        patches = to_patches(np.asarray(images, np.uint8), self.patch)  # [B, n, D]
        B, n, D = patches.shape
        flat = patches.reshape(B * n, D)
        keys = _hash(flat)
        pos = np.clip(np.searchsorted(self._sorted, keys), 0, len(self._sorted) - 1)
        ids = self._order[pos]
        hit = (self._sorted[pos] == keys) & (self.codebook[ids] == flat).all(axis=1)
        if not hit.all():
            ids = ids.copy()
            ids[~hit] = self._nearest(flat[~hit])
        return ids.reshape(B, n).astype(np.int64)

    def _nearest(self, flat: np.ndarray) -> np.ndarray:
        cb = self.codebook.astype(np.float32)
        out = np.empty(len(flat), np.int64)
        for s in range(0, len(flat), 4096):
            x = flat[s:s + 4096].astype(np.float32)
            d = (x * x).sum(1, keepdims=True) - 2 * x @ cb.T + (cb * cb).sum(1)  # [n, K]
            out[s:s + 4096] = d.argmin(1)
        return out

    def decode(self, ids: np.ndarray) -> np.ndarray:
        """int [B, h*w] → uint8 [B, H, W, 3]."""
        ids = np.asarray(ids, np.int64)
        if ids.min() < 0 or ids.max() >= self.codebook_size:
            raise ValueError(f"image code out of range [0, {self.codebook_size})")
        return from_patches(self.codebook[ids], self.patch, self.image_size)

    def save(self, folder: Path = DATA_DIR) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "codebook.npy", self.codebook)
        (folder / "tokenizer.json").write_text(json.dumps(self.meta, indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, folder: Path = DATA_DIR) -> PatchTokenizer:
        meta_path = folder / "tokenizer.json"
        if not meta_path.exists():
            raise FileNotFoundError(f"no toy tokenizer in {folder}; run `rgbench toy fit-tokenizer`")
        meta = json.loads(meta_path.read_text())
        return cls(np.load(folder / "codebook.npy"), meta["patch"], meta["image_size"], meta)


def fit_tokenizer(world: WorldConfig, n_scenes: int = 3000, codebook_size: int = 2048, seed: int = 0,
                  kmeans_iters: int = 20) -> PatchTokenizer:
    """Fit the codebook on `n_scenes` seeded scenes of every task (deterministic for a seed)."""
    rng = random.Random(seed)
    scenes = [scene_for(random_spec(rng.choice(FIT_TASKS), world, rng), world, rng) for _ in range(n_scenes)]
    scenes += [Scene((Obj(s, c, 0, 0, z, t),)) for s in world.shapes for c in world.colors  # every object once
               for z in world.sizes for t in world.textures]
    flat = to_patches(render_batch(scenes, world), world.patch).reshape(-1, world.patch ** 2 * 3)
    uniq, counts = np.unique(flat, axis=0, return_counts=True)
    order = np.lexsort((np.arange(len(uniq)), -counts))  # most frequent first; ties in byte order
    uniq, counts = uniq[order], counts[order]
    exact = len(uniq) <= codebook_size
    codebook = uniq if exact else _kmeans(uniq, counts, codebook_size, seed, kmeans_iters)
    meta = {"world_version": WORLD_VERSION, "patch": world.patch, "image_size": world.canvas,
            "n_scenes": n_scenes, "seed": seed, "codebook_size": int(len(codebook)),
            "distinct_patches": int(len(uniq)), "exact": bool(exact)}
    return PatchTokenizer(codebook.astype(np.uint8), world.patch, world.canvas, meta)


def _kmeans(points: np.ndarray, weights: np.ndarray, k: int, seed: int, iters: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = points.astype(np.float32)
    w = weights.astype(np.float64)
    centres = x[rng.choice(len(x), size=k, replace=False, p=w / w.sum())]
    for _ in range(iters):
        d = (x * x).sum(1, keepdims=True) - 2 * x @ centres.T + (centres * centres).sum(1)  # [N, k]
        assign = d.argmin(1)
        for j in range(k):
            sel = assign == j
            if sel.any():
                centres[j] = np.average(x[sel], axis=0, weights=w[sel])
    return np.clip(np.rint(centres), 0, 255)
