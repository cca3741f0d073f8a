"""CLIP text–image similarity through transformers' CLIPModel (OpenAI weights), the scorer behind the `clip` GRPO
reward and T2I-CompBench's non-spatial category.

    sim = cos(image embedding, text embedding), one per (text, image) pair, float32
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

DEFAULT_SIMILARITY_CLIP = "openai/clip-vit-base-patch32"  # T2I-CompBench's non-spatial model


class ClipSimilarity:
    def __init__(self, model: Any, tokenizer: Any, processor: Any, device: torch.device, batch_size: int = 32,
                 name: str = "clip") -> None:
        from rgbench.geneval.clip_colors import features, hf_text_encoder

        self.model, self.processor, self.device, self.batch_size, self.name = model, processor, device, batch_size, name
        self._encode_text = hf_text_encoder(model, tokenizer, device)
        self._features = features

    @torch.no_grad()
    def similarity(self, texts: Sequence[str], images: Sequence[Any]) -> torch.Tensor:
        """[B] cosine similarities of each text with its image (images: PIL or uint8 [H, W, 3] arrays)."""
        from rgbench.geneval.clip_colors import as_rgb

        if len(texts) != len(images):
            raise ValueError(f"{len(texts)} texts for {len(images)} images")
        out = []
        for s in range(0, len(texts), self.batch_size):
            pil = [as_rgb(im) for im in images[s:s + self.batch_size]]
            pixels = self.processor(images=pil, return_tensors="pt")["pixel_values"].to(self.device)
            img = self._features(self.model.get_image_features(pixel_values=pixels)).float()  # [b, D]
            txt = self._encode_text(list(texts[s:s + self.batch_size])).float()  # [b, D]
            out.append(torch.nn.functional.cosine_similarity(img, txt, dim=-1))  # [b]
        return torch.cat(out).cpu() if out else torch.zeros(0)


def load_clip_similarity(model: str | Path | None = None, device: str | None = None,
                         weights_dir: str | Path | None = None, batch_size: int = 32) -> ClipSimilarity:
    """A local CLIP folder or id (default openai/clip-vit-base-patch32; never downloaded), fp32."""
    from transformers import AutoTokenizer, CLIPModel
    from transformers.utils import logging as hf_logging

    from rgbench.devices import resolve_device
    from rgbench.geneval.clip_colors import load_image_processor
    from rgbench.weights import offline, resolve_weights

    offline()
    hf_logging.disable_progress_bar()
    folder = resolve_weights(str(model or DEFAULT_SIMILARITY_CLIP), weights_dir,
                             required=("config.json", "tokenizer_config.json"))
    dev = resolve_device(device)
    clip = CLIPModel.from_pretrained(folder, dtype=torch.float32).to(dev).eval()
    processor = load_image_processor(folder, clip.config.vision_config.image_size)
    return ClipSimilarity(clip, AutoTokenizer.from_pretrained(folder), processor, dev, batch_size,
                          name=f"clip:{Path(str(model or DEFAULT_SIMILARITY_CLIP)).name}")


class OpenClipSimilarity:
    """T2I-CompBench's non-spatial score through open_clip (optional extra `rgbench[openclip]`): ViT-B-32 with
    OpenAI's weights from a local checkpoint file, open_clip's own eval transform and tokenizer (77 tokens)."""

    def __init__(self, model: Any, transform: Any, tokenizer: Any, device: torch.device, batch_size: int = 32) -> None:
        self.model, self.transform, self.tokenizer = model, transform, tokenizer
        self.device, self.batch_size, self.name = device, batch_size, "open_clip:ViT-B-32"

    @torch.no_grad()
    def similarity(self, texts: Sequence[str], images: Sequence[Any]) -> torch.Tensor:
        """[B] cosine similarities, as ClipSimilarity.similarity."""
        from rgbench.geneval.clip_colors import as_rgb

        out = []
        for s in range(0, len(texts), self.batch_size):
            pixels = torch.stack([self.transform(as_rgb(im)) for im in images[s:s + self.batch_size]]).to(self.device)
            img = self.model.encode_image(pixels).float()  # [b, D]
            txt = self.model.encode_text(self.tokenizer(list(texts[s:s + self.batch_size])).to(self.device)).float()
            out.append(torch.nn.functional.cosine_similarity(img, txt, dim=-1))  # [b]
        return torch.cat(out).cpu() if out else torch.zeros(0)


def load_open_clip_similarity(checkpoint: str | Path | None, device: str | None = None,
                              batch_size: int = 32) -> OpenClipSimilarity:
    """open_clip ViT-B-32 from a local OpenAI checkpoint file (open_clip is never allowed to download)."""
    from rgbench.devices import resolve_device
    from rgbench.weights import WeightsNotFound

    try:
        import open_clip
    except ImportError as err:
        raise ImportError(f"the open_clip CLIP backend needs open_clip, which is not importable here ({err}); "
                          "pip install 'rgbench[openclip]' (it pulls torchvision), or use the default transformers "
                          "CLIPModel backend, which runs the same OpenAI ViT-B/32 weights") from err
    if checkpoint is None or not Path(checkpoint).is_file():
        raise WeightsNotFound(f"open_clip needs ViT-B-32's OpenAI checkpoint as a local file, got {checkpoint!r}")
    dev = resolve_device(device)
    model, _, transform = open_clip.create_model_and_transforms("ViT-B-32", pretrained=str(checkpoint), device=dev,
                                                                force_quick_gelu=True)
    return OpenClipSimilarity(model.eval(), transform, open_clip.get_tokenizer("ViT-B-32"), dev, batch_size)
