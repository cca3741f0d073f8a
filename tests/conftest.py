from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    """A private run store root."""
    root = tmp_path / "results"
    root.mkdir()
    return root


@pytest.fixture
def subprocess_env() -> dict[str, str]:
    """Environment for child Python processes that import rgbench from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("CI", None)
    return env


PYTHON = sys.executable
