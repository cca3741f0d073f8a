"""Where the CLI writes: results on stdout, warnings and errors on stderr.

Messages on stderr are never hard-wrapped (rich's `soft_wrap`): a terminal folds a long line on screen, but a
pipe, a log file or a CI transcript gets each `error:` / `warning:` line whole, so it can be grepped and pasted
into an issue whatever the terminal's width.
"""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `error: message` on stderr (one line per line of the message) and exit with `code`."""
    err_console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def warn(message: str, label: str = "warning") -> None:
    """Print `warning: message` on stderr; the message is plain text (no rich markup)."""
    from rich.markup import escape

    err_console.print(f"[yellow]{label}:[/yellow] {escape(message)}", highlight=False)
