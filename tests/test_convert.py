"""Original deepseek Janus checkpoints (ReasonGen-R1's format) convert to transformers' Janus exactly."""

from __future__ import annotations

import json
import re

import pytest
import torch

from rgbench.policy.convert import ConversionError, convert_janus, rename
from rgbench.policy.generate import GenerationOptions, generate
from rgbench.policy.model import load_policy
from rgbench.policy.tiny import TinyJanus, tiny_janus_config
from rgbench.toy.text import build_text_tokenizer

# transformers name → deepseek's original name, written from the original module tree (MultiModalityCausalLM:
# language_model (LlamaForCausalLM), vision_model.vision_tower (timm ViT), aligner / gen_aligner (MlpProjector),
# gen_vision_model (VQ-16), gen_embed, gen_head (vision_head)); independent of rgbench.policy.convert's table.
TO_ORIGINAL = [
    (r"^lm_head\.", "language_model.lm_head."),
    (r"^model\.language_model\.", "language_model.model."),
    (r"^model\.vision_model\.embeddings\.position_embedding\.weight$", "vision_model.vision_tower.pos_embed"),
    (r"^model\.vision_model\.embeddings\.patch_embedding\.", "vision_model.vision_tower.patch_embed.proj."),
    (r"^model\.vision_model\.post_layernorm\.", "vision_model.vision_tower.norm."),
    (r"^model\.vision_model\.encoder\.layers\.(\d+)\.layer_norm(\d)\.", r"vision_model.vision_tower.blocks.\1.norm\2."),
    (r"^model\.vision_model\.encoder\.layers\.(\d+)\.self_attn\.projection_layer\.", r"vision_model.vision_tower.blocks.\1.attn.proj."),
    (r"^model\.vision_model\.encoder\.layers\.(\d+)\.mlp\.", r"vision_model.vision_tower.blocks.\1.mlp."),
    (r"^model\.aligner\.fc1\.", "aligner.layers.0."),
    (r"^model\.aligner\.hidden_layers\.0\.", "aligner.layers.2."),
    (r"^model\.generation_aligner\.fc1\.", "gen_aligner.layers.0."),
    (r"^model\.generation_aligner\.hidden_layers\.0\.", "gen_aligner.layers.2."),
    (r"^model\.generation_head\.proj_out\.", "gen_head.output_mlp_projector."),
    (r"^model\.generation_head\.vision_head\.", "gen_head.vision_head."),
    (r"^model\.generation_embeddings\.", "gen_embed."),
    (r"^model\.vqmodel\.", "gen_vision_model."),
    (r"\.down\.(\d+)\.", r".conv_blocks.\1."), (r"\.up\.(\d+)\.", r".conv_blocks.\1."), (r"\.block\.(\d+)\.", r".res.\1."),
    (r"\.mid\.block_1\.", ".mid.0."), (r"\.mid\.attn_1\.", ".mid.1."), (r"\.mid\.block_2\.", ".mid.2."),
]


def to_original(state):
    out = {}
    for key, tensor in state.items():
        name = key
        for pattern, repl in TO_ORIGINAL:
            name = re.sub(pattern, repl, name)
        out[name] = tensor.unsqueeze(0) if name.endswith("pos_embed") else tensor
    qkv = {}
    for name in list(out):
        m = re.match(r"^model\.vision_model\.encoder\.layers\.(\d+)\.self_attn\.([qkv])_proj\.(\w+)$", name)
        if m:
            qkv.setdefault((m[1], m[3]), {})[m[2]] = out.pop(name)
    for (layer, kind), parts in qkv.items():
        out[f"vision_model.vision_tower.blocks.{layer}.attn.qkv.{kind}"] = torch.cat([parts[c] for c in "qkv"])
    out["vision_model.vision_tower.attn_pool.latent"] = torch.zeros(1, 1, 4)  # dropped by the converter
    out["gen_vision_model.quantize.codebook_used"] = torch.zeros(4)
    return out


