"""GenEval's colour classifier: zero-shot CLIP ViT-L-14 (OpenAI weights) over masked, box-cropped objects.

The official scorer (evaluation/evaluate_images.py + clip_benchmark's zero_shot_classifier / run_classification):
- per class, cached: for each of the 10 COLORS, the prompts "a photo of a {color} {class}", "a photo of a
  {color}-colored {class}", "a photo of a {color} object" (article always "a"); each text embedding L2-normalised,
  the three averaged and L2-normalised again → one [D] vector per colour;
- per object: the image converted to RGB, pixels outside the instance mask painted flat #999 (153,153,153), cropped
  to the detection box (PIL rounds the floats), CLIP eval transform, image embedding L2-normalised;
- logits = 100 · cos(image, colour vectors); prediction = argmax (the first colour on ties).

Two backends share `ClipColorClassifier`; only the model plumbing differs:
- `clip` (default, `build_clip_colors`): transformers' CLIPModel + CLIPImageProcessorPil, same OpenAI weights as
  open_clip ViT-L-14/openai (`openai/clip-vit-large-patch14`);
- `open_clip` (`build_open_clip_colors`, extra `rgbench[openclip]`): open_clip's own model, tokenizer and eval
  transform, i.e. GenEval's code path, from a local checkpoint file.

Where the `clip` backend's preprocessing differs from open_clip's eval transform
(torchvision Resize(224, BICUBIC) → CenterCrop(224) → ToTensor → Normalize(OpenAI mean/std)):
- Resize: identical. Both resize a PIL image's shortest side to 224 with PIL's bicubic `Image.resize` (torchvision
  hands PIL inputs to PIL) and both size the long side as int(224 · long / short), truncated. transformers'
  round trip PIL → uint8 array → PIL → array is lossless.
- Center crop: torchvision puts the 224 window at int(round((L − 224) / 2)) (Python's round, half to even);
  transformers at (L − 224) // 2 (floor). The offset along the long side is one pixel smaller here exactly when
  (L − 224) % 4 == 3, where L is the resized long side (L = 227: torchvision 2, transformers 1). The short side
  always has offset 0.
- ToTensor + Normalize: torchvision computes float32(x) / 255 and then (x − mean) / std in float32; transformers
  computes float64(x) · (1/255), casts to float32, then applies the same normalisation in float32. Inputs differ by
  at most one float32 ulp before normalisation. The mean and std constants are the same (OPENAI_CLIP_MEAN/STD).
- RGB: open_clip converts to RGB after the crop; GenEval's crops are already RGB, so nothing differs.
- Model numerics: transformers runs SDPA attention where open_clip runs nn.MultiheadAttention. transformers pads
  the prompts to the longest one with an attention mask, where open_clip pads to 77 with zeros; under the causal
  mask the end-of-text output is the same either way. Results agree up to float rounding, so expect rare argmax
  flips, never systematic ones.

Precision: clip_benchmark runs text encoding, image encoding and the logits matmul under CUDA fp16 autocast (amp=True)
with fp32 weights. Autocast computes the norms in fp32, so the normalised embeddings are fp32, but the 100·cos
logits come out of an fp16 matmul (resolution 1/64 for logits in [16, 32)), and ties there go to the first colour.
dtype "auto" does the same on CUDA and runs plain fp32 on CPU. "fp16" / "bf16" choose the autocast dtype, "fp32"
turns autocast off; the weights always stay fp32.

Batching: the official scorer classifies one (image, class) group per call, in batches of 16 crops. Here the crops
of every object, from any number of images and classes, are batched together, `spec.batch_size` per forward (16 is
the official value; BackendSpec's default is 8). Batch composition only changes float rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from rgbench.backends import BackendSpec
from rgbench.devices import resolve_device
from rgbench.geneval.detection import COLORS, Detection

if TYPE_CHECKING:
    import torch

DEFAULT_CLIP = "openai/clip-vit-large-patch14"  # = open_clip ViT-L-14 / pretrained="openai"
OPEN_CLIP_ARCH = "ViT-L-14"
TEMPLATES = ("a photo of a {color} {classname}", "a photo of a {color}-colored {classname}", "a photo of a {color} object")
BACKGROUND = (153, 153, 153)  # GenEval's bgcolor "#999"
OFFICIAL_BATCH_SIZE = 16  # crops per forward in the official scorer
AUTOCAST = {"fp16": "float16", "float16": "float16", "bf16": "bfloat16", "bfloat16": "bfloat16"}
NO_AUTOCAST = ("fp32", "float32")
OPEN_CLIP_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin", "ViT-L-14.pt")
OPEN_CLIP_HINT = (f"hf download timm/vit_large_patch14_clip_224.openai {OPEN_CLIP_FILES[0]} --local-dir DIR "
                  f"(the file open_clip fetches for ViT-L-14/openai), then pass DIR/{OPEN_CLIP_FILES[0]} as the model")


class OpenClipMissing(ImportError):
    """open_clip is not importable; the message names the extra and the transformers alternative."""


# ---------------------------------------------------------------- pure pieces


def color_prompts(classname: str, colors: Sequence[str] = COLORS) -> list[str]:
    """The three GenEval templates for every colour, colour-major: [c0·t0, c0·t1, c0·t2, c1·t0, …] (30 strings)."""
    return [t.format(color=color, classname=classname) for color in colors for t in TEMPLATES]


def masked_crop(image: Any, det: Detection, background: tuple[int, int, int] = BACKGROUND) -> Image.Image:
    """GenEval's crop: RGB image, pixels outside det.mask set to `background`, then PIL's crop to det.box.

    No EXIF transpose here (the evaluator applies it when it opens the file). PIL rounds the box's floats.
    """
    rgb = as_rgb(image)
    if det.mask is not None:
        mask = np.asarray(det.mask, dtype=bool)  # [H, W]
        if mask.shape != (rgb.height, rgb.width):
            raise ValueError(f"mask of '{det.label}' has shape {list(mask.shape)} but the image is "
                             f"[H, W] = [{rgb.height}, {rgb.width}]; masks must be at the image's original size")
        gray = Image.new("RGB", rgb.size, color=background)
        rgb = Image.composite(rgb, gray, Image.fromarray(mask))
    return rgb.crop(tuple(det.box))


def as_rgb(image: Any) -> Image.Image:
    """PIL image or uint8 [H, W, 3] array → RGB PIL image (no copy when it already is one)."""
    pil = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
    return pil if pil.mode == "RGB" else pil.convert("RGB")


def template_average(text_emb: torch.Tensor) -> torch.Tensor:
    """[C, T, D] prompt embeddings → [C, D] colour vectors: normalise each, mean over templates, normalise again."""
    import torch.nn.functional as F

    mean = F.normalize(text_emb, dim=-1).mean(dim=1)  # [C, D]
    return mean / mean.norm(dim=-1, keepdim=True)  # [C, D]


def pick_colors(logits: torch.Tensor, colors: Sequence[str] = COLORS) -> list[str]:
    """[N, C] logits → the argmax colour per row; torch.argmax returns the first index on ties."""
    return [colors[i] for i in logits.argmax(dim=-1).tolist()]


def features(out: Any) -> torch.Tensor:
    """A get_*_features result → [B, D]: transformers 5 returns an output object whose pooler_output is projected."""
    import torch

    return out if isinstance(out, torch.Tensor) else out.pooler_output


def autocast_dtype(dtype: str, device: torch.device) -> torch.dtype | None:
    """'auto' → fp16 autocast on CUDA (clip_benchmark's amp=True), none on CPU; fp16/bf16 autocast; fp32 none."""
    import torch

    if dtype == "auto":
        return torch.float16 if device.type == "cuda" else None
    if dtype in NO_AUTOCAST:
        return None
    if dtype not in AUTOCAST:
        raise ValueError(f"unknown dtype '{dtype}' for the CLIP colour classifier; choose auto, fp32, fp16 or bf16")
    return getattr(torch, AUTOCAST[dtype])


# ---------------------------------------------------------------- the classifier


class ClipColorClassifier:
    """GenEval's zero-shot colour classifier over any CLIP given as three callables.

    encode_text: prompts → [P, D] unnormalised text embeddings;
    encode_image: pixels [B, 3, S, S] → [B, D] unnormalised image embeddings;
    transform: crops (RGB PIL images) → pixels [B, 3, S, S].
    """

    colors: tuple[str, ...] = COLORS

    def __init__(self, encode_text: Callable[[list[str]], torch.Tensor],
                 encode_image: Callable[[torch.Tensor], torch.Tensor],
                 transform: Callable[[list[Image.Image]], torch.Tensor], device: torch.device | str = "cpu",
                 autocast: torch.dtype | None = None, batch_size: int = OFFICIAL_BATCH_SIZE, name: str = "clip"):
        import torch

        if batch_size < 1:
            raise ValueError(f"batch_size must be ≥ 1, got {batch_size}")
        self.encode_text, self.encode_image, self.transform = encode_text, encode_image, transform
        self.device = torch.device(device)
        self.autocast, self.batch_size, self.name = autocast, batch_size, name
        self._weights: dict[str, torch.Tensor] = {}  # class name → [10, D], built once per class

    def classify(self, objects: Sequence[tuple[Any, Detection]]) -> list[str]:
        """(image, detection) pairs from any images and classes → one colour per pair."""
        return pick_colors(self.logits(objects), self.colors) if objects else []

    def logits(self, objects: Sequence[tuple[Any, Detection]]) -> torch.Tensor:
        """[N, 10] = 100 · cos(crop embedding, the object's class colour vectors), float32 on the device."""
        import torch

        labels = [det.label for _, det in objects]
        image_emb = self.embed_crops(objects)  # [N, D]
        out = torch.empty(len(objects), len(self.colors), device=self.device)  # [N, 10]
        for label in dict.fromkeys(labels):
            rows = torch.tensor([i for i, name in enumerate(labels) if name == label], device=self.device)  # [n]
            weights = self.class_weights(label)  # [10, D]
            with torch.no_grad(), self._precision():
                out[rows] = (100.0 * image_emb[rows] @ weights.T).float()  # [n, 10]
        return out

    def embed_crops(self, objects: Sequence[tuple[Any, Detection]]) -> torch.Tensor:
        """[N, D] L2-normalised crop embeddings, `batch_size` crops per forward."""
        import torch
        import torch.nn.functional as F

        chunks = []
        for start in range(0, len(objects), self.batch_size):
            crops = [masked_crop(image, det) for image, det in objects[start:start + self.batch_size]]
            pixels = self.transform(crops).to(self.device)  # [B, 3, S, S]
            with torch.no_grad(), self._precision():
                chunks.append(F.normalize(self.encode_image(pixels), dim=-1).float())  # [B, D]
        return torch.cat(chunks)  # [N, D]

    def class_weights(self, classname: str) -> torch.Tensor:
        """[10, D] colour vectors for one class (cached), each colour's 3 prompts encoded together as clip_benchmark."""
        if classname not in self._weights:
            import torch

            prompts = color_prompts(classname, self.colors)
            per = len(TEMPLATES)
            with torch.no_grad(), self._precision():
                text_emb = torch.stack([self.encode_text(prompts[i:i + per])
                                        for i in range(0, len(prompts), per)])  # [10, 3, D]
                self._weights[classname] = template_average(text_emb.float())  # [10, D]
        return self._weights[classname]

    def _precision(self) -> AbstractContextManager:
        import torch

        if self.autocast is None:
            return nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.autocast)


