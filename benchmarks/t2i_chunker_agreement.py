"""How often rgbench's built-in noun chunker gives spaCy's chunks (the official tool) on T2I-CompBench's val files.

    python benchmarks/t2i_chunker_agreement.py [--model en_core_web_sm]

Needs spaCy and its English model (not installable on every machine; rgbench falls back to the built-in chunker
without them). Prints, per category, the share of prompts whose chunk lists agree exactly and whose BLIP
questions (the kept chunks, corrected mode) agree, how often the complex prompts' two objects agree (official
mode, read from each chunker's tags), and the first disagreements, so the built-in chunker can be checked and
improved wherever spaCy runs.
"""

from __future__ import annotations

import argparse

from rgbench.prompt_sets import load_prompt_set
from rgbench.t2i import phrases

CATEGORIES = ("color", "shape", "texture", "spatial", "non_spatial", "numeracy", "complex")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="en_core_web_sm")
    parser.add_argument("--show", type=int, default=5, help="disagreements printed per category")
    args = parser.parse_args()
    try:
        spacy = phrases.SpacyChunker(args.model)
    except (ImportError, OSError) as err:
        raise SystemExit(f"needs spaCy and its {args.model} model ({err}); pip install spacy, then the model wheel") from None
    builtin = phrases.BuiltinChunker()
    print(f"{spacy.name} vs builtin")
    for cat in CATEGORIES:
        prompts = [it.prompt for it in load_prompt_set(f"t2i:{cat}").items]
        same = same_questions = 0
        shown = 0
        for prompt in prompts:
            a, b = spacy.noun_chunks(prompt), builtin.noun_chunks(prompt)
            same += a == b
            qa = [a[i] for i in phrases.kept_chunks(a, "corrected")]
            qb = [b[i] for i in phrases.kept_chunks(b, "corrected")]
            same_questions += qa == qb
            if a != b and shown < args.show:
                print(f"  {cat}: {prompt!r}\n    spacy   {a}\n    builtin {b}")
                shown += 1
        print(f"{cat:12s} chunks {same / len(prompts):.3f}  questions {same_questions / len(prompts):.3f}  "
              f"({len(prompts)} prompts)")
    complex_objects_agreement(spacy, builtin, args.show)


def complex_objects_agreement(spacy: phrases.Chunker, builtin: phrases.Chunker, show: int) -> None:
    """The two objects of the complex prompts with a relation (official mode), read from each chunker's tags."""
    prompts = [it.prompt for it in load_prompt_set("t2i:complex").items if phrases.relation_2d(it.prompt)]
    same = 0
    for prompt in prompts:
        a = phrases.complex_objects(spacy.tagged(prompt), "official")
        b = phrases.complex_objects(builtin.tagged(prompt), "official")
        same += a == b
        if a != b and show > 0:
            print(f"  complex objects: {prompt!r}\n    spacy   {a}\n    builtin {b}")
            show -= 1
    print(f"complex objects {same / len(prompts):.3f}  ({len(prompts)} prompts with a relation)")


if __name__ == "__main__":
    main()
