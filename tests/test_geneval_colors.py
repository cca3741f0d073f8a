"""GenEval's CLIP colour classifier: prompts, masked crops, argmax rule, and the transformers backend on a tiny CLIP."""

from __future__ import annotations

import math
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from rgbench.backends import BackendSpec
from rgbench.geneval.clip_colors import (
    ClipColorClassifier,
    OpenClipMissing,
    autocast_dtype,
    build_clip_colors,
    build_open_clip_colors,
    color_prompts,
    load_image_processor,
    masked_crop,
    pick_colors,
    template_average,
)
from rgbench.geneval.detection import COLORS, Detection, build_color_classifier
from rgbench.geneval.tiny import TINY_CLIP_SIZE, save_tiny_clip
from rgbench.weights import WeightsNotFound

# ---------------------------------------------------------------- pure pieces


def test_color_prompts_are_colour_major_with_three_templates():
    prompts = color_prompts("hair drier")
    assert len(prompts) == 30
    assert prompts[:4] == ["a photo of a red hair drier", "a photo of a red-colored hair drier",
                           "a photo of a red object", "a photo of a orange hair drier"]
    assert prompts[-1] == "a photo of a white object"
    assert [p.split()[4].removesuffix("-colored") for p in prompts[::3]] == list(COLORS)


def _image(width: int, height: int) -> Image.Image:
    rng = np.random.default_rng(width * 1000 + height)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def test_masked_crop_paints_outside_the_mask_gray_and_crops_the_rounded_box():
    image = _image(12, 10)
    mask = np.zeros((10, 12), dtype=bool)
    mask[2:6, 3:8] = True
    # PIL rounds half to even: (2.5, 1.6, 8.5, 6.4) → (2, 2, 8, 6): 6 × 4 pixels.
    crop = masked_crop(image, Detection("cup", (2.5, 1.6, 8.5, 6.4), 0.9, mask))
    assert crop.size == (6, 4) and crop.mode == "RGB"
    pixels = np.asarray(crop)  # [4, 6, 3]: image rows 2..5, columns 2..7
    inside = mask[2:6, 2:8]
    assert (pixels[~inside] == 153).all()
    np.testing.assert_array_equal(pixels[inside], np.asarray(image)[2:6, 2:8][inside])


def test_masked_crop_without_mask_is_a_plain_crop_and_accepts_arrays():
    array = np.asarray(_image(9, 7))
    crop = masked_crop(array, Detection("cup", (1.0, 2.0, 5.0, 7.0), 0.9))
    np.testing.assert_array_equal(np.asarray(crop), array[2:7, 1:5])
    rgba = Image.fromarray(np.full((7, 9, 4), 200, dtype=np.uint8))
    assert masked_crop(rgba, Detection("cup", (0, 0, 3, 3), 0.9)).mode == "RGB"


def test_masked_crop_rejects_a_mask_of_another_size():
    det = Detection("cup", (0, 0, 4, 4), 0.9, np.ones((12, 10), dtype=bool))  # transposed [W, H]
    with pytest.raises(ValueError, match=r"\[H, W\] = \[10, 12\]"):
        masked_crop(_image(12, 10), det)


def test_template_average_normalises_averages_and_normalises_again():
    text = torch.tensor([[[3.0, 4.0], [0.0, 2.0]]])  # [C=1, T=2, D=2] → unit (0.6, 0.8) and (0, 1)
    expected = torch.tensor([0.3, 0.9]) / math.hypot(0.3, 0.9)
    torch.testing.assert_close(template_average(text)[0], expected)


def test_argmax_takes_the_first_colour_on_ties():
    logits = torch.tensor([[1.0, 5.0, 5.0, 0.0], [2.0, 2.0, 2.0, 2.0], [0.0, 0.0, 0.0, 0.5]])
    assert pick_colors(logits, ("a", "b", "c", "d")) == ["b", "a", "d"]


def test_autocast_dtype_follows_the_official_amp_on_cuda_only():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert autocast_dtype("auto", cpu) is None and autocast_dtype("fp32", cuda) is None
    assert autocast_dtype("auto", cuda) is torch.float16 and autocast_dtype("bf16", cpu) is torch.bfloat16
    with pytest.raises(ValueError, match="unknown dtype"):
        autocast_dtype("int8", cpu)


# ---------------------------------------------------------------- the classifier on known embeddings

RED, GREEN, BLUE = COLORS.index("red"), COLORS.index("green"), COLORS.index("blue")
DIM = 13  # 10 colour axes + 3 template axes


def _fake_text(prompts: list[str]) -> torch.Tensor:
    """Prompt for colour c, template t → e_c + 0.5·e_{10+t}."""
    out = torch.zeros(len(prompts), DIM)  # [P, D]
    for row, prompt in enumerate(prompts):
        words = prompt.split()
        out[row, COLORS.index(words[4].removesuffix("-colored"))] = 1.0
        out[row, 10 + (2 if words[-1] == "object" else int("-colored" in prompt))] = 0.5
    return out


# Crops are told apart by their width; each width has a hand-picked image embedding.
IMAGE_EMB = {
    2: torch.eye(DIM)[BLUE],
    3: torch.eye(DIM)[RED] + torch.eye(DIM)[BLUE],  # exact red/blue tie → red, the first of the two
    4: 0.5 * torch.eye(DIM)[RED] + 0.6 * torch.eye(DIM)[BLUE] + 0.3 * torch.eye(DIM)[GREEN],
}


