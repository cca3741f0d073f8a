"""BLIP VQA adapter on a tiny random BlipForQuestionAnswering saved and loaded like Salesforce/blip-vqa-base."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("transformers")

from rgbench.weights import WeightsNotFound  # noqa: E402

# Token lengths 8, 14, 5, 8 with [CLS] / [SEP]: a batch of them is padded unless grouped by length.
QUESTIONS = ["is there a red circle?", "are there two dogs on the left of the image?", "what color?",
             "is there a blue square?"]
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073])
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711])


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """The tiny model is too small to gain from threads, and on a busy 2-core machine oversubscribed threads make
    its batched calls ~30× slower; the previous setting is restored afterwards."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rgbench.vlm.tiny_blip import save_tiny_blip_vqa

    return save_tiny_blip_vqa(tmp_path_factory.mktemp("tiny_blip"))


@pytest.fixture(scope="module")
def vqa(folder: Path):
    from rgbench.vlm.blip import load_blip_vqa

    return load_blip_vqa(str(folder))


@pytest.fixture(scope="module")
def arrays() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, shape, dtype=np.uint8) for shape in [(64, 64, 3), (48, 80, 3), (20, 30, 3),
                                                                         (40, 40, 3)]]


@pytest.fixture(scope="module")
def images(arrays) -> list:
    """Arrays and PIL images (one of them grayscale) of different sizes."""
    return [arrays[0], Image.fromarray(arrays[1]), arrays[2], Image.fromarray(arrays[3]).convert("L")]


def with_size(vqa, batch_size: int):
    from rgbench.vlm.blip import BlipVQA

    return BlipVQA(vqa.model, vqa.processor, vqa.device, batch_size=batch_size)


def test_loads_the_pil_processor_and_the_checkpoint_ids(vqa, folder):
    from transformers import BlipImageProcessorPil

    assert vqa.name == f"blip-{folder}" and not vqa.model.training
    assert isinstance(vqa.processor.image_processor, BlipImageProcessorPil)
    assert vqa.processor.image_processor.size == {"height": 32, "width": 32}
    tok = vqa.tokenizer
    assert (vqa.start_id, vqa.stop_id, vqa.pad_id) == (len(tok), tok.sep_token_id, tok.pad_token_id)  # [DEC] [SEP]
    assert vqa.yes_no_ids == tok.convert_tokens_to_ids(["yes", "no"])


def test_pixel_values_are_bicubic_resize_and_clip_normalisation(vqa, arrays):
    pixels = vqa.inputs(arrays[:3], QUESTIONS[:3])["pixel_values"].numpy()  # [3, 3, 32, 32]
    for got, array in zip(pixels, arrays):
        resized = np.asarray(Image.fromarray(array).resize((32, 32), Image.Resampling.BICUBIC)) / 255  # [32, 32, 3]
        expected = ((resized - CLIP_MEAN) / CLIP_STD).transpose(2, 0, 1)  # [3, 32, 32]
        assert np.allclose(got, expected, atol=1e-4)


def test_answers_and_p_yes(vqa, images):
    answers, p_yes = vqa.answer(images[:3], QUESTIONS[:3]), vqa.p_yes(images[:3], QUESTIONS[:3])
    assert len(answers) == 3 and all(isinstance(a, str) and a == a.strip() for a in answers)
    assert len(p_yes) == 3 and all(0.0 <= p <= 1.0 for p in p_yes)
    assert len(set(p_yes)) == 3  # the tiny model's P(yes) depends on the pair


def test_ask_agrees_with_answer_and_p_yes(vqa, images):
    asked = vqa.ask(images, QUESTIONS)
    assert [a for a, _ in asked] == vqa.answer(images, QUESTIONS)
    assert np.allclose([p for _, p in asked], vqa.p_yes(images, QUESTIONS), atol=1e-6)


def test_batching_does_not_change_results(vqa, images):
    """Equal-length batches give each pair's own result; transformers' generate on a padded batch does not."""
    import torch

    from rgbench.vlm.blip import GREEDY

    ref = with_size(vqa, 1).ask(images, QUESTIONS)
    for size in (2, 4):
        got = with_size(vqa, size).ask(images, QUESTIONS)
        assert [a for a, _ in got] == [a for a, _ in ref]
        assert np.allclose([p for _, p in got], [p for _, p in ref], atol=1e-5)
    padded = vqa.inputs(images, QUESTIONS)
    assert padded["attention_mask"].sum(dim=1).tolist() == [8, 14, 5, 8]
    with torch.no_grad():  # the decoder attends to the question padding of rows 0, 2 and 3
        logits = vqa.model.generate(**padded, max_new_tokens=1, **GREEDY, output_logits=True,
                                    return_dict_in_generate=True).logits[0]  # [4, V]
    p_padded = torch.softmax(logits[:, vqa.yes_no_ids], dim=-1)[:, 0]  # [4]
    assert abs(p_padded[1].item() - ref[1][1]) < 1e-5  # the longest question has no padding
    assert max(abs(p_padded[i].item() - ref[i][1]) for i in (0, 2, 3)) > 1e-2


