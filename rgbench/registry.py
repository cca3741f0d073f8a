"""One small registry for everything chosen by name: benchmarks, scorers, rewards, models, configs.

Entries may be objects or lazy "module:attr" paths, so registering a heavy backend imports nothing
until it is asked for.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class RegistryError(KeyError):
    """An unknown or duplicate name; the message carries a did-you-mean."""

    def __str__(self) -> str:  # KeyError quotes its message; show it plainly
        return str(self.args[0])


def did_you_mean(name: str, choices: list[str] | tuple[str, ...]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when none is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Registry(Generic[T]):
    """Name → object (or lazy "module:attr" path). `register` works as a call or a decorator."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T | str] = {}

    def register(self, name: str, obj: T | str | None = None, *, replace: bool = False) -> Callable[[T], T] | T | str:
        if obj is None:
            def decorator(target: T) -> T:
                self.register(name, target, replace=replace)
                return target
            return decorator
        if name in self._entries and not replace:
            raise RegistryError(f"{self.kind} '{name}' is already registered")
        self._entries[name] = obj
        return obj

    def get(self, name: str) -> T:
        if name not in self._entries:
            known = ", ".join(self.names()) or "none registered"
            raise RegistryError(f"unknown {self.kind} '{name}'{did_you_mean(name, self.names())}; known: {known}")
        entry = self._entries[name]
        if isinstance(entry, str):  # lazy "module:attr"
            module, _, attr = entry.partition(":")
            entry = getattr(importlib.import_module(module), attr)
            self._entries[name] = entry
        return entry  # type: ignore[return-value]

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)
