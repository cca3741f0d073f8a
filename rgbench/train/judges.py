"""What GRPO needs from a reward judge (Qwen2.5-VL 3B / 7B, or the toy judges): prompt + image → verdict.

This module is a protocol only; it imports nothing heavy. The judges by name: `rgbench.train.rewards.REWARDS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Verdict:
    score: float  # the reward: 1.0 for a perfect match, else 0.0 (soft judges may return P(yes))
    text: str  # the judge's response, e.g. its reasoning ending in \boxed{1}
    parts: dict[str, float] = field(default_factory=dict)  # per reward term, when several are combined


class Judge(Protocol):
    name: str

    def judge(self, prompts: Sequence[str], images: Sequence[Any]) -> list[Verdict]:
        """One verdict per (bare training prompt, image) pair."""
        ...

