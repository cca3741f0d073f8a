"""Models by name: released checkpoints (resolved locally, never downloaded) and built-in toy policies.

    open_policy("janus-pro-7b")        # deepseek-community/Janus-Pro-7B from the weights dir or HF cache
    open_policy("/ckpt/my-sft")        # any policy folder
    open_policy("toy-init")            # a freshly initialised toy policy (seed 0), no files needed
    open_policy("toy-base")            # the shipped toy base model (`rgbench toy pretrain`)
    open_policy("toy-sft")             # the shipped toy CoT SFT model (`rgbench toy pretrain --stage sft`)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rgbench.registry import Registry

# name → model id in transformers' Janus format (ReasonGen-R1's own repos hold deepseek's original format:
# convert them once with `rgbench convert-janus`)
MODEL_IDS: dict[str, str] = {
    "janus-pro-1b": "deepseek-community/Janus-Pro-1B",
    "janus-pro-7b": "deepseek-community/Janus-Pro-7B",
    "reasongen-r1": "Franklin0/ReasonGen-R1",
    "reasongen-r1-sft": "Franklin0/ReasonGen-R1-SFT",
}
# name → factory(device, dtype, attn_implementation) for policies built in code
BUILT_IN: Registry[Callable] = Registry("built-in model")


@BUILT_IN.register("toy-init")
def _toy_init(device: str | None = None, dtype: str = "auto", attn_implementation: str = "sdpa"):
    """The toy policy, freshly initialised with seed 0 (the untrained floor)."""
    from rgbench.devices import resolve_device
    from rgbench.policy.model import resolve_dtype
    from rgbench.toy.policy import build_toy_policy

    dev = resolve_device(device)
    policy = build_toy_policy(seed=0, attn_implementation=attn_implementation)
    return policy.to(dev, resolve_dtype(dtype, dev))


@BUILT_IN.register("toy-base")
def _toy_base(device: str | None = None, dtype: str = "auto", attn_implementation: str = "sdpa"):
    """The shipped toy base model (prompt → image, no CoT), made by `rgbench toy pretrain`."""
    from rgbench.policy.model import load_policy
    from rgbench.toy.checkpoints import shipped_checkpoint

    return load_policy(shipped_checkpoint("base"), device=device, dtype=dtype, attn_implementation=attn_implementation)


@BUILT_IN.register("toy-sft")
def _toy_sft(device: str | None = None, dtype: str = "auto", attn_implementation: str = "sdpa"):
    """The shipped toy CoT SFT model (prompt → plan → image, from toy-base), made by `rgbench toy pretrain
    --stage sft`."""
    from rgbench.policy.model import load_policy
    from rgbench.toy.checkpoints import shipped_checkpoint

    return load_policy(shipped_checkpoint("sft"), device=device, dtype=dtype, attn_implementation=attn_implementation)


def open_policy(model: str, device: str | None = None, dtype: str = "auto", attn_implementation: str = "sdpa",
                weights_dir: str | Path | None = None):
    """A built-in name, a released model's short name, a model id or a folder → Policy (eval mode)."""
    if model in BUILT_IN:
        return BUILT_IN.get(model)(device, dtype, attn_implementation)
    from rgbench.policy.model import load_policy

    return load_policy(MODEL_IDS.get(model, model), device=device, dtype=dtype,
                       attn_implementation=attn_implementation, weights_dir=weights_dir)


def model_names() -> list[str]:
    return sorted(set(BUILT_IN.names()) | set(MODEL_IDS))
