"""Qwen2.5-VL (3B / 7B Instruct) behind a small adapter: (text, image) pairs → greedy answers or next-token P(word).

Used as GRPO's reward judge (`rgbench.train.qwen_judge`) and as a DPG VQA backend. Loading never downloads:
`resolve_weights` finds a local folder (a size key, a hub id or a path) and `offline()` keeps transformers off the
network.

Each (text, image) pair is one user turn rendered with the checkpoint's chat template (Qwen's default system message
"You are a helpful assistant.") and `add_generation_prompt=True`; rows are padded on the left so the first generated
position is the last column of every row. A text is a string (the image first, then the text: rgbench's layout) or
a (before, after) pair (the image between them: where ReasonGen-R1's judge prompt puts it, see `user_turn`).

Processor: transformers 5.24's `Qwen2_5_VLProcessor` has a video slot whose base class (`VideoProcessorMixin`) is
only exported when torchvision is installed, so neither it nor `AutoProcessor` can be built without torchvision.
`ImageOnlyQwenProcessor` is the same processor minus the video slot: the same chat template, image-pad expansion
(one <|image_pad|> per merged 2×2 patch group) and `mm_token_type_ids`, which the model needs for its M-RoPE
positions. Its image processor is always `Qwen2VLImageProcessorPil` (PIL resize, the release-era "slow" processor),
so answers do not depend on whether torchvision happens to be installed.

Image size: Qwen's processor resizes every image with `smart_resize`: sides rounded to multiples of
patch_size × merge_size (28 for the real models) with the pixel count kept inside [min_pixels, max_pixels]
(transformers 5.x: `size={"shortest_edge": min_pixels, "longest_edge": max_pixels}`; the older `min_pixels=` /
`max_pixels=` call kwargs are deprecated). ReasonGen-R1's judge first PIL-upscales its 384×384 images to
512×512 (`process_image`, see rgbench.train.qwen_judge.upscale) and leaves the processor its own range, so
smart_resize rounds 512 to 504 (18×18 = 324 image tokens); passing min_pixels = 512·512 here instead would
round 384 up to 532 (19×19 = 361).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from rgbench.devices import resolve_device

if TYPE_CHECKING:
    import torch
    from transformers import BatchFeature

QWEN_IDS = {"3B": "Qwen/Qwen2.5-VL-3B-Instruct", "7B": "Qwen/Qwen2.5-VL-7B-Instruct"}
REQUIRED_FILES = ("config.json", "tokenizer_config.json", "preprocessor_config.json")
# Plain greedy decoding. The checkpoints' generation_config.json switches sampling on (tiny temperature / top_p /
# top_k) and sets repetition_penalty 1.05; those are cleared here so the judge's answer is the argmax path.
GREEDY = {"do_sample": False, "temperature": None, "top_p": None, "top_k": None, "repetition_penalty": 1.0}
ChatText = str | tuple[str, str]  # the user turn's text: image first, or (text before, text after) the image


class QwenVL:
    """A loaded Qwen2.5-VL: model (eval mode) + processor, answering batches of (text, image) pairs."""

    def __init__(self, model: Any, processor: Any, device: torch.device, image_size: dict[str, int],
                 name: str = "qwen_vl") -> None:
        self.model, self.processor, self.device, self.name = model, processor, device, name
        self.image_size = image_size  # {"shortest_edge": min_pixels, "longest_edge": max_pixels}
        self.tokenizer = processor.tokenizer
        self.tokenizer.padding_side = "left"  # the next token of every row is then the last column

    def chat_inputs(self, texts: Sequence[ChatText], images: Sequence[Any]) -> BatchFeature:
        """One user turn per (text, image) (`user_turn`); chat template + generation prompt; left-padded tensors."""
        if len(texts) != len(images):
            raise ValueError(f"{len(texts)} texts but {len(images)} images; pass one image per text")
        prompts = [self.processor.apply_chat_template(user_turn(text), tokenize=False, add_generation_prompt=True)
                   for text in texts]
        return self.processor(text=prompts, images=[as_rgb(image) for image in images], padding=True,
                              size=self.image_size, return_tensors="pt")

    def generate(self, texts: Sequence[ChatText], images: Sequence[Any], max_new_tokens: int = 1024,
                 batch_size: int = 8) -> list[str]:
        """Greedy answers, `batch_size` pairs per call; only the new tokens are decoded, special tokens dropped."""
        import torch

        answers: list[str] = []
        for start, stop in chunks(len(texts), batch_size):
            inputs = self.chat_inputs(texts[start:stop], images[start:stop]).to(self.device)
            with torch.no_grad():
                out = self.model.generate(**inputs, max_new_tokens=max_new_tokens, **GREEDY,
                                          pad_token_id=self.tokenizer.pad_token_id)  # [B, L + new]
            new = out[:, inputs["input_ids"].shape[1]:]  # [B, new]
            answers += self.tokenizer.batch_decode(new, skip_special_tokens=True)
        return answers

    def next_token_probs(self, texts: Sequence[ChatText], images: Sequence[Any], words: Sequence[str],
                         batch_size: int = 8) -> torch.Tensor:
        """[B, len(words)] P(first answer token = each word's token), softmax over the full vocabulary.

        Each word counts by its first token, which must be the whole word: "yes", "no", "Yes", "No", "0" and "1"
        are single tokens in Qwen's vocabulary; a word that is not raises ValueError.
        """
        import torch

        ids = torch.tensor(word_token_ids(self.tokenizer, words), device=self.device)  # [W]
        rows = []
        for start, stop in chunks(len(texts), batch_size):
            inputs = self.chat_inputs(texts[start:stop], images[start:stop]).to(self.device)
            with torch.no_grad():
                logits = self.model(**inputs, use_cache=False, logits_to_keep=1).logits[:, -1]  # [b, V]
            rows.append(torch.softmax(logits.float(), dim=-1)[:, ids])  # [b, W]
        return torch.cat(rows).cpu() if rows else torch.empty(0, len(words))  # [B, W]


# ---------------------------------------------------------------- pure pieces


def user_turn(text: ChatText) -> list[dict[str, Any]]:
    """The chat messages of one pair: a single user turn holding the image then the text, or, for a (before, after)
    pair, the text before, the image, the text after. Qwen's chat template joins the items with nothing between
    them, so the latter renders exactly as ReasonGen-R1's judge input: its template's "<image>" replaced by
    <|vision_start|><|image_pad|><|vision_end|>."""
    if isinstance(text, str):
        return [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}]
    before, after = text
    return [{"role": "user", "content": [{"type": "text", "text": before}, {"type": "image"},
                                         {"type": "text", "text": after}]}]


def as_rgb(image: Any) -> Image.Image:
    """PIL image or uint8 [H, W, 3] array → RGB PIL image."""
    pil = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
    return pil if pil.mode == "RGB" else pil.convert("RGB")


def chunks(n: int, size: int) -> list[tuple[int, int]]:
    """[start, stop) ranges covering n items, `size` at a time."""
    if size < 1:
        raise ValueError(f"batch_size must be ≥ 1, got {size}")
    return [(start, min(start + size, n)) for start in range(0, n, size)]


def word_token_ids(tokenizer: Any, words: Sequence[str]) -> list[int]:
    """Each word's token id; ValueError unless the word encodes (no special tokens) to exactly one token."""
    ids = []
    for word in words:
        encoded = tokenizer.encode(word, add_special_tokens=False)
        if len(encoded) != 1:
            pieces = tokenizer.convert_ids_to_tokens(encoded)
            raise ValueError(f"'{word}' is not a single token of this vocabulary (it encodes to {pieces}); "
                             f"next_token_probs needs words such as 'yes' / 'no' that are one token each")
        ids.append(encoded[0])
    return ids


def image_size(processor: Any, min_pixels: int | None, max_pixels: int | None) -> dict[str, int]:
    """The smart_resize pixel range: the checkpoint's own, with min_pixels / max_pixels overriding either end."""
    size = dict(processor.image_processor.size)
    ends = {"shortest_edge": min_pixels, "longest_edge": max_pixels}
    size.update({key: value for key, value in ends.items() if value is not None})
    if size["shortest_edge"] > size["longest_edge"]:
        raise ValueError(f"min_pixels {size['shortest_edge']} exceeds max_pixels {size['longest_edge']}")
    return {key: size[key] for key in ends}


# ---------------------------------------------------------------- loading


@functools.cache
def image_only_processor_class() -> type:
    """`Qwen2_5_VLProcessor` without its video slot, so it builds without torchvision (see the module docstring)."""
    from transformers import Qwen2_5_VLProcessor
    from transformers.processing_utils import ProcessorMixin

    class ImageOnlyQwenProcessor(Qwen2_5_VLProcessor):
        def __init__(self, image_processor: Any = None, tokenizer: Any = None, chat_template: str | None = None,
                     **kwargs: Any) -> None:
            self.image_token = getattr(tokenizer, "image_token", None) or "<|image_pad|>"
            self.video_token = getattr(tokenizer, "video_token", None) or "<|video_pad|>"
            self.image_token_id = tokenizer.convert_tokens_to_ids(self.image_token)
            self.video_token_id = tokenizer.convert_tokens_to_ids(self.video_token)
            ProcessorMixin.__init__(self, image_processor, tokenizer, chat_template=chat_template, **kwargs)

    return ImageOnlyQwenProcessor


def load_processor(folder: Path) -> Any:
    """The folder's tokenizer, chat template and image processor (PIL backend) as one image-only processor."""
    from transformers import Qwen2VLImageProcessorPil

    processor = image_only_processor_class().from_pretrained(folder)
    if not isinstance(processor.image_processor, Qwen2VLImageProcessorPil):  # torchvision installed: same settings
        processor.image_processor = Qwen2VLImageProcessorPil.from_pretrained(folder)
    if processor.chat_template is None:
        raise ValueError(f"{folder} has no chat template (chat_template.json / .jinja or in tokenizer_config.json)")
    return processor


def model_folder(model: str, weights_dir: str | Path | None = None) -> Path:
    """A size key ("3B" / "7B"), a hub id or a local folder → the local folder (never downloads)."""
    from rgbench.weights import resolve_weights

    return resolve_weights(QWEN_IDS.get(model, model), weights_dir, required=REQUIRED_FILES)


def load_qwen_vl(model: str, device: str | None = None, dtype: str = "auto", weights_dir: str | Path | None = None,
                 min_pixels: int | None = None, max_pixels: int | None = None) -> QwenVL:
    """Qwen2.5-VL from local files: dtype "auto" = bf16 on CUDA, fp32 on CPU; SDPA attention; eval mode.

    min_pixels / max_pixels override the checkpoint's smart_resize range (None keeps its own).
    """
    from transformers import Qwen2_5_VLForConditionalGeneration
    from transformers.utils import logging as hf_logging

    from rgbench.policy.model import resolve_dtype
    from rgbench.weights import offline

    offline()
    hf_logging.disable_progress_bar()
    folder = model_folder(model, weights_dir)
    dev = resolve_device(device)
    net = Qwen2_5_VLForConditionalGeneration.from_pretrained(folder, dtype=resolve_dtype(dtype, dev),
                                                             attn_implementation="sdpa")
    processor = load_processor(folder)
    return QwenVL(net.to(dev).eval(), processor, dev, image_size(processor, min_pixels, max_pixels),
                  name=f"qwen_vl-{model}")
