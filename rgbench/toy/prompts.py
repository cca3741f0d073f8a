"""Prompt writers: a Spec in words, in the styles the paper's SFT data mixes (GenEval-like, concise caption,
tag list, object-centric) plus DPG-like dense paragraphs and T2I-CompBench-like phrases."""

from __future__ import annotations

import random
from collections.abc import Callable

from rgbench.toy.spec import Spec, Want
from rgbench.toy.world import NUMBER_WORDS, PLURALS

STYLES: dict[str, Callable[[Spec, random.Random], str]] = {}
T2I_PHRASES = {"left of": "on the left of", "right of": "on the right of", "above": "on the top of",
               "below": "on the bottom of", "next to": "next to"}
DENSE_RELATIONS = {"left of": ["to the left of", "left of"], "right of": ["to the right of", "right of"],
                   "above": ["above"], "below": ["below", "under"], "next to": ["next to", "beside"]}


def style(name: str):
    def register(fn: Callable[[Spec, random.Random], str]) -> Callable[[Spec, random.Random], str]:
        STYLES[name] = fn
        return fn
    return register


def article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def noun_phrase(w: Want, with_article: bool = True, count_word: bool = True) -> str:
    words = [x for x in (w.size, w.color, w.texture) if x]
    noun = PLURALS[w.shape] if w.count > 1 else w.shape
    body = " ".join(words + [noun])
    if w.count > 1:
        return f"{NUMBER_WORDS[w.count]} {body}" if count_word else body
    return f"{article(body)} {body}" if with_article else body


def _objects_with_relation(spec: Spec, np: Callable[[Want], str], rel_words: dict[str, str], joiner: str) -> str:
    """'A rel B' when the spec is one relation between its two groups, else groups joined by `joiner`."""
    if len(spec.relations) == 1 and len(spec.wants) == 2:
        r = spec.relations[0]
        return f"{np(spec.wants[r.a])} {rel_words[r.rel]} {np(spec.wants[r.b])}"
    if spec.relations:
        raise ValueError("this style states at most one relation")
    parts = [np(w) for w in spec.wants]
    return parts[0] if len(parts) == 1 else joiner.join(parts[:-1]) + " and " + parts[-1]


@style("geneval")
def geneval(spec: Spec, rng: random.Random) -> str:
    """GenEval's own template: 'a photo of a red circle left of a blue square'."""
    return "a photo of " + _objects_with_relation(spec, noun_phrase, {r: r for r in T2I_PHRASES}, ", ")


@style("caption")
def caption(spec: Spec, rng: random.Random) -> str:
    """A concise caption without articles: 'red circle left of blue square', 'two circles'."""
    return _objects_with_relation(spec, lambda w: noun_phrase(w, with_article=False), {r: r for r in T2I_PHRASES}, ", ")


@style("tags")
def tags(spec: Spec, rng: random.Random) -> str:
    """Comma-joined tags (no spaces, as the paper's tag captions): 'red circle,blue square,circle left of square'."""
    items = [noun_phrase(w, with_article=False) for w in spec.wants]
    items += [f"{spec.wants[r.a].shape} {r.rel} {spec.wants[r.b].shape}" for r in spec.relations]
    return ",".join(items)


@style("objects")
def objects(spec: Spec, rng: random.Random) -> str:
    """Object-centric list 'a red circle, a blue square and a ring' (relations are not stated)."""
    parts = [noun_phrase(w) for w in spec.wants]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


@style("t2i")
def t2i(spec: Spec, rng: random.Random) -> str:
    """T2I-CompBench phrasing: 'a red circle on the left of a blue square', 'two circles and a ring'."""
    return _objects_with_relation(spec, noun_phrase, T2I_PHRASES, ", ")


@style("dense")
def dense(spec: Spec, rng: random.Random) -> str:
    """A DPG-like paragraph: one sentence per object, one per relation, a global sentence; no pronouns."""
    sentences = []
    for w in spec.wants:
        np_ = noun_phrase(w)
        verb = "are" if w.count > 1 else "is"
        sentences.append(rng.choice([f"There {verb} {np_} in the picture.", f"The image shows {np_}.",
                                     f"{np_[0].upper() + np_[1:]} {verb} drawn on the canvas."]))
    for r in spec.relations:
        a, b = spec.wants[r.a].shape, spec.wants[r.b].shape
        sentences.append(f"The {a} is {rng.choice(DENSE_RELATIONS[r.rel])} the {b}.")
    sentences.append(rng.choice(["Everything sits on a flat gray background.", "The background is flat gray."]))
    return " ".join(sentences)