def test_answers_are_transformers_generate_one_pair_at_a_time(vqa, images):
    import torch

    from rgbench.vlm.blip import GREEDY

    answers = vqa.answer(images, QUESTIONS)
    for image, question, answer in zip(images, QUESTIONS, answers):
        with torch.no_grad():
            out = vqa.model.generate(**vqa.inputs([image], [question]), max_new_tokens=10, **GREEDY,
                                     output_scores=True, output_logits=True, return_dict_in_generate=True)
        assert vqa.tokenizer.decode(out.sequences[0, 1:], skip_special_tokens=True).strip() == answer
        assert torch.equal(out.scores[0], out.logits[0])  # greedy: no logits processor touches the scores


def test_p_yes_by_hand_from_the_first_step_logits(vqa, images):
    """The decoder's logits after [DEC] from the sub-models' own forward passes, and -loss of 'yes' / 'no'."""
    import torch

    model, yes, no = vqa.model, *vqa.yes_no_ids
    p_yes = vqa.p_yes(images, QUESTIONS)
    for image, question, p in zip(images, QUESTIONS, p_yes):
        inputs = vqa.inputs([image], [question])
        with torch.no_grad():
            image_states = model.vision_model(inputs["pixel_values"]).last_hidden_state  # [1, 17, D]
            question_states = model.text_encoder(inputs["input_ids"],
                                                 encoder_hidden_states=image_states).last_hidden_state  # [1, L, D]
            start = torch.tensor([[vqa.start_id]])  # [1, 1]
            logits = model.text_decoder(start, encoder_hidden_states=question_states).logits[0, -1]  # [V]
            probs = torch.softmax(logits, dim=-1)  # [V]
            assert p == pytest.approx((probs[yes] / (probs[yes] + probs[no])).item(), abs=1e-5)
            log_p = [-model(**inputs, labels=torch.tensor([[vqa.start_id, word]])).loss for word in (yes, no)]
            assert p == pytest.approx(torch.softmax(torch.stack(log_p), dim=0)[0].item(), abs=1e-5)


def test_yes_and_no_must_be_single_tokens(vqa):
    from rgbench.vlm.blip import BlipVQA

    for word in ("xylophone", "circles"):  # [UNK]; circle + ##s
        with pytest.raises(ValueError, match="single token"):
            BlipVQA(vqa.model, vqa.processor, vqa.device, yes_no=("yes", word))


def test_equal_length_batches():
    from rgbench.vlm.blip import equal_length_batches

    assert equal_length_batches([5, 3, 5, 5, 3], 2) == [[1, 4], [0, 2], [3]]
    assert equal_length_batches([], 2) == []


def test_one_image_per_question_and_empty_input(vqa, images):
    with pytest.raises(ValueError, match="one image per question"):
        vqa.ask(images[:2], QUESTIONS[:1])
    assert vqa.ask([], []) == [] and vqa.p_yes([], []) == [] and vqa.answer([], []) == []


def test_missing_weights(tmp_path, monkeypatch):
    from rgbench.vlm.blip import load_blip_vqa

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.delenv("RGBENCH_WEIGHTS", raising=False)
    with pytest.raises(WeightsNotFound):
        load_blip_vqa(str(tmp_path / "nope"))
    with pytest.raises(WeightsNotFound, match="Salesforce/blip-vqa-capfilt-large"):
        load_blip_vqa("capfilt-large")


def test_t2i_scorer_puts_enc_first_resizes_to_480_and_reads_one_decoder_step(vqa):
    import torch

    from rgbench.vlm.blip import BlipT2IScorer

    scorer = BlipT2IScorer(vqa, image_size=48)  # the tiny model's patches are 8 px: 48 px = 36 patches, interpolated
    images, questions = [np.full((20, 30, 3), 200, np.uint8), np.zeros((32, 32, 3), np.uint8)], ["a red circle?", "is there a square?"]
    got = scorer.p_yes(images, questions)
    model, yes, no = vqa.model, *vqa.yes_no_ids
    for image, question, p in zip(images, questions, got):
        pil = Image.fromarray(image).convert("RGB").resize((48, 48), Image.BICUBIC)
        pixels = ((np.asarray(pil, np.float32) / 255 - CLIP_MEAN) / CLIP_STD).astype(np.float32)  # [48, 48, 3]
        ids = vqa.tokenizer([question])["input_ids"][0]
        ids[0] = scorer.enc_id
        with torch.no_grad():
            img = model.vision_model(torch.tensor(pixels).permute(2, 0, 1)[None], interpolate_pos_encoding=True)
            q = model.text_encoder(torch.tensor([ids]), encoder_hidden_states=img.last_hidden_state).last_hidden_state
            probs = torch.softmax(model.text_decoder(torch.tensor([[vqa.start_id]]), encoder_hidden_states=q).logits[0, -1], -1)
        assert p == pytest.approx((probs[yes] / (probs[yes] + probs[no])).item(), abs=1e-4)
    assert scorer.enc_id == vqa.start_id + 1  # the tiny vocabulary has no [ENC]: the id after [DEC]
    assert got != vqa.p_yes(images, questions)  # not the plain HF path ([CLS] first, 32 px)
