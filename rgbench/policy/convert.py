"""deepseek's original Janus format (`MultiModalityCausalLM`, used by ReasonGen-R1's checkpoints) → transformers'
`JanusForConditionalGeneration`, once, offline:

    rgbench convert-janus /ckpt/ReasonGen-R1 /ckpt/ReasonGen-R1-hf

Weights are renamed (table below), the SigLIP `qkv` projections split into q/k/v, `pos_embed` squeezed, and the
attention-pool head of the understanding tower dropped (transformers' Janus has none). Sizes the original config
does not state (vision width/depth, VQ channels) are read off the tensors. Every source tensor must be used and
every target weight filled, or the conversion fails naming the keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import torch

VISION = "model.vision_model."
# (pattern, replacement) applied in order to each source key; None drops the tensor
RENAMES: list[tuple[str, str | Callable | None]] = [
    (r"^vision_model\.vision_tower\.attn_pool\..*", None),
    (r"^gen_vision_model\.quantize\.codebook_used$", None),
    (r"^language_model\.model\.", "model.language_model."),
    (r"^language_model\.lm_head\.", "lm_head."),
    (r"^vision_model\.vision_tower\.pos_embed$", VISION + "embeddings.position_embedding.weight"),
    (r"^vision_model\.vision_tower\.patch_embed\.proj\.", VISION + "embeddings.patch_embedding."),
    (r"^vision_model\.vision_tower\.norm\.", VISION + "post_layernorm."),
    (r"^vision_model\.vision_tower\.blocks\.(\d+)\.norm([12])\.", VISION + r"encoder.layers.\1.layer_norm\2."),
    (r"^vision_model\.vision_tower\.blocks\.(\d+)\.attn\.proj\.", VISION + r"encoder.layers.\1.self_attn.projection_layer."),
    (r"^vision_model\.vision_tower\.blocks\.(\d+)\.attn\.qkv\.", VISION + r"encoder.layers.\1.self_attn.qkv."),
    (r"^vision_model\.vision_tower\.blocks\.(\d+)\.mlp\.", VISION + r"encoder.layers.\1.mlp."),
    # MlpProjector: Sequential(Linear, GELU, Linear, GELU, ...) → fc1 + hidden_layers
    (r"^(gen_)?aligner\.layers\.(\d+)\.", lambda m: ("model.generation_aligner." if m[1] else "model.aligner.")
     + ("fc1." if m[2] == "0" else f"hidden_layers.{int(m[2]) // 2 - 1}.")),
    (r"^gen_head\.output_mlp_projector\.", "model.generation_head.proj_out."),
    (r"^gen_head\.vision_head\.", "model.generation_head.vision_head."),
    (r"^gen_embed\.", "model.generation_embeddings."),
    (r"^gen_vision_model\.", "model.vqmodel."),
]
VQ_RENAMES = [(r"\.encoder\.conv_blocks\.(\d+)\.", r".encoder.down.\1."), (r"\.decoder\.conv_blocks\.(\d+)\.", r".decoder.up.\1."),
              (r"\.res\.(\d+)\.", r".block.\1."), (r"\.mid\.0\.", ".mid.block_1."), (r"\.mid\.1\.", ".mid.attn_1."),
              (r"\.mid\.2\.", ".mid.block_2.")]
LLAMA_KEYS = ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
              "num_key_value_heads", "max_position_embeddings", "rms_norm_eps", "rope_theta", "hidden_act")
SIGLIP_HEAD_DIM = 64


class ConversionError(ValueError):
    """A checkpoint that does not convert cleanly; the message lists the offending keys."""


def rename(key: str) -> str | None:
    """One original key → its transformers name (None = dropped). Raises on a key no rule covers."""
    for pattern, repl in RENAMES:
        if re.search(pattern, key):
            if repl is None:
                return None
            new = re.sub(pattern, repl, key, count=1)
            if new.startswith("model.vqmodel."):
                for p, r in VQ_RENAMES:
                    new = re.sub(p, r, new)
            return new
    raise ConversionError(f"no rule for original key '{key}'")


def convert_state_dict(original: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    unknown = []
    for key, tensor in original.items():
        try:
            new = rename(key)
        except ConversionError:
            unknown.append(key)
            continue
        if new is None:
            continue
        if ".self_attn.qkv." in new:
            for name, part in zip(("q_proj", "k_proj", "v_proj"), tensor.chunk(3, dim=0)):
                out[new.replace(".qkv.", f".{name}.")] = part.contiguous()
        elif new.endswith("position_embedding.weight"):
            out[new] = tensor.squeeze(0)
        else:
            out[new] = tensor
    if unknown:
        raise ConversionError(f"{len(unknown)} original keys match no rule, e.g. {unknown[:5]}")
    return out


def read_state_dict(folder: Path) -> dict[str, torch.Tensor]:
    """All tensors of a checkpoint folder (safetensors or .bin, single or sharded)."""
    from safetensors.torch import load_file

    shards = sorted(folder.glob("*.safetensors"))
    if shards:
        return {k: v for shard in shards for k, v in load_file(str(shard)).items()}
    bins = sorted(folder.glob("pytorch_model*.bin"))
    if not bins:
        raise ConversionError(f"no *.safetensors or pytorch_model*.bin in {folder}")
    return {k: v for shard in bins for k, v in torch.load(shard, map_location="cpu", weights_only=True).items()}


def _count(state: dict, pattern: str) -> int:
    found = {int(m[1]) for k in state if (m := re.match(pattern, k))}
    return max(found) + 1 if found else 0


def build_config(original: dict, state: dict[str, torch.Tensor], tokenizer):
    """The JanusConfig of an original checkpoint: its config.json plus sizes read off its tensors."""
    from transformers import JanusConfig, JanusVisionConfig, JanusVQVAEConfig, LlamaConfig

    lang = original["language_config"]
    text = LlamaConfig(**{k: lang[k] for k in LLAMA_KEYS if k in lang}, bos_token_id=tokenizer.bos_token_id,
                       eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                       tie_word_embeddings=False)
    width = state["vision_model.vision_tower.pos_embed"].shape[-1]
    aligner = original["aligner_config"]["params"]
    vision = JanusVisionConfig(
        hidden_size=width, num_hidden_layers=_count(state, r"vision_model\.vision_tower\.blocks\.(\d+)\."),
        num_attention_heads=width // SIGLIP_HEAD_DIM,
        mlp_ratio=state["vision_model.vision_tower.blocks.0.mlp.fc1.weight"].shape[0] / width,
        image_size=original["vision_config"]["params"]["image_size"],
        patch_size=state["vision_model.vision_tower.patch_embed.proj.weight"].shape[-1],
        projection_dim=aligner["n_embed"], depth=aligner.get("depth", 2))
    base = state["gen_vision_model.encoder.conv_in.weight"].shape[0]
    levels = _count(state, r"gen_vision_model\.encoder\.conv_blocks\.(\d+)\.")
    mult = [state[f"gen_vision_model.encoder.conv_blocks.{i}.res.0.conv1.weight"].shape[0] // base for i in range(levels)]
    codebook = state["gen_vision_model.quantize.embedding.weight"]
    gen_aligner = original["gen_aligner_config"]["params"]
    vq = JanusVQVAEConfig(
        num_embeddings=codebook.shape[0], embed_dim=codebook.shape[1], base_channels=base, channel_multiplier=mult,
        num_res_blocks=_count(state, r"gen_vision_model\.encoder\.conv_blocks\.0\.res\.(\d+)\."),
        latent_channels=state["gen_vision_model.quant_conv.weight"].shape[1],
        projection_dim=gen_aligner["n_embed"], num_hidden_layers=gen_aligner.get("depth", 2),
        image_token_embed_dim=original["gen_head_config"]["params"]["image_token_embed"])
    return JanusConfig(text_config=text, vision_config=vision, vq_config=vq,
                       image_token_id=tokenizer.convert_tokens_to_ids("<image_placeholder>"), tie_word_embeddings=False)


def convert_janus(src: str | Path, out: str | Path, dtype: torch.dtype | None = None) -> Path:
    """Convert an original-format folder to a transformers Janus folder (weights, config, tokenizer)."""
    from transformers import AutoTokenizer, JanusForConditionalGeneration

    src, out = Path(src), Path(out)
    original = json.loads((src / "config.json").read_text())
    state = read_state_dict(src)
    tokenizer = AutoTokenizer.from_pretrained(src)
    config = build_config(original, state, tokenizer)
    converted = convert_state_dict(state)
    with torch.device("meta"):
        model = JanusForConditionalGeneration(config)
    expected = set(model.state_dict())
    missing, unexpected = sorted(expected - set(converted)), sorted(set(converted) - expected)
    if missing or unexpected:
        raise ConversionError(f"converted weights do not fit transformers' Janus: missing {missing[:5]} "
                              f"({len(missing)}), unexpected {unexpected[:5]} ({len(unexpected)})")
    model.load_state_dict(converted, strict=True, assign=True)
    if dtype is not None:
        model = model.to(dtype)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
