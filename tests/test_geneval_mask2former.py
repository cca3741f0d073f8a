"""GenEval's detectors: mmdet-style Mask2Former through transformers (hand-worked post-processing, mmdet's test
sizes, a tiny random model end to end) and the official mmdet backend's pure converters."""

from __future__ import annotations

import importlib.util
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from rgbench.backends import BackendSpec
from rgbench.geneval.detection import Detection
from rgbench.geneval.mask2former import (
    geneval_classes,
    mask_boxes,
    mmdet_instances,
    pad_batch,
    padded_size,
    preprocess,
    rescaled_size,
    resize_uint8,
)
from rgbench.geneval.mmdet_detector import (
    CHECKPOINTS,
    CONFIG_NAME,
    MmdetMissing,
    build_mmdet,
    check_pairing,
    find_checkpoint,
    find_config,
    from_mmdet,
    from_mmdet2,
    from_mmdet3,
)
from rgbench.geneval.tiny import save_tiny_mask2former
from rgbench.weights import WeightsNotFound


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# ---------------------------------------------------------------- post-processing on hand-made logits


def test_mmdet_instances_top_k_scores_and_boxes() -> None:
    # Q = 3 queries, C = 2 classes (+ no object); logits = log(probs) so the softmax gives the probs back.
    probs = torch.tensor([[0.60, 0.10, 0.30],   # q0
                          [0.20, 0.50, 0.30],   # q1
                          [0.05, 0.40, 0.55]])  # q2
    # flattened (query, class) probs: q0c0 .6, q0c1 .1, q1c0 .2, q1c1 .5, q2c0 .05, q2c1 .4
    # top 4: q0c0 .6, q1c1 .5, q2c1 .4, q1c0 .2 (q0c1 and q2c0 are left out)
    masks = torch.full((3, 4, 4), -5.0)  # [Q, H, W]; padded = valid = original, so no resampling
    masks[0, 0:2, 0:2] = 2.0  # q0: 4 pixels at sigmoid(2) → box (0, 0, 2, 2)
    masks[1, 2, 1] = math.log(9)  # q1: sigmoid = 0.9
    masks[1, 3, 3] = math.log(4)  # q1: sigmoid = 0.8 → box (1, 2, 4, 4)
    masks[1, 0, 3] = 0.0  # not > 0: outside the mask, outside the box
    # q2: all negative → empty mask, mask score 0, box zeros
    out = mmdet_instances(probs.log(), masks, (4, 4), (4, 4), (4, 4), max_per_image=4)

    q0_score = 0.6 * (4 * sigmoid(2)) / (4 + 1e-6)  # ≈ 0.5285
    q1_mask = (0.9 + 0.8) / (2 + 1e-6)  # ≈ 0.85
    assert out.labels.tolist() == [0, 1, 0, 1]  # sorted by final score: q0c0, q1c1, q1c0, q2c1
    assert out.scores.tolist() == pytest.approx([q0_score, 0.5 * q1_mask, 0.2 * q1_mask, 0.0], rel=1e-5)
    assert out.boxes.tolist() == [[0, 0, 2, 2], [1, 2, 4, 4], [1, 2, 4, 4], [0, 0, 0, 0]]
    assert out.masks.dtype == torch.bool and out.masks.shape == (4, 4, 4)
    assert out.masks[0].sum() == 4 and out.masks[1].sum() == 2 and not out.masks[1, 0, 3]
    assert torch.equal(out.masks[1], out.masks[2]) and not out.masks[3].any()


def test_mmdet_instances_crops_padding_before_resizing() -> None:
    # Padded input 8×8, the resized image fills the top-left 4×4, the original is 8×8 (a 2× upscale).
    logits = torch.full((1, 8, 8), -10.0)  # [Q, Hp, Wp] at full padded resolution
    logits[0, 0:2, 0:2] = 10.0  # the object: top-left quarter of the valid area
    logits[0, 4:, :] = 10.0  # the model "sees" foreground in the padding …
    logits[0, :, 4:] = 10.0
    class_logits = torch.tensor([[5.0, 0.0]])  # one class
    out = mmdet_instances(class_logits, logits, (8, 8), (4, 4), (8, 8), max_per_image=1)
    # … which must not leak: crop to 4×4 first, then 2× bilinear; output row 3 samples source row 1.25
    # (0.75·10 − 0.25·10 = 5 > 0), row 4 samples 1.75 (−5), so exactly the top-left 4×4 is foreground.
    expected = torch.zeros(8, 8, dtype=torch.bool)
    expected[:4, :4] = True
    assert torch.equal(out.masks[0], expected)
    assert out.boxes[0].tolist() == [0, 0, 4, 4]


