"""Write the built-in chunker's word → part-of-speech lexicon (rgbench/t2i/data/pos_lexicon.json) from the shipped
spaCy parses (rgbench/t2i/data/spacy_parses.json).

    python scripts/t2i_pos_lexicon.py

Only the prompts of the fit half (`phrases.lexicon_half(prompt) == "fit"`, a fixed hash of the prompt text) are
read, so benchmarks/t2i_chunker_agreement.py can measure the built-in chunker on the other half, whose words the
lexicon may not hold. Per lower-cased word: every coarse tag spaCy gave it, most frequent first (ties in tag
order), so the tagger can take the first and see which other readings a word has. Words capitalised after the
first token are left out (the tagger reads those as proper nouns). Deterministic.
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from rgbench.t2i import phrases

OUT = phrases.LEXICON_FILE


def build(parses: dict[str, dict]) -> dict[str, str]:
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for prompt, entry in parses.items():
        if phrases.lexicon_half(prompt) != "fit":
            continue
        for i, (text, pos) in enumerate(entry["tagged"]):
            if text[0].isalpha() and not (i > 0 and text[0].isupper()):
                counts[text.lower()][pos] += 1
    return {word: " ".join(sorted(c, key=lambda pos: (-c[pos], pos))) for word, c in sorted(counts.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    data = json.loads(phrases.TABLE_FILE.read_text(encoding="utf-8"))
    lexicon = build(data["parses"])
    fit = sum(phrases.lexicon_half(p) == "fit" for p in data["parses"])
    meta = {"source": phrases.TABLE_FILE.name, "tagger": f"spacy {data['meta']['spacy']}, "
            f"{data['meta']['model']} {data['meta']['model_version']}", "fit_prompts": fit, "words": len(lexicon)}
    args.out.write_text(json.dumps({"meta": meta, "words": lexicon}, ensure_ascii=False, sort_keys=True, indent=0)
                        + "\n", encoding="utf-8")
    print(f"{len(lexicon)} words from {fit} prompts → {args.out}")


if __name__ == "__main__":
    main()
