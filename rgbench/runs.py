"""The run store: `results/<run-id>/` with config, provenance, per-sample rows, raw outputs and a summary.

    with Run.open(root, run_id, cfg, kind="eval-geneval", seed=0, provenance={...}) as run:
        todo = [k for k in keys if k not in run.samples]
        for batch in batches(todo):
            run.raw("detections").append(raw_rows)
            run.samples.append(rows)
        run.write_summary(summary)

Layout: `config.yaml` (resolved config), `meta.json` (git commit and dirty flag, package versions, seed, host,
device, one entry per attempt with start/end time), `samples.jsonl` (appended per batch, flushed), `raw/*.jsonl`
(raw model outputs, re-scorable without a model), `summary.json` (atomic), `.lock` (one writer at a time).
A rerun of the same command with the same config resumes: rows whose key is present are skipped.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import os
import platform
import socket
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from rgbench.config import config_hash, dump_yaml
from rgbench.registry import did_you_mean
from rgbench.results import JsonlLog, read_json, write_atomic, write_json

DEFAULT_ROOT = Path("results")
TRACKED_PACKAGES = ("rgbench", "torch", "transformers", "numpy", "pillow", "safetensors", "pandas")


class RunError(RuntimeError):
    """A run that cannot be opened: locked by another writer, or resumed with a different config."""


def results_root(root: str | Path | None = None) -> Path:
    """`root`, else $RGBENCH_RESULTS, else ./results."""
    return Path(root or os.environ.get("RGBENCH_RESULTS") or DEFAULT_ROOT)


def default_run_id(kind: str, name: str, cfg: Any) -> str:
    """Same command + same config → same id, so a rerun resumes."""
    return f"{kind}-{Path(str(name)).stem}-{config_hash(cfg)}"


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def git_state(path: Path | None = None) -> dict[str, Any]:
    """Commit and dirty flag of the checkout rgbench runs from (None when it is not a git checkout)."""
    cwd = path or Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                                capture_output=True, text=True, timeout=10, check=True).stdout
        return {"commit": commit, "dirty": bool(status.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


@dataclass
class Run:
    """An open, locked run folder. Use `Run.open` (a context manager)."""

    dir: Path
    run_id: str
    meta: dict[str, Any]
    samples: JsonlLog
    _lock_fd: int | None = None

    @classmethod
    def open(cls, root: str | Path | None, run_id: str, cfg: Any, *, kind: str, seed: int | None,
             device: str = "cpu", provenance: dict[str, Any] | None = None,
             samples_file: str = "samples.jsonl") -> Run:
        """Create or resume `root/run_id`. Fails if another process holds it or its config differs.
        `samples_file`: the name of the per-sample rows (a benchmark's public name, e.g. GenEval's results.jsonl)."""
        run_dir = results_root(root) / run_id
        run_dir.mkdir(parents=True, exist_ok=True)
        lock_fd = _acquire_lock(run_dir)
        try:
            cfg_text = dump_yaml(cfg)
            _check_same_config(run_dir, cfg_text)
            meta = _start_meta(run_dir, run_id, kind, cfg, seed, device, provenance or {})
            meta.setdefault("samples_file", samples_file)
            if not (run_dir / "config.yaml").exists():
                write_atomic(run_dir / "config.yaml", cfg_text)
            write_json(run_dir / "meta.json", meta)
            samples = JsonlLog(run_dir / meta["samples_file"])
        except BaseException:
            os.close(lock_fd)
            raise
        return cls(run_dir, run_id, meta, samples, lock_fd)

    def raw(self, name: str, key: str = "key") -> JsonlLog:
        """The raw model outputs log `raw/<name>.jsonl` (detections, answers, similarities, ...)."""
        return JsonlLog(self.dir / "raw" / f"{name}.jsonl", key=key)

    @property
    def provenance(self) -> dict[str, Any]:
        """What every result row of this run carries: run id, seed, config hash and the caller's fields."""
        return {"run_id": self.run_id, "seed": self.meta["seed"], "config_hash": self.meta["config_hash"],
                **self.meta["provenance"]}

    def write_summary(self, summary: dict[str, Any]) -> Path:
        path = self.dir / "summary.json"
        write_json(path, {**summary, "provenance": self.provenance})
        return path

    def close(self, status: str = "complete") -> None:
        if self._lock_fd is None:
            return
        self.meta["attempts"][-1].update(ended=now(), status=status)
        self.meta["status"] = status
        write_json(self.dir / "meta.json", self.meta)
        os.close(self._lock_fd)
        self._lock_fd = None

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        status = "complete" if exc_type is None else ("interrupted" if exc_type is KeyboardInterrupt else "failed")
        self.close(status)