@pytest.fixture(scope="module")
def original_folder(tmp_path_factory):
    from safetensors.torch import save_file
    from transformers import JanusForConditionalGeneration

    tok = build_text_tokenizer()
    special = {"bos": tok.bos_token_id, "eos": tok.eos_token_id, "pad": tok.pad_token_id,
               "image_placeholder": tok.convert_tokens_to_ids("<image_placeholder>")}
    config = tiny_janus_config(len(tok), 64, special, TinyJanus(hidden=32, layers=2, heads=2, intermediate=64,
                                                                grid=4, vq_levels=3))
    config.vision_config.hidden_size = 64  # one SigLIP head of 64
    config.vision_config.num_attention_heads = 1
    torch.manual_seed(0)
    hf = JanusForConditionalGeneration(config).eval()
    folder = tmp_path_factory.mktemp("original")
    save_file(to_original({k: v.contiguous() for k, v in hf.state_dict().items()}), str(folder / "model.safetensors"))
    tok.save_pretrained(folder)
    text = config.text_config
    (folder / "config.json").write_text(json.dumps({
        "model_type": "multi_modality",
        "language_config": {"vocab_size": text.vocab_size, "hidden_size": text.hidden_size,
                            "intermediate_size": text.intermediate_size, "num_hidden_layers": text.num_hidden_layers,
                            "num_attention_heads": text.num_attention_heads, "num_key_value_heads": text.num_key_value_heads,
                            "max_position_embeddings": text.max_position_embeddings},
        "vision_config": {"cls": "CLIPVisionTower", "params": {"image_size": 64, "model_name": "siglip_large_patch16_384"}},
        "aligner_config": {"cls": "MlpProjector", "params": {"depth": 2, "n_embed": 32, "projector_type": "mlp_gelu"}},
        "gen_vision_config": {"cls": "VQ-16", "params": {"image_token_size": 64, "n_embed": 8}},
        "gen_aligner_config": {"cls": "MlpProjector", "params": {"depth": 2, "input_dim": 8, "n_embed": 32}},
        "gen_head_config": {"cls": "vision_head", "params": {"image_token_embed": 32, "image_token_size": 64, "n_embed": 32}},
    }))
    return folder, hf


def test_rename_table_covers_each_part_of_the_model():
    assert rename("language_model.model.layers.3.self_attn.o_proj.weight") == "model.language_model.layers.3.self_attn.o_proj.weight"
    assert rename("gen_aligner.layers.2.bias") == "model.generation_aligner.hidden_layers.0.bias"
    assert rename("aligner.layers.4.weight") == "model.aligner.hidden_layers.1.weight"
    assert rename("gen_vision_model.decoder.conv_blocks.2.res.1.nin_shortcut.weight") == \
        "model.vqmodel.decoder.up.2.block.1.nin_shortcut.weight"
    assert rename("gen_vision_model.encoder.mid.1.proj_out.bias") == "model.vqmodel.encoder.mid.attn_1.proj_out.bias"
    assert rename("vision_model.vision_tower.attn_pool.kv.weight") is None
    with pytest.raises(ConversionError, match="no rule"):
        rename("something_else.weight")


def test_original_checkpoint_converts_loads_and_generates_like_the_source(original_folder, tmp_path):
    folder, hf = original_folder
    out = convert_janus(folder, tmp_path / "hf")
    policy = load_policy(out, device="cpu", dtype="fp32")
    converted = policy.janus.state_dict()
    for key, tensor in hf.state_dict().items():
        assert torch.equal(converted[key], tensor), key
    assert policy.janus.config.vision_config.hidden_size == 64 and policy.janus.config.vq_config.channel_multiplier == [1, 1, 1]
    out_images = generate(policy, ["a red circle"], [(0, "p", 0)], GenerationOptions(max_cot_tokens=4))
    assert out_images.images.shape == (1, 16, 16, 3)


def test_conversion_refuses_unknown_keys(original_folder, tmp_path):
    from safetensors.torch import load_file, save_file

    folder, _ = original_folder
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        if (folder / name).exists():
            (bad / name).write_bytes((folder / name).read_bytes())
    state = load_file(str(folder / "model.safetensors"))
    state["mystery.weight"] = torch.zeros(1)
    save_file(state, str(bad / "model.safetensors"))
    with pytest.raises(ConversionError, match="mystery.weight"):
        convert_janus(bad, tmp_path / "out")


def test_convert_cli(original_folder, tmp_path):
    from tests.helpers.cli import invoke

    folder, hf = original_folder
    result = invoke(["convert-janus", str(folder), str(tmp_path / "out"), "--dtype", "bf16"])
    assert result.exit_code == 0, result.output
    policy = load_policy(tmp_path / "out", device="cpu", dtype="fp32")
    assert torch.equal(policy.janus.lm_head.weight, hf.lm_head.weight.to(torch.bfloat16).float())
    bad = invoke(["convert-janus", str(folder), str(tmp_path / "o2"), "--dtype", "fp8"])
    assert bad.exit_code == 2 and "unknown dtype 'fp8'" in bad.text