def test_mmdet_instances_upsamples_low_resolution_logits_to_the_original_size() -> None:
    logits = torch.full((2, 2, 3), 3.0)  # [Q, h, w]: a quarter of the 8×12 padded input
    out = mmdet_instances(torch.zeros(2, 4), logits, (8, 12), (6, 9), (3, 5), max_per_image=6)
    assert out.masks.shape == (6, 3, 5) and bool(out.masks.all())
    assert out.boxes.tolist() == [[0, 0, 5, 3]] * 6
    assert out.scores.tolist() == pytest.approx([sigmoid(3) / 4] * 6, rel=1e-5)  # uniform class probs (1/4)


def mmdet_reference(class_logits, mask_logits, padded_hw, valid_hw, original_hw, max_per_image):
    """mmdet 2.x as written: Mask2FormerHead.simple_test upsamples every query to the padded input,
    MaskFormerFusionHead.simple_test crops and resizes, instance_postprocess takes the top k and scores them."""
    import torch.nn.functional as F

    masks = F.interpolate(mask_logits[None], size=padded_hw, mode="bilinear", align_corners=False)[0]
    masks = masks[:, :valid_hw[0], :valid_hw[1]]
    masks = F.interpolate(masks[:, None], size=original_hw, mode="bilinear", align_corners=False)[:, 0]
    num_queries, num_classes = class_logits.shape[0], class_logits.shape[1] - 1
    scores = F.softmax(class_logits, dim=-1)[:, :-1]
    labels = torch.arange(num_classes).unsqueeze(0).repeat(num_queries, 1).flatten(0, 1)
    scores_per_image, top_indices = scores.flatten(0, 1).topk(max_per_image, sorted=False)
    mask_pred = masks[top_indices // num_classes]
    binary = (mask_pred > 0).float()
    mask_scores = (mask_pred.sigmoid() * binary).flatten(1).sum(1) / (binary.flatten(1).sum(1) + 1e-6)
    boxes = torch.zeros(len(binary), 4)  # mask2bbox, loop and all
    for i, m in enumerate(binary.bool()):
        x, y = torch.where(m.any(0))[0], torch.where(m.any(1))[0]
        if len(x) and len(y):
            boxes[i] = torch.tensor([x[0], y[0], x[-1] + 1, y[-1] + 1], dtype=torch.float32)
    return labels[top_indices], scores_per_image * mask_scores, boxes, binary.bool()


def test_mmdet_instances_matches_mmdet_written_out() -> None:
    gen = torch.Generator().manual_seed(0)
    class_logits = 3 * torch.randn(7, 6, generator=gen)  # [Q, C+1]
    mask_logits = torch.randn(7, 5, 6, generator=gen)  # [Q, h, w] at a quarter of the 20×24 padded input
    args = ((20, 24), (18, 21), (13, 17))
    out = mmdet_instances(class_logits, mask_logits, *args, max_per_image=9)
    labels, scores, boxes, masks = mmdet_reference(class_logits, mask_logits, *args, max_per_image=9)
    order = torch.sort(scores, descending=True).indices
    assert out.labels.tolist() == labels[order].tolist()
    torch.testing.assert_close(out.scores, scores[order])
    assert torch.equal(out.boxes, boxes[order]) and torch.equal(out.masks, masks[order])


def test_mask_boxes_plus_one_convention() -> None:
    masks = torch.zeros(3, 5, 6, dtype=torch.bool)
    masks[0, 2, 3] = True  # one pixel
    masks[1, 1:4, 0] = True
    masks[1, 4, 5] = True
    assert mask_boxes(masks).tolist() == [[3, 2, 4, 3], [0, 1, 6, 5], [0, 0, 0, 0]]


# ---------------------------------------------------------------- preprocessing (mmdet 2.x test sizes)


def test_rescaled_and_padded_sizes() -> None:
    assert rescaled_size(512, 512) == (800, 800) and padded_size(800, 800) == (800, 800)
    # 300×500: factor = min(1333/500, 800/300) = 2.666 → w = int(1333.0 + 0.5) = 1333, h = int(799.8 + 0.5) = 800
    assert rescaled_size(300, 500) == (800, 1333) and padded_size(800, 1333) == (800, 1344)
    # 768×1024: factor = 800/768 → w = int(1066.67 + 0.5) = 1067
    assert rescaled_size(768, 1024) == (800, 1067) and padded_size(800, 1067) == (800, 1088)
    # very long images: the 1333 cap wins, 100×1000 → factor 1.333
    assert rescaled_size(100, 1000) == (133, 1333) and padded_size(133, 1333) == (160, 1344)


def test_preprocess_normalises_and_pads_with_normalised_grey_128() -> None:
    image = np.full((30, 50, 3), (124, 116, 104), dtype=np.uint8)
    pixels = preprocess(image)  # [3, 800, 1333]
    assert pixels.shape == (3, 800, 1333)
    expected = [(124 - 123.675) / 58.395, (116 - 116.28) / 57.12, (104 - 103.53) / 57.375]
    assert pixels.mean(dim=(1, 2)).tolist() == pytest.approx(expected, abs=1e-6)
    batch = pad_batch([pixels])  # [1, 3, 800, 1344]
    assert batch.shape == (1, 3, 800, 1344)
    assert torch.equal(batch[0, :, :, :1333], pixels)
    # mmdet 2.x pads the uint8 image with 128 before Normalize (not zeros after it)
    grey = [(128 - 123.675) / 58.395, (128 - 116.28) / 57.12, (128 - 103.53) / 57.375]
    assert batch[0, :, :, 1333:].amin(dim=(1, 2)).tolist() == pytest.approx(grey, abs=1e-6)
    assert batch[0, :, :, 1333:].amax(dim=(1, 2)).tolist() == pytest.approx(grey, abs=1e-6)


def test_resize_uint8_rounds_to_uint8_values() -> None:
    image = torch.tensor([[[0, 255], [255, 0]]], dtype=torch.uint8).expand(3, 2, 2)  # [3, 2, 2]
    out = resize_uint8(image, (4, 4))  # [3, 4, 4]
    assert torch.equal(out, out.round()) and out.min() >= 0 and out.max() <= 255
    # cv2: output pixel 1 samples source 0.25 → 0.75·0 + 0.25·255 = 63.75 → 64
    assert out[0, 0].tolist() == [0, 64, 191, 255]
    assert torch.equal(resize_uint8(image, (2, 2)), image.float())


# ---------------------------------------------------------------- a tiny random Mask2Former, end to end


@pytest.fixture(scope="module")
def tiny_detector(tmp_path_factory: pytest.TempPathFactory):
    from rgbench.geneval.mask2former import build_mask2former

    folder = tmp_path_factory.mktemp("mask2former")
    save_tiny_mask2former(folder)
    return build_mask2former(BackendSpec(model=str(folder), device="cpu", batch_size=4))


@pytest.fixture(scope="module")
def images() -> list:
    rng = np.random.default_rng(0)
    square = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(3)]  # → 800×800, one forward
    wide = rng.integers(0, 256, (48, 80, 3), dtype=np.uint8)  # → 800×1333, padded 800×1344
    return [square[0], Image.fromarray(wide), square[1], square[2]]


