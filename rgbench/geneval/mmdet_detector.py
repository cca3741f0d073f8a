"""GenEval's official detector through mmdetection itself (optional extra: `pip install 'rgbench[mmdet]'`).

The official scorer (evaluation/evaluate_images.py) builds `init_detector(config, checkpoint)` with the config
`configs/mask2former/mask2former_swin-s-p4-w7-224_lsj_8x2_50e_coco.py` found relative to the installed mmdet
package, then calls `inference_detector(model, filepath)` once per image. This backend does the same, per image,
and converts mmdet's output into `Detection`s with the pure functions `from_mmdet2` / `from_mmdet3`.

Checkpoint and version must match (a wrong pair loads silently with missing keys and scores near zero):
- mmdet 2.x (GenEval's environment: mmdet 2.27.0, mmcv-full 1.7.1): `…_20220504_001756-743b7d99.pth`;
- mmdet 3.x (rgbench's extra pins 3.3.0): the converted `…_20220504_001756-c9d0c4f2.pth`.
Both are OpenMMLab's training; `--detector mask2former` runs FAIR's weights through transformers instead.

Input colour order: mmdet reads files with cv2, so its pipeline expects BGR arrays; images arrive here as RGB and
are flipped before `inference_detector` (for an ndarray mmdet 2.x uses LoadImageFromWebcam, 3.x
LoadImageFromNDArray, and both then treat it as a file read by cv2).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rgbench.backends import BackendSpec
from rgbench.devices import resolve_device
from rgbench.geneval.detection import Detection
from rgbench.images import as_array

CONFIG_NAME = "mask2former_swin-s-p4-w7-224_lsj_8x2_50e_coco"
CHECKPOINTS = {  # mmdet major version → the official checkpoint file for it
    2: f"{CONFIG_NAME}_20220504_001756-743b7d99.pth",
    3: f"{CONFIG_NAME}_20220504_001756-c9d0c4f2.pth",
}
CONFIG_DIRS = ("../configs/mask2former", ".mim/configs/mask2former")  # relative to mmdet/ (source checkout, pip)
FP32 = ("auto", "fp32", "float32")
CHECKPOINT_HINT = (f"pass the checkpoint file, or a folder holding it, as the model: {CHECKPOINTS[3]} for mmdet 3.x, "
                   f"{CHECKPOINTS[2]} for mmdet 2.x (GenEval's download_models.sh fetches them from the mmdet "
                   f"model zoo)")


class MmdetMissing(ImportError):
    """mmdet is not importable; the message names the extra and the transformers alternative."""


# ---------------------------------------------------------------- pure converters


def from_mmdet2(result: Any, classes: Sequence[str]) -> list[Detection]:
    """mmdet 2.x `inference_detector` output → detections sorted by score (stable), highest first.

    `result` is (bbox, segm) with bbox = per class an [n, 5] float32 array (x1, y1, x2, y2, score) and segm = per
    class a list of n bool [H, W] masks; a bare bbox list (no masks) and {"ins_results": …} are accepted too.
    """
    if isinstance(result, dict):
        result = result["ins_results"]
    bbox, segm = (result[0], result[1] if len(result) > 1 else None) if isinstance(result, tuple) else (result, None)
    _check_classes(len(bbox), classes)
    found = []
    for c, rows in enumerate(bbox):
        masks = segm[c] if segm is not None else [None] * len(rows)
        found += [Detection(classes[c], tuple(float(v) for v in row[:4]), float(row[4]), _bool_mask(mask))
                  for row, mask in zip(rows, masks)]
    return sort_detections(found)


def from_mmdet3(sample: Any, classes: Sequence[str]) -> list[Detection]:
    """mmdet 3.x DetDataSample → detections sorted by score (stable), highest first.

    Reads `sample.pred_instances`: bboxes [N, 4], scores [N], labels [N] tensors and, when present, masks [N, H, W].
    """
    pred = sample.pred_instances
    boxes = _numpy(pred.bboxes).reshape(-1, 4)  # [N, 4]
    scores, labels = _numpy(pred.scores), _numpy(pred.labels)  # [N], [N]
    masks = _numpy(pred.masks) if _has(pred, "masks") else [None] * len(scores)  # [N, H, W]
    found = [Detection(classes[int(label)], tuple(float(v) for v in box), float(score), _bool_mask(mask))
             for box, score, label, mask in zip(boxes, scores, labels, masks)]
    return sort_detections(found)


def from_mmdet(result: Any, classes: Sequence[str]) -> list[Detection]:
    """Either version's output: a DetDataSample (3.x, has pred_instances) or the 2.x tuple."""
    return from_mmdet3(result, classes) if hasattr(result, "pred_instances") else from_mmdet2(result, classes)


def sort_detections(found: Sequence[Detection]) -> list[Detection]:
    """By score, highest first; equal scores keep mmdet's order (Python's sort is stable)."""
    return sorted(found, key=lambda d: -d.score)


def check_pairing(checkpoint: str | Path, mmdet_version: str) -> None:
    """Raise when the checkpoint is the official file of the *other* mmdet major version (GenEval issues #6–#8:
    the mismatch loads with missing keys and every score collapses)."""
    major = int(mmdet_version.split(".")[0])
    name = Path(checkpoint).name
    for version, official in CHECKPOINTS.items():
        if name == official and version != major:
            raise ValueError(f"{name} is the checkpoint for mmdet {version}.x but mmdet {mmdet_version} is installed; "
                             f"use {CHECKPOINTS.get(major, 'the checkpoint converted for it')} instead")


def _check_classes(n: int, classes: Sequence[str]) -> None:
    if n != len(classes):
        raise ValueError(f"the mmdet result has {n} classes, expected {len(classes)} (GenEval's COCO object names)")


def _numpy(value: Any) -> np.ndarray:
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def _has(instances: Any, key: str) -> bool:
    keys = getattr(instances, "keys", None)
    return key in keys() if callable(keys) else hasattr(instances, key)


def _bool_mask(mask: Any) -> np.ndarray | None:
    return None if mask is None else np.asarray(_numpy(mask), dtype=bool)


# ---------------------------------------------------------------- the detector


class MmdetDetector:
    """Detector protocol over an mmdet model: `inference_detector` one image at a time, as the official scorer."""

    name = "mmdet"

    def __init__(self, model: Any, classes: Sequence[str], inference: Any):
        self.model, self.classes, self.inference = model, tuple(classes), inference

    def detect(self, images: Sequence[Any]) -> list[list[Detection]]:
        """RGB PIL images or uint8 [H, W, 3] arrays → per image, every detection mmdet returns, by score."""
        out = []
        for image in images:
            bgr = np.ascontiguousarray(as_array(image)[:, :, ::-1])  # [H, W, 3], as cv2 reads a file
            out.append(from_mmdet(self.inference(self.model, bgr), self.classes))
        return out


def build_mmdet(spec: BackendSpec) -> MmdetDetector:
    """DETECTORS["mmdet"]: the official config + checkpoint through mmdet's own `init_detector`."""
    mmdet = _import_mmdet()
    from mmdet.apis import inference_detector, init_detector

    from rgbench.geneval.mask2former import geneval_classes

    if spec.dtype not in FP32:
        raise ValueError(f"the mmdet detector runs fp32 as the official scorer; got dtype '{spec.dtype}'")
    checkpoint = find_checkpoint(spec, mmdet.__version__)
    check_pairing(checkpoint, mmdet.__version__)
    config = find_config(checkpoint, Path(mmdet.__file__).parent)
    device = str(resolve_device(spec.device))
    model = init_detector(str(config), str(checkpoint), device=device)
    classes = geneval_classes()
    names = _model_classes(model)
    if names is not None:
        _check_classes(len(names), classes)
    return MmdetDetector(model, classes, inference_detector)


def find_checkpoint(spec: BackendSpec, mmdet_version: str = "3") -> Path:
    """spec.model (a .pth file, or a folder / weights-dir id holding one official checkpoint) → the file.

    A folder holding both versions' files yields the one for the installed mmdet major version.
    """
    from rgbench.weights import WeightsNotFound, resolve_weights

    if spec.model is None:
        raise WeightsNotFound("the 'mmdet' detector needs a local checkpoint; " + CHECKPOINT_HINT)
    found = resolve_weights(spec.model, spec.weights_dir, required=())
    if found.is_file():
        return found
    files = sorted(found.glob(f"{CONFIG_NAME}*.pth"))
    if len(files) > 1:
        preferred = CHECKPOINTS.get(int(mmdet_version.split(".")[0]))
        files = [f for f in files if f.name == preferred] or files
    if len(files) != 1:
        what = "no" if not files else f"{len(files)} ({', '.join(f.name for f in files)})"
        raise WeightsNotFound(f"{found} holds {what} {CONFIG_NAME}*.pth files; " + CHECKPOINT_HINT)
    return files[0]


def find_config(checkpoint: Path, mmdet_dir: Path | None) -> Path:
    """The model config: `<CONFIG_NAME>.py` (or the only .py) beside the checkpoint, else the installed mmdet's
    configs/mask2former/ (the official scorer's path, ../configs from a source checkout, .mim/configs from pip)."""
    beside = [checkpoint.parent / f"{CONFIG_NAME}.py"]
    scripts = sorted(checkpoint.parent.glob("*.py"))
    if len(scripts) == 1:
        beside.append(scripts[0])
    installed = [Path(os.path.join(mmdet_dir, d, f"{CONFIG_NAME}.py")) for d in CONFIG_DIRS] if mmdet_dir else []
    for path in beside + installed:
        if path.is_file():
            return path
    raise FileNotFoundError(f"no {CONFIG_NAME}.py config; looked in:\n" + "\n".join(f"  {p}" for p in beside + installed)
                            + "\nput the config (from mmdet's configs/mask2former/, with its _base_ files) beside the "
                              "checkpoint, or install mmdet from a source checkout")


def _model_classes(model: Any) -> Sequence[str] | None:
    meta = getattr(model, "dataset_meta", None) or {}
    return meta.get("classes") or getattr(model, "CLASSES", None)


def _import_mmdet() -> Any:
    try:
        import mmdet
        import mmdet.apis  # noqa: F401  (mmcv's compiled ops fail here, not at `import mmdet`)
    except ImportError as err:
        raise MmdetMissing(
            f"the 'mmdet' detector needs mmdetection, which is not importable here ({err}). Install the optional "
            "extra on a GPU machine: pip install 'rgbench[mmdet]' (mmcv builds from source); or use "
            "--detector mask2former, which runs Mask2Former Swin-S through transformers with mmdet's pre- and "
            "post-processing (FAIR's weights, so scores differ slightly).") from err
    return mmdet
