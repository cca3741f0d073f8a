"""Tiny Janus configs: the real architecture (`JanusForConditionalGeneration`) at toy and test sizes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class TinyJanus:
    """Sizes of a tiny Janus; the SigLIP understanding tower and the VQ decoder are kept minimal (unused here)."""

    hidden: int = 128  # language-model width
    layers: int = 4  # decoder layers
    heads: int = 4  # attention heads (and key/value heads)
    intermediate: int = 384  # MLP width
    max_positions: int = 1024  # RoPE table length
    grid: int = 8  # the image-token grid is grid × grid
    vq_levels: int = 2  # VQ encoder levels; it downsamples by 2**(vq_levels-1)


def tiny_janus_config(vocab_size: int, codebook_size: int, special: dict[str, int], size: TinyJanus | None = None):
    """A `JanusConfig` with a `vocab_size`-word text head and a `codebook_size`-code image head."""
    from transformers import JanusConfig, JanusVisionConfig, JanusVQVAEConfig, LlamaConfig

    size = size or TinyJanus()
    text = LlamaConfig(vocab_size=vocab_size, hidden_size=size.hidden, intermediate_size=size.intermediate,
                       num_hidden_layers=size.layers, num_attention_heads=size.heads,
                       num_key_value_heads=size.heads, max_position_embeddings=size.max_positions,
                       bos_token_id=special["bos"], eos_token_id=special["eos"], pad_token_id=special["pad"],
                       tie_word_embeddings=False)
    # Janus derives the VQ grid side from the vision tower (image_size // patch_size): keep them in step.
    vision = JanusVisionConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                               image_size=16 * size.grid, patch_size=16, projection_dim=size.hidden,
                               num_image_tokens=size.grid * size.grid)
    vq = JanusVQVAEConfig(num_embeddings=codebook_size, embed_dim=8, latent_channels=32, base_channels=32,
                          channel_multiplier=[1] * size.vq_levels, num_res_blocks=1, projection_dim=size.hidden,
                          image_token_embed_dim=size.hidden)
    return JanusConfig(text_config=text, vision_config=vision, vq_config=vq,
                       image_token_id=special["image_placeholder"], tie_word_embeddings=False)


def save_tiny_hf_janus(folder: str | Path, seed: int = 0, codebook_size: int = 64) -> Path:
    """A plain transformers Janus checkpoint (no rgbench files): tiny config, the toy word tokenizer, a real VQ
    model with a 4×4 code grid on 16×16 images. Loads through `load_policy` exactly as released weights do."""
    import torch
    from transformers import JanusForConditionalGeneration

    from rgbench.toy.text import build_text_tokenizer

    tok = build_text_tokenizer()
    special = {"bos": tok.bos_token_id, "eos": tok.eos_token_id, "pad": tok.pad_token_id,
               "image_placeholder": tok.convert_tokens_to_ids("<image_placeholder>")}
    config = tiny_janus_config(len(tok), codebook_size, special,
                               TinyJanus(hidden=32, layers=2, heads=2, intermediate=64, grid=4, vq_levels=3))
    folder = Path(folder)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        JanusForConditionalGeneration(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder
