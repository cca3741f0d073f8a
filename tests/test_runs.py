from __future__ import annotations

import json
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import PYTHON, REPO

from rgbench.runs import Run, RunError, default_run_id, find_run, list_runs, run_status


@dataclass
class Cfg:
    steps: int = 3


def test_open_writes_config_meta_and_resumes(results_dir: Path):
    with Run.open(results_dir, "r1", Cfg(), kind="demo", seed=7, provenance={"model": "m"}) as run:
        run.samples.append([{"key": "a", "v": 1}])
        run.write_summary({"score": 0.5})
    run_dir = results_dir / "r1"
    assert yaml.safe_load((run_dir / "config.yaml").read_text()) == {"steps": 3}
    meta = json.loads((run_dir / "meta.json").read_text())
    assert meta["seed"] == 7 and meta["status"] == "complete" and meta["provenance"] == {"model": "m"}
    assert {"python", "torch", "rgbench"} <= set(meta["versions"]) and "commit" in meta["git"]
    assert meta["attempts"][0]["ended"] is not None and meta["device"] == "cpu"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["score"] == 0.5 and summary["provenance"]["seed"] == 7 and summary["provenance"]["model"] == "m"

    with Run.open(results_dir, "r1", Cfg(), kind="demo", seed=7) as run:
        assert "a" in run.samples
        assert run.samples.append([{"key": "a", "v": 2}, {"key": "b", "v": 3}]) == 1
    meta = json.loads((run_dir / "meta.json").read_text())
    assert len(meta["attempts"]) == 2 and meta["created"] == meta["attempts"][0]["started"]
    assert [r["key"] for r in run.samples.rows()] == ["a", "b"]


def test_resume_with_another_config_is_refused(results_dir: Path):
    with Run.open(results_dir, "r1", Cfg(), kind="demo", seed=0):
        pass
    with pytest.raises(RunError, match="different config"):
        Run.open(results_dir, "r1", Cfg(steps=4), kind="demo", seed=0)


def test_second_writer_is_locked_out(results_dir: Path):
    with Run.open(results_dir, "r1", Cfg(), kind="demo", seed=0):
        assert run_status(results_dir / "r1") == "running"
        with pytest.raises(RunError, match="being written by pid"):
            Run.open(results_dir, "r1", Cfg(), kind="demo", seed=0)
    assert run_status(results_dir / "r1") == "complete"


def test_failure_is_recorded(results_dir: Path):
    with pytest.raises(ZeroDivisionError), Run.open(results_dir, "r1", Cfg(), kind="demo", seed=0):
        1 / 0
    assert run_status(results_dir / "r1") == "failed"


def test_default_run_id_follows_the_config():
    assert default_run_id("sft", "configs/toy.yaml", Cfg()) == default_run_id("sft", "toy", Cfg())
    assert default_run_id("sft", "toy", Cfg()) != default_run_id("sft", "toy", Cfg(steps=9))


def test_list_and_find(results_dir: Path):
    for rid in ("eval-a-1", "eval-b-2"):
        with Run.open(results_dir, rid, Cfg(), kind="demo", seed=0) as run:
            run.samples.append([{"key": "x"}])
    infos = list_runs(results_dir)
    assert [(i.run_id, i.status, i.rows) for i in infos] == [("eval-a-1", "complete", 1), ("eval-b-2", "complete", 1)]
    assert find_run("eval-b", results_dir) == results_dir / "eval-b-2"
    with pytest.raises(RunError, match="several runs"):
        find_run("eval-", results_dir)
    with pytest.raises(RunError, match="did you mean 'eval-a-1'"):
        find_run("eval-a-9", results_dir)


def _writer(root: Path, delay: float, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([PYTHON, "-m", "tests.helpers.writer", str(root), str(delay)], cwd=REPO, env=env)


def _rows(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def test_sigkill_mid_run_then_rerun_equals_an_uninterrupted_run(tmp_path: Path, subprocess_env):
    clean_root, killed_root = tmp_path / "clean", tmp_path / "killed"
    assert _writer(clean_root, 0.0, subprocess_env).wait(timeout=120) == 0

    proc = _writer(killed_root, 0.05, subprocess_env)
    samples = killed_root / "squares" / "samples.jsonl"
    deadline = time.monotonic() + 60
    while _rows(samples) < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    partial = _rows(samples)
    assert 20 <= partial < 120, "the writer must be killed mid-run"
    assert run_status(killed_root / "squares") == "interrupted"
    assert not (killed_root / "squares" / "summary.json").exists()

    assert _writer(killed_root, 0.0, subprocess_env).wait(timeout=120) == 0
    for name in ("samples.jsonl", "raw/outputs.jsonl"):
        assert (killed_root / "squares" / name).read_bytes() == (clean_root / "squares" / name).read_bytes()
    meta = json.loads((killed_root / "squares" / "meta.json").read_text())
    assert [a["status"] for a in meta["attempts"]] == ["running", "complete"]  # the killed attempt never closed
    summary = json.loads((killed_root / "squares" / "summary.json").read_text())
    assert summary["rows"] == 120