@pytest.fixture(scope="module")
def batched(tiny_detector, images) -> list[list[Detection]]:
    return tiny_detector.detect(images)


def test_tiny_mask2former_outputs(tiny_detector, images, batched) -> None:
    assert tiny_detector.name == "mask2former" and tiny_detector.classes == geneval_classes()
    assert len(tiny_detector.classes) == 80 and "computer mouse" in tiny_detector.classes
    assert len(batched) == len(images)
    for image, dets in zip(images, batched):
        height, width = np.asarray(image).shape[:2]
        assert len(dets) == 100  # top 100 of 10 queries × 80 classes
        scores = [d.score for d in dets]
        assert scores == sorted(scores, reverse=True) and all(0.0 <= s <= 1.0 for s in scores)
        for det in dets:
            assert det.label in tiny_detector.classes and isinstance(det.score, float)
            assert det.mask.dtype == bool and det.mask.shape == (height, width)
            assert all(isinstance(v, float) for v in det.box)
            ys, xs = np.nonzero(det.mask)
            tight = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) if len(xs) else (0, 0, 0, 0)
            assert det.box == tuple(float(v) for v in tight)


def test_tiny_mask2former_batch_equals_one_at_a_time(tiny_detector, images, batched) -> None:
    for image, together in zip(images, batched):
        (alone,) = tiny_detector.detect([image])
        assert [d.label for d in together] == [d.label for d in alone]
        np.testing.assert_allclose([d.score for d in together], [d.score for d in alone], rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose([d.box for d in together], [d.box for d in alone], atol=1)
        flips = sum(int((a.mask != b.mask).sum()) for a, b in zip(together, alone))
        assert flips <= 1e-4 * sum(d.mask.size for d in alone)  # float rounding only


def test_mask2former_rejects_non_coco_heads_and_unknown_dtypes(tmp_path) -> None:
    from rgbench.geneval.mask2former import build_mask2former, model_dtype

    save_tiny_mask2former(tmp_path, num_labels=3)
    with pytest.raises(ValueError, match="80 COCO thing classes"):
        build_mask2former(BackendSpec(model=str(tmp_path), device="cpu"))
    assert model_dtype("auto") == torch.float32 and model_dtype("bf16") == torch.bfloat16
    with pytest.raises(ValueError, match="unknown dtype"):
        model_dtype("int8")


# ---------------------------------------------------------------- the official mmdet backend, without mmdet

CLASSES = geneval_classes()


def test_from_mmdet2_flattens_per_class_arrays() -> None:
    bbox = [np.zeros((0, 5), np.float32) for _ in CLASSES]
    segm: list[list[np.ndarray]] = [[] for _ in CLASSES]
    mask = np.zeros((4, 6), bool)
    bbox[0] = np.array([[1, 2, 3, 4, 0.5], [0, 0, 6, 4, 0.9]], np.float32)  # person
    segm[0] = [mask, ~mask]
    bbox[64] = np.array([[2, 2, 5, 3, 0.7]], np.float32)  # computer mouse
    segm[64] = [mask]
    dets = from_mmdet2((bbox, segm), CLASSES)
    assert [(d.label, d.score) for d in dets] == [("person", float(np.float32(0.9))),
                                                   ("computer mouse", float(np.float32(0.7))), ("person", 0.5)]
    assert dets[0].box == (0.0, 0.0, 6.0, 4.0) and dets[0].mask.all() and dets[0].mask.dtype == bool
    assert from_mmdet2(bbox, CLASSES)[0].mask is None  # a bare bbox list: no masks
    assert [d.score for d in from_mmdet({"ins_results": (bbox, segm)}, CLASSES)] == [d.score for d in dets]
    with pytest.raises(ValueError, match="expected 80"):
        from_mmdet2((bbox[:3], segm[:3]), CLASSES)


def test_from_mmdet3_reads_pred_instances_and_sorts_stably() -> None:
    masks = torch.zeros(3, 4, 6, dtype=torch.bool)
    masks[1, 1:3, 2:5] = True
    pred = SimpleNamespace(bboxes=torch.tensor([[0, 0, 1, 1], [2, 1, 5, 3], [1, 1, 2, 2]], dtype=torch.float32),
                           scores=torch.tensor([0.3, 0.8, 0.3]), labels=torch.tensor([2, 0, 79]), masks=masks)
    dets = from_mmdet(SimpleNamespace(pred_instances=pred), CLASSES)
    assert [d.label for d in dets] == ["person", "car", "toothbrush"]  # ties keep mmdet's order
    assert dets[0].score == float(np.float32(0.8)) and dets[0].box == (2.0, 1.0, 5.0, 3.0)
    assert dets[0].mask.sum() == 6 and isinstance(dets[0].mask, np.ndarray)
    no_masks = SimpleNamespace(pred_instances=SimpleNamespace(bboxes=pred.bboxes, scores=pred.scores,
                                                              labels=pred.labels))
    assert all(d.mask is None for d in from_mmdet3(no_masks, CLASSES))


def test_mmdet_checkpoint_and_config_lookup(tmp_path) -> None:
    with pytest.raises(WeightsNotFound, match="c9d0c4f2"):
        find_checkpoint(BackendSpec())
    for name in CHECKPOINTS.values():
        (tmp_path / name).write_bytes(b"")
    assert find_checkpoint(BackendSpec(model=str(tmp_path)), "2.27.0").name == CHECKPOINTS[2]
    assert find_checkpoint(BackendSpec(model=str(tmp_path)), "3.3.0").name == CHECKPOINTS[3]
    check_pairing(tmp_path / CHECKPOINTS[3], "3.3.0")
    with pytest.raises(ValueError, match="mmdet 2.x"):
        check_pairing(tmp_path / CHECKPOINTS[2], "3.3.0")
    installed = tmp_path / "site" / "mmdet"
    (installed / ".mim" / "configs" / "mask2former").mkdir(parents=True)
    official = installed / ".mim" / "configs" / "mask2former" / f"{CONFIG_NAME}.py"
    official.write_text("")
    assert find_config(tmp_path / CHECKPOINTS[3], installed) == official
    (tmp_path / f"{CONFIG_NAME}.py").write_text("")
    assert find_config(tmp_path / CHECKPOINTS[3], installed) == tmp_path / f"{CONFIG_NAME}.py"
    with pytest.raises(FileNotFoundError, match=CONFIG_NAME):
        find_config(tmp_path / "site" / CHECKPOINTS[3], None)


@pytest.mark.skipif(importlib.util.find_spec("mmdet") is not None, reason="mmdet is installed")
def test_build_mmdet_without_mmdet_says_what_to_install() -> None:
    with pytest.raises(MmdetMissing, match=r"pip install 'rgbench\[mmdet\]'") as err:
        build_mmdet(BackendSpec())
    assert isinstance(err.value, ImportError) and "--detector mask2former" in str(err.value)
