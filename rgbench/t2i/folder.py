"""T2I-CompBench's image folders: `<images>/<category>/samples/<prompt>_<NNNNNN>.png` (benchmarks.md §3.2).

The prompt is the file name before the first "_", the index the part after the last "_". Every file is reported:
an image whose name does not parse, whose prompt is not in the category's val file, or that is not a PNG is a
failure with its reason (the official loaders would crash on some and silently score others).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

NAME = re.compile(r"^(?P<prompt>[^_]+)_(?:.*_)?(?P<index>\d+)\.(?P<ext>[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class Entry:
    filename: str  # relative to the images root: "<category>/samples/<prompt>_<NNNNNN>.png"
    category: str
    prompt: str
    index: int
    error: str | None = None


def category_dir(images: Path, category: str) -> Path:
    """`<images>/<category>/samples`, or `<images>/samples` when `images` is itself a category folder."""
    nested = images / category / "samples"
    return nested if nested.is_dir() or not (images / "samples").is_dir() else images / "samples"


def scan_category(images: Path, category: str, prompts: list[str]) -> list[Entry]:
    """Every file of one category, in index order, with a failure reason where it cannot be scored."""
    folder = category_dir(images, category)
    if not folder.is_dir():
        return [Entry(f"{category}/samples", category, "", -1, f"no folder {folder}")]
    known = set(prompts)
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return sort_entries([parse_entry(p.relative_to(images).as_posix(), category, known) for p in files])


def parse_entry(filename: str, category: str, known: set[str]) -> Entry:
    """A file name (relative to the images root) → its entry, with a reason when it cannot be scored."""
    m = NAME.match(filename.rsplit("/", 1)[-1])
    if m is None:
        return Entry(filename, category, "", -1, "file name is not <prompt>_<index>.png")
    prompt, index = m["prompt"], int(m["index"])
    error = None
    if m["ext"].lower() != "png":
        error = f"not a PNG (.{m['ext']}); T2I-CompBench folders hold PNGs"
    elif prompt not in known:
        error = f"prompt not in {category}_val.txt: {prompt!r}"
    return Entry(filename, category, prompt, index, error)


def sort_entries(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.index, e.filename))
