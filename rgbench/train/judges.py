"""What GRPO needs from a reward judge (Qwen2.5-VL 3B / 7B, or the toy judges): prompt + image → verdict.

This module is a protocol only; it imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rgbench.registry import Registry


@dataclass
class Verdict:
    score: float  # the reward: 1.0 for a perfect match, else 0.0 (soft judges may return P(yes))
    text: str  # the judge's response, e.g. its reasoning ending in \boxed{1}


class Judge(Protocol):
    name: str

    def judge(self, prompts: Sequence[str], images: Sequence[Any]) -> list[Verdict]:
        """One verdict per (bare training prompt, image) pair."""
        ...


JUDGES: Registry[Any] = Registry("judge")
