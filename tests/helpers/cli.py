"""The rgbench CLI run in-process as a plain terminal shows it: a fixed 80-column width, no colour, and the
output's whitespace normalised (`result.text`), so no assertion depends on where rich folds a line."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from rgbench.cli import app

PLAIN_TERMINAL = {"COLUMNS": "80", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None}


def invoke(args: list[str | Path | int | float], env: dict[str, str | None] | None = None, **kwargs) -> Result:
    """`rgbench ARGS` in-process; `result.text` is the output (stdout + stderr) with runs of whitespace as one
    space."""
    result = CliRunner().invoke(app, [str(a) for a in args], env={**PLAIN_TERMINAL, **(env or {})}, **kwargs)
    result.text = " ".join(result.output.split())
    return result
