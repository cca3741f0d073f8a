"""Tiny random GenEval models (Mask2Former, CLIP) in the real transformers classes, for tests and benchmarks.

`save_tiny_mask2former(folder)` / `save_tiny_clip(folder)` write folders that load through the same code as
the real weights (`build_mask2former`, `build_clip_colors`), so the whole loading and inference path runs
without a download. Their outputs are random, their shapes and plumbing real.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TINY_CLIP_SIZE = 32  # the tiny CLIP's input side; its saved processor resizes and crops to it


def tiny_mask2former(num_labels: int = 80, num_queries: int = 10, seed: int = 0) -> Any:
    """A Swin Mask2Former with tiny widths, `num_queries` queries and GenEval's 80 labels."""
    import torch
    from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, SwinConfig

    from rgbench.geneval.mask2former import _without_scipy_check

    swin = SwinConfig(embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2], window_size=7,
                      drop_path_rate=0.0, out_features=["stage1", "stage2", "stage3", "stage4"])
    config = Mask2FormerConfig(backbone_config=swin, num_labels=num_labels, num_queries=num_queries, feature_size=32,
                               mask_feature_size=32, hidden_dim=32, encoder_feedforward_dim=64, encoder_layers=1,
                               decoder_layers=2, num_attention_heads=2, dim_feedforward=64)
    with _without_scipy_check():
        torch.manual_seed(seed)
        model = Mask2FormerForUniversalSegmentation(config)
    with torch.no_grad():  # spread the random logits so scores are not near-ties
        model.class_predictor.weight.mul_(30)
        model.get_submodule("model.transformer_module.decoder.mask_predictor.mask_embedder.2.0").weight.mul_(20)
    return model


def save_tiny_mask2former(folder: str | Path, **kwargs: Any) -> Path:
    folder = Path(folder)
    tiny_mask2former(**kwargs).save_pretrained(folder)
    return folder


def tiny_clip_tokenizer() -> Any:
    """A byte-level CLIPTokenizer with every byte symbol and no merges: real class, no download."""
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    vocab: dict[str, int] = {}
    for char in sorted(ByteLevel.alphabet()):  # every byte-level symbol, alone and word-final
        vocab[char] = len(vocab)
        vocab[char + "</w>"] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[])


def save_tiny_clip(folder: str | Path, seed: int = 0) -> Path:
    """CLIPModel (hidden 32, one layer, 32-px images) + tokenizer + PIL image processor, saved to `folder`."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel

    folder = Path(folder)
    tokenizer = tiny_clip_tokenizer()
    layers = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2)
    config = CLIPConfig(
        text_config=dict(vocab_size=len(tokenizer), max_position_embeddings=77, eos_token_id=tokenizer.eos_token_id,
                         bos_token_id=tokenizer.bos_token_id, pad_token_id=tokenizer.pad_token_id, **layers),
        vision_config=dict(image_size=TINY_CLIP_SIZE, patch_size=8, **layers), projection_dim=16)
    torch.manual_seed(seed)
    CLIPModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    CLIPImageProcessorPil(size={"shortest_edge": TINY_CLIP_SIZE},
                          crop_size={"height": TINY_CLIP_SIZE, "width": TINY_CLIP_SIZE}).save_pretrained(folder)
    return folder
