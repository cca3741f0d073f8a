"""GenEval's detector through transformers: Mask2Former Swin-S COCO instance, with mmdetection 2.x's test-time
preprocessing and instance post-processing instead of transformers' image processor and post-processor.

What the official scorer runs (mmdet 2.x, `MaskFormer.simple_test` → `MaskFormerFusionHead.instance_postprocess`),
reproduced here step by step:
- preprocessing (the COCO-instance config's test pipeline, mask2former_r50_lsj_8x2_50e_coco.py in mmdet 2.25–2.28):
  keep-ratio resize to scale (1333, 800) (mmcv.imrescale: factor = min(1333 / long, 800 / short), sides
  int(side · factor + 0.5)), bilinear on the uint8 image; pad bottom/right to a multiple of 32 with grey 128
  (`Pad(size_divisor=32, pad_val=dict(img=(128, 128, 128)))`, which comes *before* `Normalize` there); normalise
  with ImageNet mean/std (0–255, RGB), padding included. mmdet 3.x differs here: its data preprocessor normalises
  first and pads with 0 afterwards (i.e. with the mean colour), and its test pipeline resizes a float32 image;
- one image per forward;
- post-processing per image: softmax over the C + 1 class logits and drop the no-object column; top 100 of the
  flattened (query, class) scores, no threshold, no NMS; mask logits upsampled bilinearly to the padded input,
  cropped to the resized image, resized bilinearly to the original size; binary mask = logit > 0; score = class
  probability × mean sigmoid inside the binary mask; box = tight box of the binary mask, (x_min, y_min, x_max + 1,
  y_max + 1), zeros when the mask is empty.

Where this backend still differs from the official detector:
- weights: `facebook/mask2former-swin-small-coco-instance` is FAIR's Detectron2 training; mmdet's checkpoint is
  OpenMMLab's retraining of the same architecture. Scores differ for that reason alone (use `--detector mmdet` for
  the official numbers);
- resize rounding: cv2's INTER_LINEAR on uint8 uses 11-bit fixed-point weights; here the same bilinear sampling
  (half-pixel centres, no antialiasing) runs in float32 and is rounded half up, so a few pixels can differ by one
  grey level. mmcv normalises by multiplying with 1/std, as here;
- batching: images whose padded inputs have the same size share a forward. Their padded tensors are exactly the
  ones a one-image forward would see, so only float rounding differs (the model ignores `pixel_mask`; the Swin
  backbone and the pixel decoder attend over the padding, as mmdet's do).

Where transformers' own pipeline differs (and why it is not used): Mask2FormerImageProcessor's preprocessor_config
for this checkpoint resizes to a fixed 384×384, ignoring the aspect ratio; `post_process_instance_segmentation`
interpolates mask logits to a hard-coded 384×384 before thresholding, drops detections under its `threshold`
(0.5), upsamples masks to the target size with nearest interpolation, paints instances into one label map unless
`return_binary_maps=True`, and returns no boxes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from rgbench.backends import BackendSpec
from rgbench.devices import resolve_device
from rgbench.geneval.detection import Detection
from rgbench.images import as_array

if TYPE_CHECKING:
    import torch

DEFAULT_MODEL = "facebook/mask2former-swin-small-coco-instance"

# mmdet 2.x test pipeline of mask2former_swin-s-p4-w7-224_lsj_8x2_50e_coco.py: Resize(keep_ratio) → Pad → Normalize.
TEST_SCALE = (1333, 800)  # (long-side cap, short-side target)
PIXEL_MEAN = (123.675, 116.28, 103.53)  # RGB, on 0–255 values
PIXEL_STD = (58.395, 57.12, 57.375)  # RGB
SIZE_DIVISOR = 32  # padding, bottom/right
PAD_PIXEL = 128.0  # the padding's 0–255 value, every channel, normalised like the image (2.x pad_cfg)
MAX_PER_IMAGE = 100  # test_cfg.max_per_image: top (query, class) pairs kept

DTYPES = {"auto": "float32", "fp32": "float32", "float32": "float32",
          "bf16": "bfloat16", "bfloat16": "bfloat16", "fp16": "float16", "float16": "float16"}


class Instances(NamedTuple):
    """One image's detections, sorted by score, highest first; K = min(max_per_image, Q·C)."""

    labels: torch.Tensor  # [K] long, class index
    scores: torch.Tensor  # [K] float32, class probability × mask score
    boxes: torch.Tensor  # [K, 4] float32, x1, y1, x2, y2 (x2 = x_max + 1)
    masks: torch.Tensor  # [K, H, W] bool, at the original size


