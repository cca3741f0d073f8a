"""Qwen2.5-VL adapter and GRPO judge on a tiny random Qwen2.5-VL saved and loaded like real weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("transformers")

from rgbench.train.qwen_judge import QwenVLJudge, boxed_reward, extract_boxed  # noqa: E402
from rgbench.weights import WeightsNotFound  # noqa: E402

TEXTS = ["a red cat", "two dogs to the left of a blue box", "does the image match"]
SMALL = 32 * 32  # keep the tiny model's images near their own size (the judge's default upscales to 512·512)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rgbench.vlm.tiny import save_tiny_qwen_vl

    return save_tiny_qwen_vl(tmp_path_factory.mktemp("tiny_qwen_vl"))


@pytest.fixture(scope="module")
def vlm(folder: Path):
    from rgbench.vlm.qwen import load_qwen_vl

    return load_qwen_vl(str(folder))


@pytest.fixture(scope="module")
def images() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, shape, dtype=np.uint8) for shape in [(64, 64, 3), (48, 80, 3), (32, 48, 3)]]


def test_chat_inputs_left_padded_with_one_pad_per_image_token(vlm, images):
    inputs = vlm.chat_inputs(TEXTS, images)
    pad = vlm.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    assert inputs["image_grid_thw"].tolist() == [[1, 8, 8], [1, 6, 10], [1, 4, 6]]  # 8-px patches
    assert (inputs["input_ids"] == pad).sum(dim=1).tolist() == [16, 15, 6]  # grid / 2×2 merge
    assert inputs["attention_mask"][:, -1].all()  # left padding: every row ends with its own last token
    first = vlm.processor.apply_chat_template([{"role": "user", "content": [
        {"type": "image"}, {"type": "text", "text": "a red cat"}]}], tokenize=False, add_generation_prompt=True)
    assert first.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                            "<|vision_start|><|image_pad|><|vision_end|>a red cat")
    assert first.endswith("<|im_end|>\n<|im_start|>assistant\n")


def test_generate_batched_equals_one_by_one(vlm, images):
    batched = vlm.generate(TEXTS, images, max_new_tokens=5, batch_size=3)
    assert len(batched) == 3 and all(isinstance(a, str) for a in batched)
    assert batched == vlm.generate(TEXTS, images, max_new_tokens=5, batch_size=1)


def test_next_token_probs_batched_equals_one_by_one(vlm, images):
    probs = vlm.next_token_probs(TEXTS, images, ["yes", "no"], batch_size=3)
    assert probs.shape == (3, 2)
    assert ((probs >= 0) & (probs <= 1)).all()
    single = vlm.next_token_probs(TEXTS, images, ["yes", "no"], batch_size=1)
    assert np.allclose(probs.numpy(), single.numpy(), atol=1e-4)
    assert np.allclose(np.log(probs.numpy()), np.log(single.numpy()), atol=1e-3)  # also the tiny ones


def test_next_token_probs_needs_single_token_words(vlm, images):
    with pytest.raises(ValueError, match="single token"):
        vlm.next_token_probs(TEXTS[:1], images[:1], ["yes", "xylophone"])


def test_min_pixels_upscales(folder, images):
    from rgbench.vlm.qwen import load_qwen_vl

    big = load_qwen_vl(str(folder), min_pixels=128 * 128)
    assert big.chat_inputs(TEXTS[:1], images[:1])["image_grid_thw"].tolist() == [[1, 16, 16]]


@pytest.mark.parametrize("text, content, reward", [
    ("the image matches. \\boxed{1}", "1", 1.0),
    ("\\boxed{0}", "0", 0.0),
    ("first \\boxed{1}, on reflection \\boxed{0}", "0", 0.0),
    ("first \\boxed{0}, on reflection \\boxed{1}", "1", 1.0),
    ("\\boxed{ 1 }", " 1 ", 0.0),
    ("\\boxed{1.0}", "1.0", 0.0),
    ("no box at all: 1", None, 0.0),
    ("\\boxed{\\text{1}}", "\\text{1}", 0.0),
    ("\\boxed{\\frac{1}{2}} done", "\\frac{1}{2}", 0.0),
    ("cut off \\boxed{1", None, 0.0),
])
def test_extract_boxed_and_reward(text, content, reward):
    assert extract_boxed(text) == content
    assert boxed_reward(text) == reward


def test_judge_boxed_and_p_yes(folder, vlm, images):
    boxed = QwenVLJudge(model=str(folder), mode="boxed", max_new_tokens=4, min_pixels=SMALL, upscale_to=None)
    assert boxed.name == f"qwen_vl-{folder}"
    verdicts = boxed.judge(TEXTS[:2], images[:2])
    assert len(verdicts) == 2 and {v.score for v in verdicts} <= {0.0, 1.0}
    soft = QwenVLJudge(mode="p_yes", vlm=vlm).judge(TEXTS[:2], images[:2])
    assert all(0.0 <= v.score <= 1.0 and v.text.startswith("P(yes)=") for v in soft)


def test_judge_prepares_images_as_the_release(folder):
    """verl's process_image: PIL-upscale a 384×384 image to 512×512, then the processor's own pixel range. For the
    7B's processor (28-px grid, pixels 3136 … 12845056) smart_resize gives 504×504 = 18×18 image tokens; asking
    the processor itself for min_pixels = 512² instead gave 532×532 (19×19)."""
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import smart_resize

    from rgbench.train.qwen_judge import upscale

    square = np.zeros((384, 384, 3), np.uint8)
    assert upscale(square, 512 * 512).size == (512, 512)
    assert upscale(np.zeros((300, 500, 3), np.uint8), 512 * 512).size == (660, 396)  # int(side · 1.32198…)
    assert upscale(np.zeros((600, 600, 3), np.uint8), 512 * 512).size == (600, 600)  # large enough: untouched
    assert smart_resize(512, 512, factor=28, min_pixels=3136, max_pixels=12845056) == (504, 504)
    assert smart_resize(384, 384, factor=28, min_pixels=512 * 512, max_pixels=12845056) == (532, 532)
    judge = QwenVLJudge(model=str(folder), mode="p_yes")  # defaults: the release's preparation
    seen = []
    judge.vlm.next_token_probs = lambda texts, images, words, batch_size: seen.extend(images) or torch.ones(1, 4)
    judge.judge(TEXTS[:1], [square])
    assert seen[0].size == (512, 512)  # then the tiny processor (16-px grid) keeps 512: 32×32 image tokens


def test_judge_rejects_bad_options(vlm):
    with pytest.raises(ValueError, match="mode"):
        QwenVLJudge(mode="vibes", vlm=vlm)
    with pytest.raises(ValueError, match="prompt"):
        QwenVLJudge(template="no slot here", vlm=vlm)


def test_build_reward_qwen_vl(folder, images):
    from rgbench.train.rewards import build_reward

    reward = build_reward([{"name": "qwen_vl", "options": {
        "model": str(folder), "max_new_tokens": 4, "min_pixels": SMALL, "upscale_to": None, "batch_size": 2}}])
    verdicts = reward.judge(TEXTS[:2], images[:2])
    assert len(verdicts) == 2 and all(v.score in (0.0, 1.0) and "qwen_vl" in v.parts for v in verdicts)


def test_missing_weights(tmp_path, monkeypatch):
    from rgbench.vlm.qwen import load_qwen_vl

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.delenv("RGBENCH_WEIGHTS", raising=False)
    with pytest.raises(WeightsNotFound):
        load_qwen_vl(str(tmp_path / "nope"))
    with pytest.raises(WeightsNotFound, match="Qwen/Qwen2.5-VL-3B-Instruct"):
        load_qwen_vl("3B")


class FixedVLM:
    """Stands in for QwenVL with known answers, to check how the judge turns them into rewards."""

    name = "qwen_vl-fixed"

    def generate(self, texts, images, max_new_tokens=1024, batch_size=8):
        assert all('"a red cat"' in t or '"two dogs' in t for t in texts)  # the prompt is quoted in the template
        return ["A red cat sits centre. \\boxed{1}", "Only one dog. \\boxed{0}"][:len(texts)]

    def next_token_probs(self, texts, images, words, batch_size=8):
        import torch

        assert list(words) == ["yes", "Yes", "no", "No"]
        return torch.tensor([[0.3, 0.3, 0.1, 0.1], [0.0, 0.0, 0.0, 0.0]])[:len(texts)]  # [B, 4]


def test_judge_turns_answers_into_rewards(images):
    boxed = QwenVLJudge(vlm=FixedVLM()).judge(TEXTS[:2], images[:2])
    assert [v.score for v in boxed] == [1.0, 0.0] and boxed[0].text.endswith("\\boxed{1}")
    soft = QwenVLJudge(vlm=FixedVLM(), mode="p_yes").judge(TEXTS[:2], images[:2])
    assert [v.score for v in soft] == pytest.approx([0.75, 0.5]) and soft[0].text == "P(yes)=0.750"
    custom = QwenVLJudge(vlm=FixedVLM(), template='Prompt: "{prompt}". Reply \\boxed{1} or \\boxed{0}.')
    assert custom.judge(TEXTS[:1], images[:1])[0].score == 1.0


def test_generate_is_greedy_despite_the_checkpoint_sampling_settings(vlm, images):
    """The saved generation_config samples with repetition_penalty 1.05, like Qwen's; generate must be argmax."""
    import torch

    assert vlm.model.generation_config.do_sample
    with torch.no_grad():
        first = vlm.model(**vlm.chat_inputs(TEXTS, images)).logits[:, -1].argmax(dim=-1)  # [B]
    expected = vlm.tokenizer.batch_decode(first[:, None], skip_special_tokens=True)
    assert vlm.generate(TEXTS, images, max_new_tokens=1) == expected


def test_boxed_judge_answers_by_its_image_vote(tmp_path):
    """The test stand-in for the release's judge: through the real chat template, vision tower and generate it
    answers exactly \\boxed{0} or \\boxed{1}, by the image alone (not the text, not the batch position), and
    about half of the images like its calibration ones pass."""
    from rgbench.vlm.qwen import load_qwen_vl
    from rgbench.vlm.tiny import save_boxed_qwen_judge

    rng = np.random.default_rng(0)
    draw = [rng.integers(0, 255, (16, 16, 3), dtype=np.uint8) for _ in range(24)]
    folder = save_boxed_qwen_judge(tmp_path / "judge", draw[:12])
    vlm = load_qwen_vl(str(folder), min_pixels=512 * 512)
    answers = vlm.generate(["a red circle"] * 12, draw[12:], max_new_tokens=16, batch_size=4)
    assert set(answers) == {"\\boxed{0}", "\\boxed{1}"} and 3 <= answers.count("\\boxed{1}") <= 9
    again = vlm.generate(["something else entirely"] * 12, draw[12:][::-1], max_new_tokens=16, batch_size=5)
    assert again[::-1] == answers
