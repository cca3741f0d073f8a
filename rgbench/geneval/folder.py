"""Reading GenEval's image folder as the official scorer does, but reporting what it would skip.

    <images>/<00012>/metadata.jsonl        one JSON object: the prompt's record
    <images>/<00012>/samples/<0003>.png    the images (any all-digit name)

Only all-digit subfolders are prompt folders (others are listed as ignored). Every file in `samples/` whose name
is not `<digits>.png` (a `.jpg`, a `.png.bak`, ...) becomes a failure with a reason: the official scorer skips
them silently, which shrinks its denominators without a word. A prompt folder with a missing or malformed
`metadata.jsonl` fails each of its images; one with no images fails once, under its own name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rgbench.sharding import select

IMAGE_NAME = re.compile(r"\d+\.png")


@dataclass
class Entry:
    """One thing to score: an image (with its prompt's metadata), or a failure found while scanning."""

    filename: str  # relative to the images folder, e.g. "00012/samples/0003.png"
    metadata: dict[str, Any] | None
    error: str | None = None

    @property
    def prompt_folder(self) -> str:
        return self.filename.split("/", 1)[0]


@dataclass
class Scan:
    entries: list[Entry]
    ignored: list[str]  # top-level folders that are not prompt folders


def read_metadata(folder: Path) -> tuple[dict[str, Any] | None, str | None]:
    """A prompt folder's metadata (one JSON object with tag, prompt, include), or the reason it is unusable."""
    path = folder / "metadata.jsonl"
    if not path.is_file():
        return None, "metadata.jsonl is missing"
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        return None, f"metadata.jsonl is not one JSON object: {err}"
    if not isinstance(metadata, dict):
        return None, "metadata.jsonl is not a JSON object"
    missing = [k for k in ("tag", "prompt", "include") if k not in metadata]
    if missing:
        return None, f"metadata.jsonl lacks {', '.join(missing)}"
    return metadata, None


def prompt_folders(images: Path) -> tuple[list[Path], list[str]]:
    """All-digit subfolders in numeric order, and the names of the other subfolders."""
    if not images.is_dir():
        raise FileNotFoundError(f"{images} is not a folder")
    subdirs = [p for p in images.iterdir() if p.is_dir()]
    folders = sorted((p for p in subdirs if p.name.isdigit()), key=lambda p: (int(p.name), p.name))
    ignored = sorted(p.name for p in subdirs if not p.name.isdigit() and not p.name.startswith("."))
    return folders, ignored


def scan_folder(folder: Path) -> list[Entry]:
    """One prompt folder → its image entries and failures."""
    metadata, meta_error = read_metadata(folder)
    samples = folder / "samples"
    files = sorted(p for p in samples.iterdir() if p.is_file()) if samples.is_dir() else []
    entries = []
    for path in files:
        name = f"{folder.name}/samples/{path.name}"
        if not IMAGE_NAME.fullmatch(path.name):
            what = "not a PNG" if not path.name.lower().endswith(".png") else "not named <digits>.png"
            entries.append(Entry(name, metadata, f"{what}: the official scorer reads only <digits>.png and would "
                                                 f"skip this file silently"))
        else:
            entries.append(Entry(name, metadata, meta_error))
    if not files:
        where = "samples/ is missing" if not samples.is_dir() else "samples/ is empty"
        reason = f"no images ({where})" + (f"; {meta_error}" if meta_error else "")
        entries.append(Entry(f"{folder.name}/samples/", metadata, reason))
    return entries


def scan_images(images: Path, limit: int | None = None, shard: tuple[int, int] = (0, 1)) -> Scan:
    """The entries of the first `limit` prompt folders, round-robin shard i of N by prompt folder."""
    folders, ignored = prompt_folders(images)
    if not folders:
        raise FileNotFoundError(f"{images} holds no GenEval prompt folders (<digits>/metadata.jsonl + samples/)")
    return Scan([e for f in select(folders, limit, shard) for e in scan_folder(f)], ignored)
