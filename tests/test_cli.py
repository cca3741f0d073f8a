from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from conftest import PYTHON, REPO

from rgbench.runs import Run
from tests.helpers.cli import invoke


def test_help_lists_the_working_commands():
    result = invoke(["--help"])
    assert result.exit_code == 0
    for command in ("env", "runs", "config"):
        assert command in result.text


def test_env_json_reports_versions_device_backends_and_weights(monkeypatch, tmp_path):
    monkeypatch.setenv("RGBENCH_WEIGHTS", str(tmp_path))
    result = invoke(["env", "--json"])
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
    listed = invoke(["runs", "list", "--results", str(results_dir), "--json"])
    assert listed.exit_code == 0 and json.loads(listed.output)[0]["status"] == "complete"
    shown = invoke(["runs", "show", "eval-demo", "--results", str(results_dir)])
    assert shown.exit_code == 0 and '"overall": 0.5' in shown.text and "n: 2" in shown.text
    missing = invoke(["runs", "show", "nope", "--results", str(results_dir)])
    assert missing.exit_code == 2 and "no run 'nope'" in missing.text


def test_console_script_runs(subprocess_env):
    out = subprocess.run([PYTHON, "-m", "rgbench", "--version"], cwd=REPO, env=subprocess_env,
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("rgbench ")


def test_error_lines_stay_whole_in_a_narrow_pipe(subprocess_env, tmp_path):
    """An `error:` line is printed whole when stderr is a pipe, however narrow the terminal says it is: users
    grep for it and paste it into issues."""
    name = "a-run-name-long-enough-to-cross-any-narrow-terminal-width-" * 2
    env = {**subprocess_env, "COLUMNS": "30", "TERM": "xterm"}
    out = subprocess.run([PYTHON, "-m", "rgbench", "runs", "show", name, "--results", str(tmp_path)], cwd=REPO,
                         env=env, capture_output=True, text=True)
    assert out.returncode == 2
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no run ") and name in lines[0], out.stderr


def test_outputs_read_the_same_at_any_width():
    """The in-process runner's normalised text does not depend on the width rich folds at."""
    narrow = invoke(["config", "show", "toy-world", "--set", "max_object=3"], env={"COLUMNS": "24"})
    wide = invoke(["config", "show", "toy-world", "--set", "max_object=3"], env={"COLUMNS": "200"})
    assert narrow.exit_code == wide.exit_code == 2 and narrow.text == wide.text
    assert "did you mean 'max_objects'" in narrow.text
