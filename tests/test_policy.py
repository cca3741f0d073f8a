"""The policy adapter over transformers' Janus: loading, templates, batched seeded generation, log-probs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from rgbench.policy.generate import GenerationOptions, generate, left_pad, unconditional
from rgbench.policy.logprobs import sequence_logprobs
from rgbench.policy.model import PolicyLoadError, load_policy
from rgbench.policy.sampling import RowStreams, Sampler, row_seed
from rgbench.policy.templates import PromptFormat, wrap
from rgbench.policy.tiny import TinyJanus, save_tiny_hf_janus
from rgbench.toy.policy import build_toy_policy

SMALL = TinyJanus(hidden=32, layers=2, heads=2, intermediate=64)
PROMPTS = ["a photo of a red circle", "two squares left of a blue ring", "a photo of a cross",
           "There is a small white diamond in the picture. The background is flat gray.", "a ring"]


@pytest.fixture(scope="module")
def toy():
    torch.manual_seed(0)
    return build_toy_policy(seed=1, size=SMALL)


@pytest.fixture(scope="module")
def janus_folder(tmp_path_factory) -> Path:
    """A plain transformers Janus checkpoint (no rgbench files): tiny config, word tokenizer, VQ image tokens."""
    return save_tiny_hf_janus(tmp_path_factory.mktemp("janus-tiny"))


def keys_for(prompts, seed=0, sample=0):
    return [(seed, f"p{i}", sample) for i in range(len(prompts))]


def test_prompt_wrapping_matches_the_official_string():
    fmt = PromptFormat()
    assert wrap("a photo of a dog", fmt, cot=True) == \
        "<|User|>: A photo of a dog. Output a richly detailed prompt:\n\n<|Assistant|>:"
    assert wrap("  A photo of two cats ", fmt, cot=False) == "<|User|>: A photo of two cats.\n\n<|Assistant|>:"
    sft = PromptFormat(cot_template="{}. Output a richly detailed prompt: ", strip_photo_prefix=False)
    assert wrap("a dog", sft, cot=True) == "<|User|>: a dog. Output a richly detailed prompt:\n\n<|Assistant|>:"


def test_only_a_leading_a_photo_of_is_removed():
    # the release removes it anywhere; a leading one is the only one any evaluated prompt holds (templates.clean_prompt)
    fmt = PromptFormat()
    landmark = "A person is holding a camera and taking a photo of a landmark."
    assert wrap(landmark, fmt, cot=False) == \
        "<|User|>: A photo of A person is holding a camera and taking a photo of a landmark..\n\n<|Assistant|>:"
    assert wrap("A Photo Of a dog", fmt, cot=False) == "<|User|>: A photo of a dog.\n\n<|Assistant|>:"


def test_tiny_janus_checkpoint_loads_through_from_pretrained_and_generates(janus_folder):
    policy = load_policy(janus_folder, device="cpu", dtype="fp32")
    assert policy.spec.image_tokenizer == "janus-vq" and policy.image_tokenizer.grid == (4, 4)
    out = generate(policy, PROMPTS[:2], keys_for(PROMPTS[:2]), GenerationOptions(max_cot_tokens=12))
    assert policy.image_tokenizer.image_size == 16  # 4×4 codes, VQ downsampling 4
    assert out.images.shape == (2, 16, 16, 3) and out.images.dtype == np.uint8
    assert out.image_ids.shape == (2, 16) and int(out.image_ids.max()) < 64
    assert all(r[-1] == policy.ids.boi and 1 <= len(r) <= 12 for r in out.response_text_ids)
    # the VQ tokenizer round-trips shapes through the real encoder
    codes = policy.image_tokenizer.encode(out.images)
    assert codes.shape == (2, 16)


def test_original_deepseek_format_is_refused_with_the_convert_command(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "multi_modality"}))
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(PolicyLoadError, match="rgbench convert-janus"):
        load_policy(tmp_path)


def test_same_seed_same_image_whatever_the_batch(toy):
    opts = GenerationOptions(max_cot_tokens=20)
    keys = keys_for(PROMPTS)
    batched = generate(toy, PROMPTS, keys, opts)
    reordered = generate(toy, PROMPTS[::-1], keys[::-1], opts)
    for i in range(len(PROMPTS)):
        alone = generate(toy, PROMPTS[i:i + 1], keys[i:i + 1], opts)
        j = len(PROMPTS) - 1 - i
        assert alone.response_text_ids[0] == batched.response_text_ids[i] == reordered.response_text_ids[j]
        assert torch.equal(alone.image_ids[0], batched.image_ids[i])
        assert torch.equal(reordered.image_ids[j], batched.image_ids[i])
        assert np.array_equal(alone.images[0], batched.images[i])
    other_seed = generate(toy, PROMPTS[:1], [(1, "p0", 0)], opts)
    assert not torch.equal(other_seed.image_ids[0], batched.image_ids[0])


@pytest.mark.parametrize("cot,cfg", [(True, 5.0), (True, 1.0), (False, 3.0)])
def test_sequence_logprobs_recompute_the_sampled_tokens(toy, cot, cfg):
    opts = GenerationOptions(cot=cot, cfg_weight=cfg, max_cot_tokens=16)
    out = generate(toy, PROMPTS, keys_for(PROMPTS, seed=3), opts, decode=False)
    with torch.no_grad():
        scores = sequence_logprobs(toy, out.context_ids, out.response_text_ids, out.image_ids, cfg_weight=cfg)
    n = out.image_ids.shape[1]
    assert torch.allclose(scores.logprobs[:, -n:], out.image_logprobs, atol=1e-4)
    assert scores.image_mask[:, -n:].all() and not scores.image_mask[:, :-n].any()
    for r in range(len(PROMPTS)):
        got = scores.logprobs[r][scores.text_mask[r]]
        assert torch.allclose(got, torch.tensor(out.text_logprobs[r]), atol=1e-4)
        assert int(scores.text_mask[r].sum()) == len(out.response_text_ids[r]) == (0 if not cot else len(got))
    # an untrained head is close to uniform over the codebook
    assert abs(float(scores.entropy[scores.image_mask].mean()) - np.log(toy.image_tokenizer.codebook_size)) < 0.05


def test_sequence_logprobs_clamp_and_gradients(toy):
    out = generate(toy, PROMPTS[:2], keys_for(PROMPTS[:2]), GenerationOptions(cfg_weight=1.0, max_cot_tokens=8),
                   decode=False)
    scores = sequence_logprobs(toy, out.context_ids, out.response_text_ids, out.image_ids, clamp=30.0)
    loss = -(scores.logprobs * scores.mask).sum()
    loss.backward()
    grads = [p.grad for p in (toy.janus.lm_head.weight, toy.janus.model.generation_head.vision_head.weight,
                              toy.grid_pos.weight)]
    assert all(g is not None and g.abs().sum() > 0 for g in grads)
    toy.zero_grad(set_to_none=True)


def test_cot_budget_overwrites_the_last_token_with_begin_of_image(toy):
    out = generate(toy, PROMPTS, keys_for(PROMPTS), GenerationOptions(max_cot_tokens=3), decode=False)
    boi, eos = toy.ids.boi, toy.ids.eos
    for response, stopped in zip(out.response_text_ids, out.cot_stopped):
        assert response[-1] == boi and len(response) <= 3 and eos not in response
        assert stopped or len(response) == 3


def test_unconditional_rows_keep_only_bos_and_begin_of_image():
    ids, mask = left_pad([[9, 5, 6, 7, 4], [9, 8, 4]], pad=2, device=torch.device("cpu"))
    uncond = unconditional(ids, mask, pad=2)
    assert uncond.tolist() == [[9, 2, 2, 2, 4], [2, 2, 9, 2, 4]]
    assert mask.tolist() == [[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]]


def test_sampler_respects_top_k_greedy_and_the_distribution():
    logits = torch.tensor([[0.0, 1.0, 2.0, 3.0]]).repeat(4000, 1)
    streams = RowStreams([(0, "x", k) for k in range(4000)])
    u = streams.uniform("text")
    tok, lp = Sampler(1.0, top_k=2).draw(Sampler(1.0, top_k=2).log_probs(logits), u)
    assert set(tok.tolist()) == {2, 3}
    assert abs(float((tok == 3).float().mean()) - float(torch.sigmoid(torch.tensor(1.0)))) < 0.03
    greedy, _ = Sampler(0.0).draw(Sampler(0.0).log_probs(logits[:3]), u[:3])
    assert greedy.tolist() == [3, 3, 3]
    full, lp = Sampler().draw(Sampler().log_probs(logits), u)
    freq = torch.bincount(full, minlength=4).float() / 4000
    assert torch.allclose(freq, torch.softmax(logits[0], -1), atol=0.03)
    assert row_seed(0, "a", 1) != row_seed(0, "a", 2) != row_seed(1, "a", 1)


def test_toy_policy_save_and_load_round_trip(toy, tmp_path):
    folder = toy.save(tmp_path / "toy")
    loaded = load_policy(folder, device="cpu", dtype="fp32")
    assert loaded.spec.image_tokenizer == "toy-patch" and loaded.grid_pos is not None
    opts = GenerationOptions(max_cot_tokens=10)
    a = generate(toy, PROMPTS[:2], keys_for(PROMPTS[:2]), opts)
    b = generate(loaded, PROMPTS[:2], keys_for(PROMPTS[:2]), opts)
    assert a.cot_text == b.cot_text and torch.equal(a.image_ids, b.image_ids)
