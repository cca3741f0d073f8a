"""GenEval-template prompts → GenEval metadata, so the official rules can judge any prompt written in GenEval's
six templates (the `geneval_rule` GRPO reward; ReasonGen-R1's RL prompts are mostly in these templates):

    [a photo of] a bench                              single_object
    [a photo of] a bench and a sports ball            two_object
    [a photo of] two clocks                           counting (include 2, exclude 3)
    [a photo of] a blue fire hydrant                  colors
    [a photo of] a dog right of a teddy bear          position (the reference object is include[0])
    [a photo of] a purple wine glass and a black apple color_attr

Class names may span several words ("sports ball"); the longest class that fits wins. Counting plurals come from
`plurals` (class → plural). A prompt in none of the templates, or with an unknown class, parses to None: the
reward then scores it 0 and says why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

COLORS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white")
NUMBERS = {"two": 2, "three": 3, "four": 4}
RELATIONS = ("left of", "right of", "above", "below")


def plural(name: str) -> str:
    """English plural of a class name's last word ("benches", "people"); GenEval's own counting prompts add an
    "s" to every name ("benchs", "persons"), and both forms are accepted."""
    head, _, last = name.rpartition(" ")
    irregular = {"person": "people", "mouse": "mice", "knife": "knives", "sheep": "sheep", "skis": "skis",
                 "scissors": "scissors", "bus": "buses", "glass": "glasses", "couch": "couches", "bench": "benches",
                 "sandwich": "sandwiches", "toothbrush": "toothbrushes", "dress": "dresses", "box": "boxes",
                 "cross": "crosses"}
    if last in irregular:
        word = irregular[last]
    elif re.search(r"[^aeiou]y$", last):
        word = last[:-1] + "ies"
    elif last.endswith(("s", "x", "ch", "sh")):
        word = last + "es"
    else:
        word = last + "s"
    return f"{head} {word}".strip()


class GenEvalPromptParser:
    def __init__(self, classes: Sequence[str], plurals: Mapping[str, str] | None = None) -> None:
        self.classes = sorted(classes, key=lambda c: -len(c))  # longest first
        self.singular_of_plural = {c + "s": c for c in classes}  # GenEval's own plurals
        self.singular_of_plural |= {(plurals or {}).get(c, plural(c)): c for c in classes}

    def object_at(self, words: list[str], i: int, plural_form: bool = False) -> tuple[str, int] | None:
        """The class starting at word i (longest match) and the index after it."""
        table = self.singular_of_plural if plural_form else {c: c for c in self.classes}
        for form in sorted(table, key=lambda f: -len(f.split())):
            n = len(form.split())
            if words[i:i + n] == form.split():
                return table[form], i + n
        return None

    def noun_phrase(self, words: list[str], i: int) -> tuple[dict[str, Any], int] | None:
        """'a/an [colour] class' at word i → ({class, count 1, [color]}, next index)."""
        if i >= len(words) or words[i] not in ("a", "an"):
            return None
        i += 1
        if i < len(words) and words[i] in COLORS:  # "an orange cat"; else "an orange" is the class itself
            found = self.object_at(words, i + 1)
            if found is not None:
                return {"class": found[0], "count": 1, "color": words[i]}, found[1]
        found = self.object_at(words, i)
        return ({"class": found[0], "count": 1}, found[1]) if found else None

    def parse(self, prompt: str) -> dict[str, Any] | None:
        """GenEval metadata ({tag, include, [exclude], prompt}) for a template prompt, else None."""
        text = prompt.strip().rstrip(".").lower()
        text = text.removeprefix("a photo of ").strip()
        words = text.split()
        full = f"a photo of {text}"
        if words and words[0] in NUMBERS:
            found = self.object_at(words, 1, plural_form=True)
            if found and found[1] == len(words):
                n = NUMBERS[words[0]]
                return {"tag": "counting", "include": [{"class": found[0], "count": n}],
                        "exclude": [{"class": found[0], "count": n + 1}], "prompt": full}
            return None
        first = self.noun_phrase(words, 0)
        if first is None:
            return None
        a, i = first
        if i == len(words):
            return {"tag": "colors" if "color" in a else "single_object", "include": [a], "prompt": full}
        rest = " ".join(words[i:])
        relation = next((r for r in RELATIONS if rest.startswith(r + " ")), None)
        joint = "and" if words[i] == "and" else relation
        if joint is None:
            return None
        second = self.noun_phrase(words, i + len(joint.split()))
        if second is None or second[1] != len(words):
            return None
        b = second[0]
        if relation:
            if "color" in a or "color" in b:
                return None
            return {"tag": "position", "include": [b, {**a, "position": [relation, 0]}], "prompt": full}
        colored = ("color" in a, "color" in b)
        if colored == (True, True):
            return {"tag": "color_attr", "include": [a, b], "prompt": full}
        return {"tag": "two_object", "include": [a, b], "prompt": full} if colored == (False, False) else None
