"""The policy: transformers' Janus (LLaMA LM + text head, generation embedding → aligner, generation head)
with its text tokenizer, image tokenizer and prompt format, loaded and saved as one folder.

A policy folder is a Hugging Face Janus checkpoint (`config.json`, weights, tokenizer files) plus, when rgbench
wrote it, `rgbench_policy.json` (the PolicySpec) and optional extras (`rgbench_extra.safetensors`,
`image_tokenizer/`). A plain Janus-Pro checkpoint (e.g. `deepseek-community/Janus-Pro-7B`) loads with the
default spec: Janus's VQ tokenizer and ReasonGen-R1's prompt format.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from rgbench.devices import resolve_device
from rgbench.policy.image_tokenizers import IMAGE_TOKENIZERS
from rgbench.policy.templates import PromptFormat

SPEC_FILE = "rgbench_policy.json"
EXTRA_FILE = "rgbench_extra.safetensors"
ORIGINAL_FORMAT_TYPES = ("multi_modality",)  # deepseek's own Janus format (ReasonGen-R1 checkpoints)


class PolicyLoadError(ValueError):
    """A folder that is not a loadable policy; the message says what to do."""


@dataclass
class PolicySpec:
    """What rgbench needs beyond the Janus checkpoint itself."""

    image_tokenizer: str = "janus-vq"  # IMAGE_TOKENIZERS name
    prompt: PromptFormat = field(default_factory=PromptFormat)  # prompt wrapping
    grid_position_embedding: bool = False  # add a learned per-cell embedding to image-token inputs (toy models)
    boi_token: str = "<begin_of_image>"
    eoi_token: str = "<end_of_image>"
    name: str = ""  # model id for provenance (set on load when empty)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> PolicySpec:
        data = dict(data)
        data["prompt"] = PromptFormat(**data.get("prompt", {}))
        return cls(**data)


@dataclass(frozen=True)
class SpecialIds:
    bos: int
    eos: int
    pad: int
    boi: int  # <begin_of_image>
    eoi: int  # <end_of_image>


class Policy(nn.Module):
    """Janus for CoT → image generation: text and image embeddings in, text and image logits out."""

    def __init__(self, janus, tokenizer, image_tokenizer, spec: PolicySpec) -> None:
        super().__init__()
        self.janus = janus
        self.tokenizer = tokenizer
        self.image_tokenizer = image_tokenizer
        self.spec = spec
        self.ids = special_ids(tokenizer, spec)
        rows, cols = image_tokenizer.grid
        self.n_image_tokens = rows * cols
        hidden = janus.config.text_config.hidden_size
        self.grid_pos = nn.Embedding(self.n_image_tokens, hidden) if spec.grid_position_embedding else None
        self._cache_kw = _cache_kwarg(janus.model.language_model)

    # ------------------------------------------------------------------ pieces
    @property
    def device(self) -> torch.device:
        return self.janus.lm_head.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.janus.lm_head.weight.dtype

    def embed_text(self, ids: torch.Tensor) -> torch.Tensor:
        """[B, L] token ids → [B, L, D]."""
        return self.janus.get_input_embeddings()(ids)

    def embed_image(self, codes: torch.Tensor, cells: torch.Tensor) -> torch.Tensor:
        """[B, L] image codes at grid cells [L] (or [B, L]) → [B, L, D] (gen_embed → aligner, + cell embedding)."""
        emb = self.janus.prepare_embeddings_for_image_generation(codes)  # [B, L, D]
        if self.grid_pos is not None:
            emb = emb + self.grid_pos(cells)
        return emb

    def backbone(self, embeds: torch.Tensor, attention_mask: torch.Tensor, positions: torch.Tensor,
                 cache=None, use_cache: bool = False):
        """The LLaMA stack: [B, L, D] → ([B, L, D] hidden states, cache)."""
        out = self.janus.model.language_model(inputs_embeds=embeds, attention_mask=attention_mask,
                                              position_ids=positions, use_cache=use_cache,
                                              **{self._cache_kw: cache})
        return out.last_hidden_state, getattr(out, self._cache_kw, None)

    def text_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """[..., D] → [..., V_text] (lm_head)."""
        return self.janus.lm_head(hidden)

    def image_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """[..., D] → [..., V_image] (generation head)."""
        return self.janus.model.generation_head(hidden)

    def encode_text(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def decode_text(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True).strip()

    # ------------------------------------------------------------------ files
    def save(self, folder: str | Path) -> Path:
        """Write a policy folder that `load_policy` (and transformers, for the Janus part) can read."""
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.janus.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)
        if self.grid_pos is not None:
            save_file({"grid_pos.weight": self.grid_pos.weight.detach().cpu().contiguous()}, str(folder / EXTRA_FILE))
        save_image_tokenizer = getattr(self.image_tokenizer, "save", None)
        if save_image_tokenizer is not None and self.spec.image_tokenizer != "janus-vq":
            save_image_tokenizer(folder / "image_tokenizer")
        (folder / SPEC_FILE).write_text(json.dumps(self.spec.to_json(), indent=2) + "\n")
        return folder


def special_ids(tokenizer, spec: PolicySpec) -> SpecialIds:
    boi = tokenizer.convert_tokens_to_ids(spec.boi_token)
    eoi = tokenizer.convert_tokens_to_ids(spec.eoi_token)
    missing = [name for name, value in (("bos", tokenizer.bos_token_id), ("eos", tokenizer.eos_token_id),
                                        ("pad", tokenizer.pad_token_id), (spec.boi_token, boi)) if value is None]
    if missing or boi == tokenizer.unk_token_id:
        raise PolicyLoadError(f"the text tokenizer lacks special tokens: {missing or [spec.boi_token]}")
    return SpecialIds(tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id, boi, eoi)


def _cache_kwarg(language_model) -> str:
    """transformers renamed `past_key_values` to `cache`; use whichever this version takes."""
    params = inspect.signature(language_model.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


DTYPES = {"fp32": torch.float32, "float32": torch.float32, "bf16": torch.bfloat16, "bfloat16": torch.bfloat16,
          "fp16": torch.float16, "float16": torch.float16}


def resolve_dtype(dtype: str | torch.dtype, device: torch.device) -> torch.dtype:
    """'auto' → bf16 on GPU, fp32 on CPU (bf16 matmuls are ~10× slower on CPU)."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype '{dtype}'; choose auto, {', '.join(DTYPES)}")
    return DTYPES[dtype]