def _fake_classifier(batch_size: int = 16) -> ClipColorClassifier:
    return ClipColorClassifier(
        encode_text=_fake_text,
        encode_image=lambda widths: torch.stack([IMAGE_EMB[int(w)] for w in widths]),  # [B, D]
        transform=lambda crops: torch.tensor([crop.width for crop in crops]),  # [B] stands in for pixels
        batch_size=batch_size)


def _boxes_of_width(*widths: int) -> list[tuple[Image.Image, Detection]]:
    image = _image(8, 8)
    return [(image, Detection("cup", (0, 0, w, 4), 0.9)) for w in widths]


def test_class_weights_are_the_hand_worked_template_average():
    weights = _fake_classifier().class_weights("cup")  # [10, D]
    # each prompt normalises to (e_c + 0.5 e_t)/√1.25; the mean is (e_c + (e_10+e_11+e_12)/6)/√1.25;
    # normalised again: (e_c + (e_10+e_11+e_12)/6) / √(1 + 3/36)
    expected = torch.zeros(10, DIM)
    expected[:, :10] = torch.eye(10)
    expected[:, 10:] = 1 / 6
    torch.testing.assert_close(weights, expected / math.sqrt(13 / 12))


def test_logits_are_100_cos_and_the_argmax_colour_wins():
    clf = _fake_classifier(batch_size=2)
    objects = _boxes_of_width(2, 3, 4)
    logits = clf.logits(objects)  # [3, 10]
    # width 4: x̂ = (0.5, 0.6, 0.3 on red, blue, green)/√0.70; cos with colour c = x̂_c / √(13/12)
    scale = 100 / math.sqrt(0.70) / math.sqrt(13 / 12)
    torch.testing.assert_close(logits[2, [RED, BLUE, GREEN]], torch.tensor([0.5, 0.6, 0.3]) * scale)
    assert logits[1, RED] == logits[1, BLUE]
    assert clf.classify(objects) == ["blue", "red", "blue"]
    assert clf.classify([]) == []


def test_class_weights_are_built_once_per_class():
    calls: list[list[str]] = []
    clf = _fake_classifier()
    clf.encode_text = lambda prompts: calls.append(prompts) or _fake_text(prompts)
    image = _image(8, 8)
    objects = [(image, Detection(label, (0, 0, 2, 4), 0.9)) for label in ("cup", "dog", "cup")]
    clf.classify(objects)
    clf.classify(objects[:1])
    assert len(calls) == 2 * 10  # two classes, each colour's three prompts encoded together once
    assert all(len(prompts) == 3 for prompts in calls)


# ---------------------------------------------------------------- transformers backend on a tiny random CLIP


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_clip(tmp_path_factory.mktemp("tiny-clip"))


def _scene() -> list[tuple[Image.Image, Detection]]:
    """Six objects of three classes from two images of different sizes, with masks (and one without)."""
    objects = []
    for (width, height), boxes in (((64, 48), [(4, 6, 30, 40), (33.5, 2.2, 60.5, 20.7), (10, 10, 50, 44)]),
                                   ((40, 72), [(0, 0, 40, 72), (5, 30.5, 35, 70), (12, 3, 20, 60)])):
        image = _image(width, height)
        for k, box in enumerate(boxes):
            mask = np.zeros((height, width), dtype=bool)
            x1, y1, x2, y2 = (round(v) for v in box)
            mask[y1:y2, x1:(x1 + x2) // 2] = True
            label = ("cup", "banana", "dog")[k]
            objects.append((image, Detection(label, box, 0.9, None if k == 2 and width == 40 else mask)))
    return objects


def test_build_clip_colors_classifies_across_images_and_batch_size_does_not_matter(tiny_clip: Path):
    one = build_clip_colors(BackendSpec(model=str(tiny_clip), batch_size=1))
    many = build_color_classifier("clip", BackendSpec(model=str(tiny_clip), batch_size=16))
    assert one.name == "clip" and one.colors == COLORS and one.device.type == "cpu" and one.autocast is None
    objects = _scene()
    answers = many.classify(objects)
    assert len(answers) == len(objects) and set(answers) <= set(COLORS)
    assert one.classify(objects) == answers
    torch.testing.assert_close(one.logits(objects), many.logits(objects), atol=1e-4, rtol=1e-4)
    assert many.class_weights("cup").shape == (10, 16)
    torch.testing.assert_close(many.class_weights("cup").norm(dim=-1), torch.ones(10))


def test_tiny_clip_processor_crops_to_the_model_size(tiny_clip: Path, tmp_path: Path):
    assert load_image_processor(tiny_clip, TINY_CLIP_SIZE).crop_size["height"] == TINY_CLIP_SIZE
    assert load_image_processor(tmp_path, 48).crop_size["width"] == 48  # no config: CLIP's defaults at 48
    with pytest.raises(ValueError, match="takes 64×64"):
        load_image_processor(tiny_clip, 64)


# ---------------------------------------------------------------- open_clip backend


def test_open_clip_backend_without_open_clip_names_the_extra(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "open_clip", None)  # import open_clip → ImportError, installed or not
    with pytest.raises(ImportError, match=r"rgbench\[openclip\]") as info:
        build_open_clip_colors(BackendSpec())
    assert isinstance(info.value, OpenClipMissing) and "--colors clip" in str(info.value)


def test_open_clip_backend_needs_a_local_checkpoint_file(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "open_clip", types.ModuleType("open_clip"))
    with pytest.raises(WeightsNotFound, match="open_clip_model.safetensors"):
        build_open_clip_colors(BackendSpec())
