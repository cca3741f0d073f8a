"""A static HTML report of a reproduction: its tables, figures, and a gallery of generated images with their
prompt, CoT and the evaluator's verdict. One self-contained folder (`report/index.html` + the images it shows),
readable offline and safe to publish: every text is HTML-escaped.

    rgbench report results/reproduce-toy          # → results/reproduce-toy/report/index.html
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rgbench.results import read_json, read_jsonl, write_atomic

STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}figure{display:inline-block;margin:6px;width:200px;vertical-align:top}
figure img{width:192px;image-rendering:pixelated;border:1px solid #999}figcaption{font-size:12px}
.ok{color:#1a7f37}.bad{color:#b42318}img.fig{max-width:100%}"""


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def table_html(title: str, rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table's cells → an HTML table (first row = header)."""
    head, *body = rows
    out = [f"<h3>{esc(title)}</h3><table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in head) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in body]
    return "\n".join(out) + "</table>"


def markdown_cells(text: str) -> tuple[str, list[list[str]]]:
    """A table written by rgbench.analysis.tables.markdown → (title, rows of cells)."""
    title, rows = "", []
    for line in text.splitlines():
        if line.startswith("**") and line.endswith("**"):
            title = line.strip("*")
        elif line.startswith("|") and not set(line) <= set("|-: "):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return title, rows


def gallery(geneval_run: Path, images_dir: Path, out: Path, label: str, limit: int) -> str:
    """The first `limit` GenEval images of one model with prompt, CoT and verdict; the images are copied."""
    results = read_jsonl(geneval_run / "results.jsonl")[:limit]
    cots = {r["image"]: r.get("cot") for r in read_jsonl(images_dir / "cot.jsonl")}
    cards = []
    for row in results:
        src = images_dir / row["filename"]
        if not src.is_file():
            continue
        name = f"{label}-{row['filename'].replace('/', '_')}"
        (out / "img").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, out / "img" / name)
        verdict = "correct" if row["correct"] else f"wrong: {row['reason']}"
        cot = cots.get(row["filename"])
        cards.append(f'<figure><img src="img/{esc(name)}" alt="{esc(row["prompt"])}"><figcaption>'
                     f'<b>{esc(row["prompt"])}</b><br><i>{esc(cot) if cot else "(no CoT)"}</i><br>'
                     f'<span class="{"ok" if row["correct"] else "bad"}">{esc(verdict)}</span></figcaption></figure>')
    return f"<h3>{esc(label)}</h3>" + "".join(cards)


def write_report(root: Path, gallery_limit: int = 12) -> Path:
    """root = a reproduction folder (summary.json, tables/, curves/, cot-words/, gen/, runs/) → root/report/."""
    summary = read_json(root / "summary.json")
    out = root / "report"
    out.mkdir(parents=True, exist_ok=True)
    parts = [f"<h1>rgbench reproduction: {esc(root.name)}</h1>",
             "<p>Every number below was measured by the code in this repository; see summary.json for the runs.</p>",
             "<h2>Tables</h2>"]
    for bench, path in summary.get("tables", {}).items():
        title, rows = markdown_cells(Path(path).read_text())
        if rows:
            parts.append(table_html(title or bench, rows))
    parts.append("<h2>Figures</h2>")
    default = [root / "curves" / "entropy.png", root / "cot-words" / "cot_words.png"]
    for fig in [Path(f) for f in summary.get("figures", default)]:
        if fig.is_file():
            shutil.copyfile(fig, out / fig.name)
            parts.append(f'<p><img class="fig" src="{esc(fig.name)}" alt="{esc(fig.stem)}"></p>')
    parts.append("<h2>Gallery (toy GenEval)</h2>")
    parts += galleries(summary.get("evaluations", {}), root, out, gallery_limit)
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>rgbench report</title>"
            f"<style>{STYLE}</style></head><body>" + "\n".join(parts) + "</body></html>\n")
    write_atomic(out / "index.html", page)
    return out / "index.html"


def galleries(evaluations: Mapping[str, Mapping[str, Sequence[str]]], root: Path, out: Path, limit: int) -> list[str]:
    parts = []
    for label, by_bench in evaluations.items():
        for bench, runs in by_bench.items():
            if not bench.endswith("geneval") or not runs:
                continue
            seed = Path(runs[0]).name.rsplit("-s", 1)[-1]
            images = root / "gen" / f"{label}-s{seed}" / bench
            if images.is_dir():
                parts.append(gallery(Path(runs[0]), images, out, label, limit))
    return parts