@lru_cache(maxsize=1)
def geneval_classes() -> tuple[str, ...]:
    """GenEval's 80 object names (its spellings, e.g. "computer mouse"), in COCO label order."""
    path = Path(__file__).parent / "data" / "object_names.txt"
    return tuple(line.strip() for line in path.read_text().splitlines() if line.strip())


# ---------------------------------------------------------------- preprocessing (mmdet 2.x test pipeline)


def rescaled_size(height: int, width: int, scale: tuple[int, int] = TEST_SCALE) -> tuple[int, int]:
    """mmcv.imrescale's output (h, w): the largest keep-ratio size with long side ≤ scale[0] and short side
    ≤ scale[1], each side int(side · factor + 0.5)."""
    factor = min(max(scale) / max(height, width), min(scale) / min(height, width))
    return int(height * factor + 0.5), int(width * factor + 0.5)


def padded_size(height: int, width: int, divisor: int = SIZE_DIVISOR) -> tuple[int, int]:
    """mmcv.impad_to_multiple: each side rounded up to a multiple of `divisor`."""
    return -(-height // divisor) * divisor, -(-width // divisor) * divisor


def resize_uint8(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """[3, H, W] uint8 → [3, h, w] float32 holding uint8 values, as cv2.resize(INTER_LINEAR) on a uint8 image:
    bilinear with half-pixel centres and no antialiasing, rounded half up (cv2 rounds its fixed-point sums)."""
    import torch.nn.functional as F

    pixels = image.float()[None]  # [1, 3, H, W]
    if tuple(pixels.shape[-2:]) == tuple(size):
        return pixels[0]
    out = F.interpolate(pixels, size=size, mode="bilinear", align_corners=False, antialias=False)  # [1, 3, h, w]
    return out[0].add(0.5).floor().clamp(0, 255)  # [3, h, w]


def normalize(pixels: torch.Tensor) -> torch.Tensor:
    """[3, h, w] float RGB 0–255 → (x − mean) · (1 / std), mmcv.imnormalize's arithmetic."""
    import torch

    mean = torch.tensor(PIXEL_MEAN, dtype=torch.float32, device=pixels.device)[:, None, None]  # [3, 1, 1]
    inv_std = torch.tensor([1.0 / s for s in PIXEL_STD], dtype=torch.float32, device=pixels.device)[:, None, None]
    return (pixels - mean) * inv_std  # [3, h, w]


def preprocess(image: np.ndarray, device: torch.device | str = "cpu",
               scale: tuple[int, int] = TEST_SCALE) -> torch.Tensor:
    """uint8 RGB [H, W, 3] → normalised float32 [3, h, w] at mmdet's test size, unpadded."""
    import torch

    chw = torch.tensor(image, device=device).permute(2, 0, 1)  # [3, H, W] uint8, a copy (PIL arrays are read-only)
    size = rescaled_size(image.shape[0], image.shape[1], scale)
    return normalize(resize_uint8(chw, size))  # [3, h, w]


def pad_batch(images: Sequence[torch.Tensor], divisor: int = SIZE_DIVISOR) -> torch.Tensor:
    """[3, h_i, w_i] normalised images → [B, 3, Hp, Wp], padded bottom/right to the largest padded size with
    normalize(PAD_PIXEL): mmdet 2.x pads the uint8 image with grey 128 and normalises afterwards."""
    sizes = [padded_size(im.shape[1], im.shape[2], divisor) for im in images]
    height, width = max(s[0] for s in sizes), max(s[1] for s in sizes)
    pad = normalize(images[0].new_full((3, 1, 1), PAD_PIXEL))  # [3, 1, 1]
    batch = pad.expand(len(images), 3, height, width).clone()  # [B, 3, Hp, Wp]
    for out, im in zip(batch, images):
        out[:, :im.shape[1], :im.shape[2]] = im
    return batch


# ---------------------------------------------------------------- post-processing (mmdet 2.x instance head)


def mmdet_instances(class_logits: torch.Tensor, mask_logits: torch.Tensor, padded_hw: tuple[int, int],
                    valid_hw: tuple[int, int], original_hw: tuple[int, int],
                    max_per_image: int = MAX_PER_IMAGE) -> Instances:
    """One image's model outputs → mmdet's top-k instances at the original size, sorted by score.

    class_logits [Q, C+1] (last column: no object); mask_logits [Q, h, w] at any resolution of the padded input
    `padded_hw`; `valid_hw` is the resized image inside the padding; `original_hw` the size to return masks at.
    Only the queries that reach the top k are upsampled (mmdet upsamples all; the interpolation is per query).
    """
    import torch

    if max_per_image < 1:
        raise ValueError(f"max_per_image must be ≥ 1, got {max_per_image}")
    num_classes = class_logits.shape[-1] - 1
    probs = class_logits.float().softmax(dim=-1)[:, :-1]  # [Q, C]
    class_scores, flat = probs.flatten().topk(min(max_per_image, probs.numel()))  # [K], [K]
    labels = flat % num_classes  # [K]
    queries, per_query = torch.unique(flat // num_classes, return_inverse=True)  # [U], [K]
    logits = logits_at_original(mask_logits[queries].float(), padded_hw, valid_hw, original_hw)  # [U, H, W]
    binary = logits > 0  # [U, H, W]
    mask_scores = mask_score(logits, binary)  # [U]
    boxes = mask_boxes(binary)  # [U, 4]
    scores = class_scores * mask_scores[per_query]  # [K]
    order = torch.sort(scores, descending=True, stable=True).indices  # [K]
    rows = per_query[order]  # [K]
    return Instances(labels[order], scores[order], boxes[rows], binary[rows])


def logits_at_original(mask_logits: torch.Tensor, padded_hw: tuple[int, int], valid_hw: tuple[int, int],
                       original_hw: tuple[int, int]) -> torch.Tensor:
    """[U, h, w] → [U, H, W]: bilinear to the padded input, crop the padding, bilinear to the original size.

    Cropping before the second resize keeps the padding (where the model may well predict foreground) out of
    the mask; align_corners=False in both, as mmdet.
    """
    import torch.nn.functional as F

    padded = F.interpolate(mask_logits[None], size=padded_hw, mode="bilinear", align_corners=False)[0]  # [U, Hp, Wp]
    valid = padded[:, :valid_hw[0], :valid_hw[1]]  # [U, h', w']
    return F.interpolate(valid[None], size=original_hw, mode="bilinear", align_corners=False)[0]  # [U, H, W]


def mask_score(logits: torch.Tensor, binary: torch.Tensor) -> torch.Tensor:
    """[U, H, W] logits and their binary masks → [U] mean sigmoid inside the mask (0 for an empty mask)."""
    inside = binary.float()  # [U, H, W]
    return (logits.sigmoid() * inside).flatten(1).sum(1) / (inside.flatten(1).sum(1) + 1e-6)  # [U]


def mask_boxes(masks: torch.Tensor) -> torch.Tensor:
    """[K, H, W] bool → [K, 4] float32 tight boxes (x_min, y_min, x_max + 1, y_max + 1); zeros when empty
    (mmdet's mask2bbox)."""
    import torch

    cols = masks.any(dim=1).to(torch.uint8)  # [K, W]
    rows = masks.any(dim=2).to(torch.uint8)  # [K, H]
    x1, y1 = cols.argmax(dim=1), rows.argmax(dim=1)  # [K]: argmax returns the first maximum
    x2 = cols.shape[1] - cols.flip(1).argmax(dim=1)  # [K]
    y2 = rows.shape[1] - rows.flip(1).argmax(dim=1)  # [K]
    boxes = torch.stack([x1, y1, x2, y2], dim=1).float()  # [K, 4]
    return boxes * cols.any(dim=1, keepdim=True)  # [K, 4], empty masks → zeros


def to_detections(instances: Instances, classes: Sequence[str]) -> list[Detection]:
    """Instances (any device) → Detection objects in the same order, each owning its numpy bool mask."""
    masks = instances.masks.cpu().numpy()  # [K, H, W]
    return [Detection(classes[label], tuple(box), score, mask.copy())
            for label, box, score, mask in zip(instances.labels.tolist(), instances.boxes.tolist(),
                                               instances.scores.tolist(), masks)]


# ---------------------------------------------------------------- the detector


class Mask2FormerDetector:
    """Detector protocol over a transformers Mask2FormerForUniversalSegmentation with mmdet's pre/post-processing.

    Images whose padded inputs have the same size go through the model together, `batch_size` per forward.
    """

    name = "mask2former"

    def __init__(self, model: Any, classes: Sequence[str], device: torch.device | str = "cpu",
                 dtype: torch.dtype | None = None, batch_size: int = 8, scale: tuple[int, int] = TEST_SCALE,
                 max_per_image: int = MAX_PER_IMAGE):
        import torch

        if batch_size < 1:
            raise ValueError(f"batch_size must be ≥ 1, got {batch_size}")
        self.model, self.classes = model, tuple(classes)
        self.device = torch.device(device)
        self.dtype = dtype or torch.float32
        self.batch_size, self.scale, self.max_per_image = batch_size, scale, max_per_image

    def detect(self, images: Sequence[Any]) -> list[list[Detection]]:
        """PIL images or uint8 [H, W, 3] arrays, any sizes → per image, the top-k detections by score."""
        arrays = [as_array(im) for im in images]
        out: list[list[Detection]] = [[] for _ in arrays]
        for group in self.forward_groups(arrays):
            for i, instances in zip(group, self.run_group([arrays[i] for i in group])):
                out[i] = to_detections(instances, self.classes)
        return out

    def forward_groups(self, arrays: Sequence[np.ndarray]) -> Iterator[list[int]]:
        """Image indices grouped by padded input size, at most `batch_size` per group (first-seen order)."""
        groups: dict[tuple[int, int], list[int]] = {}
        for i, arr in enumerate(arrays):
            groups.setdefault(padded_size(*rescaled_size(arr.shape[0], arr.shape[1], self.scale)), []).append(i)
        for members in groups.values():
            for start in range(0, len(members), self.batch_size):
                yield members[start:start + self.batch_size]

    def run_group(self, arrays: Sequence[np.ndarray]) -> list[Instances]:
        """Images of one padded size → one forward → per image Instances."""
        import torch

        resized = [preprocess(arr, self.device, self.scale) for arr in arrays]  # [3, h_i, w_i] each
        pixels = pad_batch(resized)  # [B, 3, Hp, Wp]
        with torch.inference_mode():
            # No pixel_mask: transformers' Mask2Former builds an all-ones one and never reads it.
            out = self.model(pixel_values=pixels.to(self.dtype))
        padded_hw = (pixels.shape[2], pixels.shape[3])
        return [mmdet_instances(out.class_queries_logits[b], out.masks_queries_logits[b], padded_hw,
                                (im.shape[1], im.shape[2]), (arr.shape[0], arr.shape[1]), self.max_per_image)
                for b, (im, arr) in enumerate(zip(resized, arrays))]


def build_mask2former(spec: BackendSpec) -> Mask2FormerDetector:
    """DETECTORS["mask2former"]: a local transformers Mask2Former COCO-instance checkpoint (default
    facebook/mask2former-swin-small-coco-instance); classes are GenEval's object names, mapped by label index."""

    from rgbench.weights import offline, resolve_weights

    offline()
    folder = resolve_weights(spec.model or DEFAULT_MODEL, spec.weights_dir)
    device = resolve_device(spec.device)
    dtype = model_dtype(spec.dtype)
    model = load_model(folder, dtype).to(device).eval()
    classes = geneval_classes()
    if model.config.num_labels != len(classes):
        raise ValueError(f"{folder} predicts {model.config.num_labels} classes, but GenEval's detector must predict "
                         f"the {len(classes)} COCO thing classes (label i = line i of object_names.txt); "
                         f"use a COCO *instance* checkpoint such as {DEFAULT_MODEL}")
    return Mask2FormerDetector(model, classes, device=device, dtype=dtype, batch_size=spec.batch_size)


def model_dtype(name: str) -> torch.dtype:
    """'auto' → float32 (the official detector runs fp32); fp32 / bf16 / fp16 as named."""
    import torch

    if name not in DTYPES:
        raise ValueError(f"unknown dtype '{name}' for the Mask2Former detector; choose auto, fp32, bf16 or fp16")
    return getattr(torch, DTYPES[name])


def load_model(folder: str | Path, dtype: torch.dtype) -> Any:
    """Mask2FormerForUniversalSegmentation from a local folder, in `dtype`, without needing scipy."""
    from transformers import Mask2FormerForUniversalSegmentation
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    with _without_scipy_check():
        return Mask2FormerForUniversalSegmentation.from_pretrained(folder, dtype=dtype)


@contextlib.contextmanager
def _without_scipy_check() -> Iterator[None]:
    """transformers builds Mask2Former's training loss in __init__, and the loss refuses to exist without scipy
    (its Hungarian matcher calls scipy.optimize.linear_sum_assignment). Inference never touches the loss, and scipy
    is no dependency of rgbench, so when scipy is absent the check is switched off while the model is built."""
    import importlib.util

    if importlib.util.find_spec("scipy") is not None:
        yield
        return
    from unittest import mock

    from transformers.models.mask2former import modeling_mask2former

    with mock.patch.object(modeling_mask2former, "requires_backends", lambda *args, **kwargs: None):
        yield
