"""Per-task bar charts: one group of bars per table column (GenEval task, DPG-Bench category, T2I-CompBench
category), one bar per method, the error bar = the sample std over seeds (none for one seed). Quoted rows are
hatched so they are never read as measured.

    rgbench tables spec.yaml --out tables/        # writes <spec>-bars.png / .svg beside the tables
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from rgbench.analysis.tables import COLUMNS, Row
from rgbench.results import write_atomic


def plotted_columns(kind: str, rows: Sequence[Row]) -> list[tuple[str, str]]:
    """The table's columns that at least one row has a value for, in the paper's order."""
    return [(key, name) for key, name in COLUMNS[kind] if any(r.mean(key) is not None for r in rows)]


def plot_bars(kind: str, rows: Sequence[Row], path: Path, title: str = "") -> None:
    """Grouped bars, PNG or SVG by the path's suffix, written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = plotted_columns(kind, rows)
    if not cols or not rows:
        raise ValueError(f"nothing to plot: no {kind} values in {len(rows)} rows")
    width = 0.8 / len(rows)
    fig, ax = plt.subplots(figsize=(min(12.0, max(6.0, len(cols) * (0.9 + 0.12 * len(rows)))), 3.6))
    for k, row in enumerate(rows):
        xs = [i - 0.4 + width * (k + 0.5) for i in range(len(cols))]
        means = [row.mean(key) or 0.0 for key, _ in cols]
        errs = [row.std(key) or 0.0 for key, _ in cols]
        label = row.label + (" (quoted)" if row.quoted else "")
        ax.bar(xs, means, width, yerr=errs if any(errs) else None, capsize=2, color=f"C{k % 10}", label=label,
               hatch="//" if row.quoted else None, edgecolor="black" if row.quoted else None, linewidth=0.4)
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels([name for _, name in cols], fontsize=8, rotation=20 if len(cols) > 6 else 0)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lstrip("."), dpi=150)
    plt.close(fig)
    write_atomic(path, buf.getvalue())


def write_bars(stem: Path, kind: str, rows: Sequence[Row], title: str = "") -> str:
    """<stem>.png and <stem>.svg; returns the PNG."""
    for suffix in ("png", "svg"):
        plot_bars(kind, rows, Path(f"{stem}.{suffix}"), title)
    return f"{stem}.png"
