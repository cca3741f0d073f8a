"""A tiny random Qwen2.5-VL in the real transformers classes, for tests and benchmarks.

`save_tiny_qwen_vl(folder)` writes a folder (config, safetensors, generation config, tokenizer, image processor,
chat template) that `rgbench.vlm.qwen.load_qwen_vl(str(folder))` loads through the same `from_pretrained` calls
as the real 3B / 7B weights, so the chat template, image tokens, left padding, M-RoPE positions and generation
all run without a download. Its answers are random; their shapes and plumbing are real.

The pieces mirror the real release, only smaller:
- model: `Qwen2_5_VLForConditionalGeneration`, text hidden 64 (2 layers, 4 heads, 2 KV heads, head dim 16, so
  M-RoPE sections [2, 3, 3] sum to 8 = head_dim / 2), vision hidden 32 with 8-px patches and 2×2 merging, so one
  image token covers 16×16 px: a 64×64 image gives 16 tokens, 48×80 gives 15. The vision tower has two blocks, a
  windowed one and a full-attention one, like the release's mix;
- tokenizer: `Qwen2Tokenizer` (Qwen's own byte-level BPE pipeline and pre-tokenizer regex) over the 256 byte
  symbols plus BPE merges trained on a short word list (so "yes", "no", "0", "1" are single tokens, as in Qwen's
  vocabulary), then Qwen's special tokens;
- image processor: `Qwen2VLImageProcessorPil`, the PIL backend (the torchvision one cannot be imported here),
  saved as `preprocessor_config.json` next to the tokenizer files, as in the released folders (transformers 5.24
  cannot build a `Qwen2_5_VLProcessor` without torchvision, so no processor_config.json is written);
- chat template: Qwen's layout, written here (default system message, image placeholder before the text), saved
  with the tokenizer as chat_template.jinja, where the processor's `from_pretrained` finds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TINY_PATCH = 8  # vision patch side in px; with 2×2 merging one image token covers 16×16 px
TINY_MERGE = 2
TINY_MIN_PIXELS = 32 * 32  # the tiny processor's default range: images stay close to their own size
TINY_MAX_PIXELS = 512 * 512  # room for the judge's min_pixels = 512·512

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
                  "<|image_pad|>", "<|video_pad|>")
WORDS = ("yes", "no", "0", "1", "\\boxed", "{", "}", "a", "an", "the", "photo", "of", "image", "prompt", "is", "are",
         "and", "to", "in", "on", "left", "right", "above", "below", "red", "green", "blue", "yellow", "cat", "dog",
         "two", "three", "one", "does", "match", "answer", "You", "helpful", "assistant", "system", "user", "Yes",
         "No", "box", "The", "This", "shows")

# Qwen's chat layout (ChatML): a default system turn, then each turn as <|im_start|>role\n…<|im_end|>\n; an image
# content item becomes <|vision_start|><|image_pad|><|vision_end|>, which the processor expands to one pad per
# image token.
CHAT_TEMPLATE = (
    "{% if messages[0]['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' or 'image' in item %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}"
    "{% endif %}{% endfor %}{% endif %}"
    "<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def tiny_vocab(words: tuple[str, ...] = WORDS) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Byte-level BPE vocab + merges over every byte symbol, trained until each word, bare and space-led, is whole.

    Trained with Qwen's own pre-tokenizer, so the merges are consistent (hand-chained merges of overlapping words
    block one another) and "yes", " yes", "\\boxed", … each encode to one token.
    """
    import json

    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    trainer = trainers.BpeTrainer(vocab_size=100_000, min_frequency=1, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator([*words, *(" " + w for w in words)], trainer)
    model = json.loads(bpe.to_str())["model"]
    return model["vocab"], [tuple(pair) for pair in model["merges"]]


def tiny_qwen_tokenizer() -> Any:
    """Qwen2Tokenizer over the tiny vocab, with Qwen's special tokens, pad <|endoftext|>, eos <|im_end|>."""
    from transformers import Qwen2Tokenizer

    vocab, merges = tiny_vocab()
    vocab.update({token: len(vocab) + i for i, token in enumerate(SPECIAL_TOKENS)})  # after the words, Qwen's order
    tokenizer = Qwen2Tokenizer(vocab=vocab, merges=merges, unk_token=None, eos_token="<|im_end|>",
                               pad_token="<|endoftext|>")
    tokenizer.add_special_tokens({"additional_special_tokens": list(SPECIAL_TOKENS)})
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def tiny_qwen_config(tokenizer: Any, patch: int = TINY_PATCH) -> Any:
    """Qwen2_5_VLConfig with tiny widths whose token ids are the tokenizer's; vision patches of `patch` px."""
    from transformers import Qwen2_5_VLConfig

    ids = {name: tokenizer.convert_tokens_to_ids(tok) for name, tok in (
        ("image_token_id", "<|image_pad|>"), ("video_token_id", "<|video_pad|>"),
        ("vision_start_token_id", "<|vision_start|>"), ("vision_end_token_id", "<|vision_end|>"))}
    text = dict(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                rope_parameters={"rope_type": "default", "rope_theta": 1e6, "mrope_section": [2, 3, 3]},
                bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"), eos_token_id=tokenizer.eos_token_id,
                pad_token_id=tokenizer.pad_token_id)
    vision = dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, patch_size=patch,
                  spatial_merge_size=TINY_MERGE, temporal_patch_size=2, window_size=4 * patch * TINY_MERGE,
                  out_hidden_size=64, fullatt_block_indexes=[1])
    return Qwen2_5_VLConfig(text_config=text, vision_config=vision, **ids)


