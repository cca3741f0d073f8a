from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from conftest import PYTHON, REPO
from typer.testing import CliRunner

from rgbench.cli import app
from rgbench.runs import Run

runner = CliRunner()


def test_help_lists_the_working_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("env", "runs", "config"):
        assert command in result.output


def test_env_json_reports_versions_device_backends_and_weights(monkeypatch, tmp_path):
    monkeypatch.setenv("RGBENCH_WEIGHTS", str(tmp_path))
    result = runner.invoke(app, ["env", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["versions"]["torch"] and info["device"]["default_device"] in ("cpu", "cuda")
    assert info["optional_backends"]["open_clip"]["status"] in ("ok", "missing") or \
        info["optional_backends"]["open_clip"]["status"].startswith("broken")
    assert info["weights"]["weights_dir"] == str(tmp_path)


@dataclass
class Cfg:
    n: int = 2


def test_runs_list_and_show(results_dir: Path):
    with Run.open(results_dir, "eval-demo-1", Cfg(), kind="eval", seed=3) as run:
        run.samples.append([{"key": "a"}])
        run.write_summary({"overall": 0.5})
    listed = runner.invoke(app, ["runs", "list", "--results", str(results_dir), "--json"])
    assert listed.exit_code == 0 and json.loads(listed.output)[0]["status"] == "complete"
    shown = runner.invoke(app, ["runs", "show", "eval-demo", "--results", str(results_dir)])
    assert shown.exit_code == 0 and '"overall": 0.5' in shown.output and "n: 2" in shown.output
    missing = runner.invoke(app, ["runs", "show", "nope", "--results", str(results_dir)])
    assert missing.exit_code == 2 and "no run 'nope'" in missing.output


def test_console_script_runs(subprocess_env):
    out = subprocess.run([PYTHON, "-m", "rgbench", "--version"], cwd=REPO, env=subprocess_env,
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("rgbench ")
