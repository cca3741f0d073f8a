"""Result files: atomic JSON/text writes and append-only JSONL logs that survive a kill.

A `JsonlLog` is keyed: every row has a key field, a row whose key is already present is never written
twice, and a torn last line left by a killed writer is cut off when the log is opened again. Per-sample
JSONL is the source of truth; summaries and tables are derived from it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


def write_atomic(path: str | Path, text: str | bytes) -> None:
    """Write text (or bytes) to `path` via a temp file in the same folder + fsync + rename: readers never see
    half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _file_mode())  # mkstemp makes 0600; results are meant to be read by others
        with os.fdopen(fd, "wb" if isinstance(text, bytes) else "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_json(path: str | Path, obj: Any) -> None:
    write_atomic(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item"):  # numpy / torch scalars
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps_row(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, default=_json_default)


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """All complete rows of a JSONL file (a torn last line, from a killed writer, is ignored)."""
    return list(iter_jsonl(path))


def iter_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    path = Path(path)
    if not path.exists():
        return
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, 1):
            if not raw.endswith(b"\n"):
                return  # torn tail: the writer died mid-line
            if raw.strip():
                try:
                    yield json.loads(raw)
                except json.JSONDecodeError as err:
                    raise ValueError(f"{path}:{lineno}: bad JSON line: {err}") from None


def repair_tail(path: Path) -> int:
    """Cut a torn last line (no trailing newline) off a JSONL file; returns the bytes removed."""
    if not path.exists():
        return 0
    size = path.stat().st_size
    if size == 0:
        return 0
    with path.open("rb+") as f:
        f.seek(-1, os.SEEK_END)
        if f.read(1) == b"\n":
            return 0
        # walk back to the last newline
        pos, chunk = size, 4096
        keep = 0
        while pos > 0:
            start = max(0, pos - chunk)
            f.seek(start)
            block = f.read(pos - start)
            idx = block.rfind(b"\n")
            if idx >= 0:
                keep = start + idx + 1
                break
            pos = start
        f.truncate(keep)
        return size - keep


class JsonlLog:
    """An append-only keyed JSONL file: resume = skip keys already present; never a duplicate row."""

    def __init__(self, path: str | Path, key: str = "key") -> None:
        self.path = Path(path)
        self.key = key
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.repaired_bytes = repair_tail(self.path)
        self._keys: set[str] = {str(row[key]) for row in iter_jsonl(self.path) if key in row}

    def __contains__(self, key: object) -> bool:
        return str(key) in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(self._keys)

    def append(self, rows: Iterable[dict[str, Any]]) -> int:
        """Append rows not yet present, flush and fsync; returns how many were written."""
        lines = []
        for row in rows:
            if self.key not in row:
                raise KeyError(f"{self.path.name}: row has no '{self.key}' field: {row}")
            k = str(row[self.key])
            if k in self._keys:
                continue
            self._keys.add(k)
            lines.append(dumps_row(row) + "\n")
        if lines:
            with self.path.open("a", encoding="utf-8") as f:
                f.write("".join(lines))
                f.flush()
                os.fsync(f.fileno())
        return len(lines)

    def rows(self) -> list[dict[str, Any]]:
        return read_jsonl(self.path)