def save_tiny_qwen_vl(folder: str | Path, seed: int = 0, patch: int = TINY_PATCH) -> Path:
    """Write a tiny random Qwen2.5-VL (model, generation config, processor, chat template) to `folder`; one image
    token covers (2·patch)² px."""
    import torch
    from transformers import GenerationConfig, Qwen2_5_VLForConditionalGeneration, Qwen2VLImageProcessorPil

    folder = Path(folder)
    tokenizer = tiny_qwen_tokenizer()
    config = tiny_qwen_config(tokenizer, patch)
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config)
    with torch.no_grad():  # spread the random logits (std ≈ 0.15 → 1.5) so greedy answers are not near-ties
        model.lm_head.weight.mul_(10)
    # Like the released Instruct checkpoints: stop at <|im_end|> or <|endoftext|>, and sampling settings switched on
    # (the adapter's greedy decoding must override them).
    model.generation_config = GenerationConfig(
        eos_token_id=[tokenizer.eos_token_id, tokenizer.pad_token_id], pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.pad_token_id, do_sample=True, temperature=0.1, top_p=0.001, top_k=1,
        repetition_penalty=1.05)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)  # tokenizer.json, tokenizer_config.json and chat_template.jinja
    Qwen2VLImageProcessorPil(min_pixels=TINY_MIN_PIXELS, max_pixels=TINY_MAX_PIXELS, patch_size=patch,
                             merge_size=TINY_MERGE, temporal_patch_size=2).save_pretrained(folder)
    return folder


# ---------------------------------------------------------------- a tiny judge that answers \boxed{0} or \boxed{1}

BOXED_CHAIN = ("Ċ", "\\boxed", "{", "1", "}", "<|im_end|>")  # the answer path after "<|im_start|>assistant\n"
DECISION_DIMS = 8  # hidden dims 0..7 carry only image features (text embeddings are zero there)
DECISION_OUT = 8  # the hidden dim the image vote is written to
CHAIN_DIM = 9  # hidden dims 9.. hold the answer-path tokens, one dim each ("0" shares "1"'s)