# ---------------------------------------------------------------- transformers backend


def build_clip_colors(spec: BackendSpec) -> ClipColorClassifier:
    """COLOR_CLASSIFIERS["clip"]: transformers CLIPModel from a local folder (default openai/clip-vit-large-patch14)."""
    import torch
    from transformers import AutoTokenizer, CLIPModel
    from transformers.utils import logging as hf_logging

    from rgbench.weights import offline, resolve_weights

    offline()
    hf_logging.disable_progress_bar()
    folder = resolve_weights(spec.model or DEFAULT_CLIP, spec.weights_dir, required=("config.json", "tokenizer_config.json"))
    device = resolve_device(spec.device)
    model = CLIPModel.from_pretrained(folder, dtype=torch.float32).to(device).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    processor = load_image_processor(folder, model.config.vision_config.image_size)
    return ClipColorClassifier(
        encode_text=hf_text_encoder(model, tokenizer, device),
        encode_image=lambda pixels: features(model.get_image_features(pixel_values=pixels)),
        transform=lambda crops: processor(images=crops, return_tensors="pt")["pixel_values"],
        device=device, autocast=autocast_dtype(spec.dtype, device), batch_size=spec.batch_size, name="clip")


def hf_text_encoder(model: Any, tokenizer: Any, device: torch.device) -> Callable[[list[str]], torch.Tensor]:
    """prompts → [P, D] projected text embeddings (padded to the longest prompt, truncated at the context length)."""
    max_length = model.config.text_config.max_position_embeddings

    def encode(prompts: list[str]) -> torch.Tensor:
        batch = tokenizer(prompts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        return features(model.get_text_features(input_ids=batch["input_ids"].to(device),
                                                attention_mask=batch["attention_mask"].to(device)))  # [P, D]

    return encode


def load_image_processor(folder: str | Path, image_size: int) -> Any:
    """The folder's CLIP image processor (PIL backend, no torchvision), or CLIP's defaults at `image_size`.

    Raises when the processor's output size is not the model's input size.
    """
    try:
        from transformers import CLIPImageProcessorPil as Processor
    except ImportError:  # older transformers: the PIL processor is the only one
        from transformers import CLIPImageProcessor as Processor

    if (Path(folder) / "preprocessor_config.json").is_file():
        processor = Processor.from_pretrained(folder)
    else:
        processor = Processor(size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size})
    crop = processor.crop_size
    out = (crop["height"], crop["width"]) if processor.do_center_crop else None
    if out != (image_size, image_size):
        raise ValueError(f"{folder}/preprocessor_config.json makes {out} crops but the CLIP vision model takes "
                         f"{image_size}×{image_size} (GenEval: shortest side to {image_size}, center crop {image_size})")
    return processor


