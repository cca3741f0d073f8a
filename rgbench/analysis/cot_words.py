"""The CoT word-frequency figure (the paper's Figure 5): which words appear in what share of the sampled CoTs.

    rgbench analyze cot-words gen/janus/cot.jsonl results/grpo-toy/rollouts --out analysis/cot-words

Each CoT counts a word once (document frequency). Stopwords are removed (a built-in English list, or none), then
the `drop_function_words` most common function words still present (determiners, prepositions, conjunctions,
pronouns, auxiliaries; the list is `FUNCTION_WORDS`) are dropped as well, as the paper's figure is described
(the description is unverified: no script for it exists in the release, method.md §6). Words in at least
`min_share` of the CoTs are kept, ranked by share.

Sources: `cot.jsonl` files written by `rgbench generate`, GRPO `rollouts/step_*.jsonl` files, or folders holding
either (a run folder, a rollouts folder, a generation folder). Every row needs a `cot` field; CoTs are taken in
file order, the first `limit` of them.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rgbench.results import read_jsonl, write_atomic, write_json

STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both but
by can could did do does doing down during each few for from further had has have having he her here hers herself
him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or
other our ours ourselves out over own same she should so some such than that the their theirs them themselves then
there these they this those through to too under until up very was we were what when where which while who whom
why will with would you your yours yourself yourselves then also its
""".split())
FUNCTION_WORDS = STOPWORDS | frozenset("""
onto upon within without toward towards beside besides beneath among amongst across along around behind near next
via per one two three four five six seven eight nine ten first second third shall may might must let lets
""".split())
WORD = re.compile(r"[a-z][a-z0-9'-]*")


@dataclass
class WordShare:
    word: str
    cots: int  # CoTs containing the word at least once
    share: float  # cots / all CoTs


def words_of(cot: str) -> set[str]:
    """The distinct lower-case words of one CoT (letters, digits, hyphens, apostrophes; starting with a letter)."""
    return set(WORD.findall(cot.lower()))


def word_shares(cots: Sequence[str], stopwords: Iterable[str] = STOPWORDS, drop_function_words: int = 3,
                min_share: float = 0.2) -> tuple[list[WordShare], list[str]]:
    """Words in ≥ min_share of the CoTs (ranked by share, then alphabetically) and the function words dropped."""
    if not cots:
        raise ValueError("no CoTs to count")
    counts = Counter(w for cot in cots for w in words_of(cot))
    stop = set(stopwords)
    left = {w: n for w, n in counts.items() if w not in stop}
    function = sorted((w for w in left if w in FUNCTION_WORDS), key=lambda w: (-left[w], w))[:drop_function_words]
    kept = [WordShare(w, n, n / len(cots)) for w, n in left.items() if w not in function and n / len(cots) >= min_share]
    return sorted(kept, key=lambda s: (-s.share, s.word)), function


def cot_files(sources: Sequence[str | Path]) -> list[Path]:
    """Files holding CoT rows: the given files, or inside a folder its cot.jsonl and rollouts/step_*.jsonl."""
    out: list[Path] = []
    for source in map(Path, sources):
        if source.is_file():
            out.append(source)
        elif source.is_dir():
            found = sorted(source.glob("cot.jsonl")) + sorted(source.glob("step_*.jsonl")) \
                + sorted(source.glob("rollouts/step_*.jsonl"))
            if not found:
                raise FileNotFoundError(f"{source} holds no cot.jsonl and no rollouts/step_*.jsonl")
            out += found
        else:
            raise FileNotFoundError(f"no such file or folder: {source}")
    return out


def read_cots(sources: Sequence[str | Path], limit: int | None = None) -> tuple[list[str], int]:
    """The CoT texts of every row (file order, first `limit`) and how many rows had an empty CoT (kept: an empty
    plan is a plan with no words)."""
    cots: list[str] = []
    for path in cot_files(sources):
        for k, row in enumerate(read_jsonl(path), 1):
            if "cot" not in row:
                raise ValueError(f"{path}:{k}: row has no 'cot' field")
            cots.append(str(row["cot"] or ""))
    cots = cots[:limit] if limit is not None else cots
    return cots, sum(not c.strip() for c in cots)


def write_figure(shares: Sequence[WordShare], path: Path, title: str) -> None:
    """A ranked horizontal bar chart (PNG or SVG by suffix)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 0.28 * max(len(shares), 3) + 1))
    ax.barh([s.word for s in reversed(shares)], [100 * s.share for s in reversed(shares)], color="#4c72b0")
    ax.set_xlabel("% of CoTs containing the word")
    ax.set_title(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lstrip("."), dpi=150)
    plt.close(fig)
    write_atomic(path, buf.getvalue())


def analyze(sources: Sequence[str | Path], out: Path, min_share: float = 0.2, limit: int | None = None,
            stopwords: str = "builtin", drop_function_words: int = 3) -> dict:
    """Count, then write cot_words.csv, cot_words.png / .svg and summary.json into `out`; returns the summary."""
    if stopwords not in ("builtin", "none"):
        raise ValueError(f"stopwords must be builtin or none, not {stopwords!r}")
    cots, empty = read_cots(sources, limit)
    shares, dropped = word_shares(cots, STOPWORDS if stopwords == "builtin" else (), drop_function_words, min_share)
    rows = "".join(f"{s.word},{s.cots},{s.share:.6f}\n" for s in shares)
    write_atomic(out / "cot_words.csv", "word,cots,share\n" + rows)
    title = f"Words in ≥ {min_share:.0%} of {len(cots)} CoTs"
    for suffix in ("png", "svg"):
        write_figure(shares, out / f"cot_words.{suffix}", title)
    summary = {"cots": len(cots), "empty_cots": empty, "sources": [str(p) for p in cot_files(sources)],
               "min_share": min_share, "limit": limit, "stopwords": stopwords,
               "dropped_function_words": dropped, "words": [s.__dict__ for s in shares]}
    write_json(out / "summary.json", summary)
    return summary
