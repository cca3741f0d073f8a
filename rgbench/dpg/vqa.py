"""What DPG-Bench (and T2I-CompBench's attribute binding) needs from a VQA model, and the built-in backends.

A backend answers batches of (image, question) pairs. `ask` returns, per pair, the answer text (what DPG's
official rule compares with "yes") and P(yes) = P(yes) / (P(yes) + P(no)) where the model exposes it (None
otherwise, e.g. ModelScope's mPLUG pipeline returns text only).

    toy      rule-based answers from the toy scene (rgbench.toy.judges.ToyVQA)
    qwen_vl  transformers Qwen2.5-VL (3B / 7B Instruct or a folder): greedy answer + next-token P(yes)
    blip     transformers BLIP VQA (Salesforce/blip-vqa-base or -capfilt-large): greedy answer + P(yes)
    blip_t2i the same weights scored as T2I-CompBench does (480 px, [ENC] first, one decoder step)
    mplug    the official model, mPLUG-large through ModelScope (optional extra; not installable here)

Only `mplug` gives official DPG-Bench numbers; every other backend is a different metric, labelled as such in
each result (benchmarks.md §2.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from rgbench.backends import BackendSpec
from rgbench.registry import Registry

# What every non-official backend is, in results and tables.
SUBSTITUTE_NOTE = "not DPG-Bench's official VQA model (mPLUG-large): a different metric"


class VQA(Protocol):
    name: str

    def ask(self, images: Sequence[Any], questions: Sequence[str]) -> list[tuple[str, float | None]]:
        """(answer text, P(yes) or None) for each (image, question) pair, batched inside."""
        ...


VQA_MODELS: Registry[Any] = Registry("VQA model")  # name → factory (BackendSpec) -> VQA
VQA_MODELS.register("toy", "rgbench.toy.judges:build_toy_vqa")
VQA_MODELS.register("qwen_vl", "rgbench.dpg.backends:build_qwen_vqa")
VQA_MODELS.register("blip", "rgbench.dpg.backends:build_blip_vqa")
VQA_MODELS.register("mplug", "rgbench.dpg.backends:build_mplug_vqa")
VQA_MODELS.register("blip_t2i", "rgbench.dpg.backends:build_blip_t2i")  # T2I-CompBench's BLIP-VQA probability
OFFICIAL_BACKENDS = ("mplug",)


def build_vqa(name: str, spec: BackendSpec | None = None) -> VQA:
    return VQA_MODELS.get(name)(spec or BackendSpec())
