"""How a model backend is built, whatever the benchmark: which weights, where, in what precision, how batched.

Every backend registry (GenEval's detectors and colour classifiers, DPG's VQA models) maps a name to a factory
`(BackendSpec) -> backend`, so the command line builds any of them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BackendSpec:
    """How to build a backend: which weights (None = the backend's default id), where, in what precision."""

    model: str | None = None
    device: str | None = None  # None: cuda when present, else cpu
    dtype: str = "auto"  # auto: the backend's choice (fp16 autocast for CLIP on GPU as the official scorer, fp32 on CPU)
    weights_dir: str | Path | None = None
    batch_size: int = 8
