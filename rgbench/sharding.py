"""`--limit` and `--shard i/N`, shared by every long command: the first `limit` items, then every N-th from i
(round-robin keeps shards balanced when items differ in cost along the list)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def parse_shard(text: str) -> tuple[int, int]:
    """'i/N' → (i, N) with 0 ≤ i < N."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like i/N (e.g. 0/4), got {text!r}") from None
    if not 0 <= i < n:
        raise ValueError(f"--shard {text}: need 0 ≤ i < N")
    return i, n


def select(items: Sequence[T], limit: int | None, shard: tuple[int, int]) -> list[T]:
    chosen = list(items[:limit] if limit is not None else items)
    i, n = shard
    return chosen[i::n]
