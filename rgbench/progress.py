"""Progress bars (rich, with rate and ETA) and logging; quiet when stderr is not a TTY or with --quiet."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_QUIET = False


def set_quiet(quiet: bool) -> None:
    global _QUIET
    _QUIET = quiet


def interactive() -> bool:
    """True when bars should draw: a TTY on stderr, not --quiet, not CI."""
    return not _QUIET and sys.stderr.isatty() and not os.environ.get("CI")


class Progress:
    """A rich progress bar over a known total, advanced by hand (`advance(n)`); a no-op when quiet."""

    def __init__(self, total: int, desc: str, unit: str = "it", completed: int = 0) -> None:
        self.total, self.desc, self.unit, self.completed = total, desc, unit, completed
        self._bar = None
        if interactive():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress
            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TaskProgressColumn(), TextColumn("{task.fields[rate]}"),
                                     TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                     transient=False)
            self._task = self._bar.add_task(desc, total=total, completed=completed, rate="")

    def advance(self, n: int = 1) -> None:
        self.completed += n
        if self._bar is not None:
            task = self._bar.tasks[0]
            speed = task.speed or 0.0
            self._bar.update(self._task, advance=n, rate=f"{speed:.1f} {self.unit}/s")

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def track(items: Iterable[T], total: int | None = None, desc: str = "", unit: str = "it") -> Iterator[T]:
    """Iterate with a progress bar (a plain iterator when quiet)."""
    items = list(items) if total is None and not hasattr(items, "__len__") else items
    n = total if total is not None else len(items)  # type: ignore[arg-type]
    with Progress(n, desc, unit) as bar:
        for item in items:
            yield item
            bar.advance()


def get_logger(name: str = "rgbench") -> logging.Logger:
    """The package logger: rich formatting on a TTY, plain lines otherwise; WARNING and up when quiet."""
    logger = logging.getLogger(name)
    if not logging.getLogger("rgbench").handlers:
        root = logging.getLogger("rgbench")
        if sys.stderr.isatty():
            from rich.logging import RichHandler
            handler: logging.Handler = RichHandler(show_path=False, rich_tracebacks=False)
        else:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
        root.addHandler(handler)
        root.propagate = False
    logging.getLogger("rgbench").setLevel(logging.WARNING if _QUIET else logging.INFO)
    return logger
