"""What DPG-Bench (and T2I-CompBench's attribute binding) needs from a VQA model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from rgbench.registry import Registry


class VQA(Protocol):
    name: str

    def p_yes(self, images: Sequence[Any], questions: Sequence[str]) -> list[float]:
        """P(yes) / (P(yes) + P(no)) for each (image, question) pair."""
        ...

    def answer(self, images: Sequence[Any], questions: Sequence[str]) -> list[str]:
        """Free-text answer for each (image, question) pair (DPG's official rule compares it with 'yes')."""
        ...


VQA_MODELS: Registry[Any] = Registry("VQA model")
