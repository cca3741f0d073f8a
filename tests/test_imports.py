"""Importing rgbench, its CLI or any benchmark sub-package loads no training stack and no model."""

import subprocess

from conftest import PYTHON, REPO

HEAVY = ("torch", "transformers", "rgbench.train", "matplotlib", "pandas")


def test_light_imports(subprocess_env):
    code = (
        "import sys, rgbench, rgbench.cli, rgbench.geneval, rgbench.dpg, rgbench.t2i, rgbench.analysis, "
        "rgbench.config, rgbench.runs, rgbench.scoring, rgbench.weights, rgbench.catalog\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    out = subprocess.run([PYTHON, "-c", code], cwd=REPO, env=subprocess_env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