def load_policy(model: str | Path, device: str | torch.device | None = None, dtype: str | torch.dtype = "auto",
                attn_implementation: str = "sdpa", weights_dir: str | Path | None = None) -> Policy:
    """A policy folder or model id → Policy in eval mode (never downloads; see rgbench.weights)."""
    from transformers import AutoTokenizer, JanusForConditionalGeneration
    from transformers.utils import logging as hf_logging

    from rgbench.weights import offline, resolve_weights

    offline()
    hf_logging.disable_progress_bar()
    folder = resolve_weights(model, weights_dir)
    _refuse_original_format(folder, str(model))
    dev = resolve_device(device)
    spec_path = folder / SPEC_FILE
    spec = PolicySpec.from_json(json.loads(spec_path.read_text())) if spec_path.is_file() else PolicySpec()
    spec.name = spec.name or str(model)
    janus = JanusForConditionalGeneration.from_pretrained(folder, dtype=resolve_dtype(dtype, dev),
                                                          attn_implementation=attn_implementation)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    image_tokenizer = IMAGE_TOKENIZERS.get(spec.image_tokenizer)(folder, janus)
    policy = Policy(janus, tokenizer, image_tokenizer, spec)
    if policy.grid_pos is not None:
        from safetensors.torch import load_file

        policy.grid_pos.load_state_dict({"weight": load_file(str(folder / EXTRA_FILE))["grid_pos.weight"]})
    return policy.to(dev, resolve_dtype(dtype, dev)).eval()


def _refuse_original_format(folder: Path, model: str) -> None:
    config = json.loads((folder / "config.json").read_text())
    if config.get("model_type") in ORIGINAL_FORMAT_TYPES:
        raise PolicyLoadError(
            f"{model} is in deepseek's original Janus format ({config['model_type']}), not transformers' Janus. "
            f"Convert it once with: rgbench convert-janus {folder} OUT_DIR, then pass OUT_DIR as the model.")