def save_boxed_qwen_judge(folder: str | Path, calibration: list[Any], seed: int = 0, patch: int = 16) -> Path:
    """A tiny Qwen2.5-VL (as `save_tiny_qwen_vl`) whose weights are set so that greedy decoding answers exactly
    `\\boxed{1}` or `\\boxed{0}` and stops, the digit decided by the image: a test stand-in for the release's 7B
    judge that gives the group filter informative groups, through the real chat template, vision tower,
    M-RoPE positions and `generate`.

    How: every decoder output is zeroed but layer 0's attention, whose queries are zero (uniform attention over
    the context) and whose values read hidden dims 0..7, which only image tokens fill; the mean of that vote goes to
    hidden dim 8. The answer path is a bigram chain in dims 9.. (after "\\n" comes "\\boxed", then "{", then a digit,
    "}", <|im_end|>); at "{" the digits tie except for dim 8: "1" when the image's vote is positive. The vote's
    threshold is the median over `calibration` images (those the policy under test draws), so about half of them
    pass; the judge's text does not matter. Its 16-px patches make a 512×512 image 16×16 = 256 image tokens.
    """
    import torch
    from transformers import Qwen2_5_VLForConditionalGeneration

    folder = save_tiny_qwen_vl(folder, seed, patch)
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(folder)
    tok = tiny_qwen_tokenizer()
    lm, alpha = model.model.language_model, 10.0
    with torch.no_grad():
        model.model.visual.merger.mlp[2].bias[0] += 1.0  # dim 0 of every image token: a positive offset for the vote
        for layer in lm.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        attn = lm.layers[0].self_attn
        attn.q_proj.weight.zero_()
        attn.q_proj.bias.zero_()
        attn.v_proj.weight.zero_()
        attn.v_proj.bias.zero_()
        emb, head = lm.embed_tokens.weight, model.lm_head.weight
        emb[:, :CHAIN_DIM + len(BOXED_CHAIN)] = 0
        head.mul_(0.01)
        head[:, :CHAIN_DIM + len(BOXED_CHAIN)] = 0
        ids = [tok.convert_tokens_to_ids(t) for t in BOXED_CHAIN]
        for k, (this, nxt) in enumerate(zip(ids, ids[1:])):
            emb[this, CHAIN_DIM + k] = 1.0
            head[nxt, CHAIN_DIM + k] = alpha
        zero = tok.convert_tokens_to_ids("0")
        emb[zero] = emb[ids[3]]  # "0" continues like "1"
        head[zero] = head[ids[3]]
        head[ids[3], DECISION_OUT] = alpha  # at "{": "1" when dim 8 > 0, "0" when < 0
        head[zero, DECISION_OUT] = -alpha
    model.save_pretrained(folder)
    weights = _calibrated_vote(folder, calibration)
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(folder)
    with torch.no_grad():
        model.model.language_model.layers[0].self_attn.v_proj.weight[0, :DECISION_DIMS] = weights
        model.model.language_model.layers[0].self_attn.o_proj.weight[DECISION_OUT, 0] = 1.0
    model.save_pretrained(folder)
    return folder


def _calibrated_vote(folder: Path, calibration: list[Any]) -> Any:
    """Vote weights over dims 0..7 of the image tokens (after layer 0's input norm) whose sum splits the
    calibration images at their median: w = (w_0, random w_1..7), w_0 = −median(Σ w_rest·x / Σ x_0)."""
    import torch

    from rgbench.vlm.qwen import load_qwen_vl

    if len(calibration) < 2:
        raise ValueError("calibrating the judge's vote needs at least 2 images")
    vlm = load_qwen_vl(str(folder), device="cpu", dtype="fp32", min_pixels=512 * 512)
    image_id = vlm.model.config.image_token_id
    seen: list[Any] = []
    hook = vlm.model.model.language_model.layers[0].input_layernorm.register_forward_hook(
        lambda _m, _i, out: seen.append(out.detach()))
    sums = []
    for image in calibration:
        seen.clear()
        inputs = vlm.chat_inputs(["calibration"], [image])
        with torch.no_grad():
            vlm.model(**inputs, use_cache=False, logits_to_keep=1)
        normed = seen[0][0, inputs["input_ids"][0] == image_id, :DECISION_DIMS]  # [N_img, 8]
        sums.append(normed.sum(dim=0))  # [8]
    hook.remove()
    sums_t = torch.stack(sums)  # [C, 8]
    if not bool((sums_t[:, 0] > 0).all()):
        raise ValueError("the judge's vote offset (hidden dim 0) is not positive on every calibration image")
    rest = torch.randn(DECISION_DIMS - 1, generator=torch.Generator().manual_seed(0))  # [7]
    ratio = (sums_t[:, 1:] @ rest) / sums_t[:, 0]  # [C]
    return torch.cat([-ratio.median()[None], rest])  # [8]
