"""The toy policy: transformers' Janus at a tiny config, the toy word tokenizer and the toy patch tokenizer."""

from __future__ import annotations

import torch

from rgbench.policy.model import Policy, PolicySpec
from rgbench.policy.tiny import TinyJanus, tiny_janus_config

TOY_MODEL_NAME = "toy-init"


def build_toy_policy(seed: int = 0, size: TinyJanus | None = None, name: str = TOY_MODEL_NAME,
                     attn_implementation: str = "sdpa") -> Policy:
    """A freshly initialised toy policy (fp32, CPU, eval mode); deterministic for a seed."""
    from transformers import JanusForConditionalGeneration

    from rgbench.toy.text import build_text_tokenizer
    from rgbench.toy.tokenizer import PatchTokenizer

    image_tokenizer = PatchTokenizer.load()
    size = size or TinyJanus(grid=image_tokenizer.grid[0])
    if size.grid != image_tokenizer.grid[0]:
        raise ValueError(f"tiny grid {size.grid} ≠ toy tokenizer grid {image_tokenizer.grid}")
    tokenizer = build_text_tokenizer()
    special = {"bos": tokenizer.bos_token_id, "eos": tokenizer.eos_token_id, "pad": tokenizer.pad_token_id,
               "image_placeholder": tokenizer.convert_tokens_to_ids("<image_placeholder>")}
    config = tiny_janus_config(len(tokenizer), image_tokenizer.codebook_size, special, size)
    config._attn_implementation = attn_implementation
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        janus = JanusForConditionalGeneration(config)
        spec = PolicySpec(image_tokenizer="toy-patch", grid_position_embedding=True, name=name)
        policy = Policy(janus, tokenizer, image_tokenizer, spec)
        if policy.grid_pos is not None:
            torch.nn.init.normal_(policy.grid_pos.weight, std=0.02)
    return policy.eval()
