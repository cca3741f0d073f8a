"""The shipped toy checkpoints: `toy-base` (prompt → image, no CoT), made by `rgbench toy pretrain`.

A checkpoint folder is a policy folder (loads with `load_policy`) plus the run's config.yaml, metrics.jsonl and
summary.json, so where it came from travels with it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

BASE_DIR = Path(__file__).parent / "checkpoints" / "base"
RUN_FILES = ("config.yaml", "metrics.jsonl", "summary.json", "meta.json")


def install_checkpoint(run_dir: Path, target: Path) -> Path:
    """Copy a finished SFT run's model/ and its record files to `target` (replacing what was there)."""
    model = run_dir / "model"
    if not model.is_dir():
        raise FileNotFoundError(f"{run_dir} has no trained model/ yet")
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(model, staging)
    for name in RUN_FILES:
        if (run_dir / name).is_file():
            shutil.copy2(run_dir / name, staging / f"run_{name}")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def base_checkpoint() -> Path:
    if not (BASE_DIR / "config.json").is_file():
        raise FileNotFoundError(f"the toy base checkpoint is missing from {BASE_DIR}; make it with `rgbench toy pretrain`")
    return BASE_DIR
