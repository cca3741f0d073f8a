"""The shipped toy checkpoints, each made by `rgbench toy pretrain --stage NAME` from the SFT preset of its name:

    toy-base   prompt → image, no CoT, from a fresh toy policy (the counterpart of Janus-Pro-7B)
    toy-sft    prompt → CoT plan → image, from toy-base (the counterpart of ReasonGen-R1-SFT)

A checkpoint folder is a policy folder (loads with `load_policy`) plus the run's config.yaml, metrics.jsonl and
summary.json, so where it came from travels with it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

CHECKPOINTS = Path(__file__).parent / "checkpoints"
BASE_DIR = CHECKPOINTS / "base"
# stage → (the SFT preset that makes it, the model name it is opened by)
STAGES = {"base": ("toy-base", "toy-base"), "sft": ("toy-sft", "toy-sft")}
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


def checkpoint_dir(stage: str) -> Path:
    return CHECKPOINTS / stage


def shipped_checkpoint(stage: str) -> Path:
    """The folder of a shipped toy checkpoint, or a FileNotFoundError saying how to make it."""
    folder = checkpoint_dir(stage)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"the toy {stage} checkpoint is missing from {folder}; make it with "
                                f"`rgbench toy pretrain --stage {stage}`")
    return folder


def base_checkpoint() -> Path:
    return shipped_checkpoint("base")