# ---------------------------------------------------------------- open_clip backend (optional extra)


def build_open_clip_colors(spec: BackendSpec) -> ClipColorClassifier:
    """COLOR_CLASSIFIERS["open_clip"]: GenEval's own open_clip ViT-L-14 from a local OpenAI checkpoint file."""
    open_clip = _import_open_clip()
    import torch

    checkpoint = open_clip_checkpoint(spec)
    device = resolve_device(spec.device)
    # OpenAI's weights were trained with QuickGELU; open_clip 2.20 (GenEval's pin) built them with it when loading
    # pretrained="openai", newer releases only do so when asked.
    model, _, transform = open_clip.create_model_and_transforms(
        OPEN_CLIP_ARCH, pretrained=str(checkpoint), device=device, force_quick_gelu=True)
    model.eval()
    tokenizer = open_clip.get_tokenizer(OPEN_CLIP_ARCH)
    return ClipColorClassifier(
        encode_text=lambda prompts: model.encode_text(tokenizer(prompts).to(device)),
        encode_image=model.encode_image,
        transform=lambda crops: torch.stack([transform(crop) for crop in crops]),
        device=device, autocast=autocast_dtype(spec.dtype, device), batch_size=spec.batch_size, name="open_clip")


def _import_open_clip() -> Any:
    try:
        import open_clip
    except ImportError as err:
        raise OpenClipMissing(
            "the 'open_clip' colour classifier needs open_clip, which is not importable here "
            f"({err}). Install the optional extra on a GPU machine: pip install 'rgbench[openclip]' "
            "(it pulls torchvision); or use --colors clip, which runs the same OpenAI ViT-L-14 weights through "
            "transformers' CLIPModel.") from err
    return open_clip


def open_clip_checkpoint(spec: BackendSpec) -> Path:
    """spec.model → a local open_clip checkpoint file (a file, or a folder/id holding one of OPEN_CLIP_FILES)."""
    from rgbench.weights import WeightsNotFound, resolve_weights

    if spec.model is None:
        raise WeightsNotFound("the 'open_clip' colour classifier loads ViT-L-14's OpenAI weights from a local file "
                              "(rgbench never lets open_clip download them). Pass the file as the model: "
                              + OPEN_CLIP_HINT)
    found = resolve_weights(spec.model, spec.weights_dir, required=())
    if found.is_file():
        return found
    for name in OPEN_CLIP_FILES:
        if (found / name).is_file():
            return found / name
    raise WeightsNotFound(f"{found} holds none of {', '.join(OPEN_CLIP_FILES)}; " + OPEN_CLIP_HINT)
