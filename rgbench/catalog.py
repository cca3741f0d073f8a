"""Every built-in name and where it lives, registered lazily ("module:attr" strings import nothing).

Adding a benchmark, backend or config kind = one line here plus its module.
"""

from __future__ import annotations

from rgbench.config import CONFIG_SCHEMAS

# config kind → root dataclass
_CONFIG_KINDS: dict[str, str] = {
    "toy-world": "rgbench.toy.world:WorldConfig",
    "sft": "rgbench.train.sft_run:SFTConfig",
    "grpo": "rgbench.train.grpo_run:GRPOConfig",
    "reproduce": "rgbench.reproduce:ReproduceConfig",
}

_loaded = False


def load_catalog() -> None:
    """Register the built-ins once (idempotent)."""
    global _loaded
    if _loaded:
        return
    for kind, target in _CONFIG_KINDS.items():
        if kind not in CONFIG_SCHEMAS:
            CONFIG_SCHEMAS.register(kind, target)
    _loaded = True