def _acquire_lock(run_dir: Path) -> int:
    fd = os.open(run_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
        os.close(fd)
        raise RunError(f"run {run_dir} is being written by pid {holder}; wait for it or pick another --run-id") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


def _check_same_config(run_dir: Path, cfg_text: str) -> None:
    old = run_dir / "config.yaml"
    if old.exists() and old.read_text() != cfg_text:
        raise RunError(f"run {run_dir} exists with a different config; resuming it would mix results. "
                       f"Use another --run-id, or delete the folder to start over.")


def _start_meta(run_dir: Path, run_id: str, kind: str, cfg: Any, seed: int | None, device: str,
                provenance: dict[str, Any]) -> dict[str, Any]:
    git = git_state()
    attempt = {"started": now(), "ended": None, "status": "running", "host": socket.gethostname(),
               "pid": os.getpid(), "argv": sys.argv, **git}
    path = run_dir / "meta.json"
    if path.exists():
        meta = read_json(path)
        meta["attempts"].append(attempt)
        meta["status"] = "running"
        return meta
    return {"run_id": run_id, "kind": kind, "status": "running", "created": attempt["started"],
            "seed": seed, "device": device, "config_hash": config_hash(cfg), "git": git,
            "versions": package_versions(), "provenance": provenance, "attempts": [attempt]}


@dataclass
class RunInfo:
    """What `rgbench runs list` shows about one run folder."""

    run_id: str
    kind: str
    status: str
    rows: int
    created: str
    path: Path


def run_status(run_dir: Path) -> str:
    """complete / failed / running (locked now) / interrupted (killed, lock free)."""
    meta = read_json(run_dir / "meta.json")
    if meta.get("status") != "running":
        return str(meta.get("status"))
    fd = os.open(run_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return "interrupted"
    except BlockingIOError:
        return "running"
    finally:
        os.close(fd)


def list_runs(root: str | Path | None = None) -> list[RunInfo]:
    base = results_root(root)
    infos = []
    for meta_path in sorted(base.glob("*/meta.json")):
        run_dir = meta_path.parent
        meta = read_json(meta_path)
        samples = run_dir / meta.get("samples_file", "samples.jsonl")
        rows = sum(1 for line in samples.open("rb") if line.endswith(b"\n")) if samples.exists() else 0
        infos.append(RunInfo(meta["run_id"], meta.get("kind", "?"), run_status(run_dir), rows,
                             meta.get("created", "?"), run_dir))
    return infos


def find_run(run: str, root: str | Path | None = None) -> Path:
    """A run id, a unique id prefix, or a path → the run folder."""
    path = Path(run)
    if (path / "meta.json").exists():
        return path
    ids = [info.run_id for info in list_runs(root)]
    matches = [i for i in ids if i == run] or [i for i in ids if i.startswith(run)]
    if len(matches) == 1:
        return results_root(root) / matches[0]
    if len(matches) > 1:
        raise RunError(f"'{run}' matches several runs: {', '.join(matches)}")
    raise RunError(f"no run '{run}' in {results_root(root)}{did_you_mean(run, ids)}")
