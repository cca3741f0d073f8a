"""How often rgbench's numpy port of en_core_web_sm (rgbench/t2i/spacy_port.py) gives live spaCy's noun chunks and
coarse tags, on prompts dumped by scripts/t2i_spacy_live_dump.py, and how long it takes per prompt.

    python benchmarks/t2i_spacy_port_vs_live.py /tmp/live.json

Measured (one CPU core, shared machine), live spaCy 3.6.1 vs the port, chunks / tags: the toy T2I and GenEval
prompts (465) 1.000 / 1.000; ReasonGen-R1's RL prompt files (/work/shared/data/reasongen: t2i_val + geneval_val +
the first 1,500 lines of t2i_train, 4,423; the rest of t2i_train, 5,552; geneval_train, 12,367; dpg_val, 1,065;
the first 2,000 lines of dpg_train) 1.000 / 1.000 each: 24,362 distinct prompts, 21,977 of them outside the
shipped table. 3.5–5 ms a short prompt, 8–19 ms a DPG paragraph.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rgbench.t2i.spacy_port import NumpySpacyChunker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path)
    parser.add_argument("--show", type=int, default=3, help="disagreements printed per file")
    args = parser.parse_args()
    port = NumpySpacyChunker()
    for name, parses in json.loads(args.dump.read_text(encoding="utf-8")).items():
        start = time.perf_counter()
        same_chunks = same_tags = shown = 0
        for prompt, spacy in parses.items():
            chunks, tagged = port.noun_chunks(prompt), [list(t) for t in port.tagged(prompt)]
            same_chunks += chunks == spacy["chunks"]
            same_tags += tagged == spacy["tagged"]
            if (chunks != spacy["chunks"] or tagged != spacy["tagged"]) and shown < args.show:
                print(f"  {prompt!r}\n    spacy {spacy['chunks']}\n    port  {chunks}")
                shown += 1
        ms = (time.perf_counter() - start) / len(parses) * 1000
        print(f"{name}: {len(parses)} prompts, chunks {same_chunks / len(parses):.4f}, "
              f"tags {same_tags / len(parses):.4f}, {ms:.1f} ms/prompt")


if __name__ == "__main__":
    main()
