"""What a toy prompt asks for (`Spec`), a parser from prompt text in every shipped style, and the exact check
of a perceived scene against a spec (the "large" judge's rule).

A spec is a list of wanted object groups (shape, exact count, optional colour / size / texture), each shape at
most once, plus binary relations between single objects. Prompt writers and this parser are inverse: every
shipped prompt parses back to the spec it was written from (a test checks this).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from rgbench.geneval.position import relations as geneval_relations
from rgbench.toy.world import NUMBER_WORDS, PALETTE, PLURALS, SHAPES, SIZES, TEXTURES

RELATIONS = ("left of", "right of", "above", "below", "next to")
INVERSE = {"left of": "right of", "right of": "left of", "above": "below", "below": "above", "next to": "next to"}
# surface phrase → relation, longest phrases first so "on the left of" wins over "left of"
RELATION_PHRASES: dict[tuple[str, ...], str] = dict(sorted({
    ("left", "of"): "left of", ("to", "the", "left", "of"): "left of", ("on", "the", "left", "of"): "left of",
    ("right", "of"): "right of", ("to", "the", "right", "of"): "right of", ("on", "the", "right", "of"): "right of",
    ("above",): "above", ("on", "the", "top", "of"): "above", ("on", "top", "of"): "above",
    ("below",): "below", ("under",): "below", ("on", "the", "bottom", "of"): "below",
    ("next", "to"): "next to", ("near",): "next to", ("on", "side", "of"): "next to", ("beside",): "next to",
}.items(), key=lambda kv: -len(kv[0])))
COUNT_WORDS = {"a": 1, "an": 1, **{w: i for i, w in enumerate(NUMBER_WORDS) if i > 0}}
SINGULAR = {**{s: s for s in SHAPES}, **{p: s for s, p in PLURALS.items()}}


class PromptParseError(ValueError):
    """A prompt outside the toy grammar."""


@dataclass(frozen=True)
class Want:
    shape: str
    count: int = 1
    color: str | None = None
    size: str | None = None
    texture: str | None = None


@dataclass(frozen=True)
class Relation:
    a: int  # index into Spec.wants
    rel: str  # one of RELATIONS: wants[a] <rel> wants[b]
    b: int


@dataclass(frozen=True)
class Spec:
    wants: tuple[Want, ...]
    relations: tuple[Relation, ...] = ()

    def key(self) -> str:
        """Canonical content key: equal for specs that ask for the same thing in any order or direction."""
        wants = sorted(f"{w.count}:{w.shape}:{w.color}:{w.size}:{w.texture}" for w in self.wants)
        rels = []
        for r in self.relations:
            a, b, rel = self.wants[r.a].shape, self.wants[r.b].shape, r.rel
            if rel in ("right of", "below") or (rel == "next to" and a > b):
                a, b, rel = b, a, INVERSE[rel]
            rels.append(f"{a}|{rel}|{b}")
        return ";".join(wants) + "#" + ";".join(sorted(rels))

    def to_json(self) -> dict[str, Any]:
        return {"wants": [{k: v for k, v in asdict(w).items() if v is not None} for w in self.wants],
                "relations": [[r.a, r.rel, r.b] for r in self.relations]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Spec:
        return cls(tuple(Want(**w) for w in data["wants"]), tuple(Relation(a, rel, b) for a, rel, b in data.get("relations", [])))


@dataclass(frozen=True)
class Seen:
    """One perceived object: what the detector and attribute classifiers report."""

    shape: str
    color: str
    size: str
    texture: str
    box: tuple[float, float, float, float]
    score: float = 1.0


def tokenize(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def parse_prompt(text: str) -> Spec:
    """Prompt text (any shipped style) → Spec. Words outside the grammar ("a photo of", "background") are skipped."""
    words = tokenize(text)
    wants: list[Want] = []
    rels: list[Relation] = []
    last: int | None = None
    pending: tuple[int, str] | None = None
    i = 0
    while i < len(words):
        rel, n = _match_relation(words, i)
        if rel is not None:
            if last is None:
                raise PromptParseError(f"relation '{rel}' with no object before it: {text!r}")
            pending, i = (last, rel), i + n
            continue
        phrase = _match_object(words, i)
        if phrase is None:
            i += 1
            continue
        (det, attrs, shape, plural), n = phrase
        idx = _place(wants, det, attrs, shape, plural, text)
        if pending is not None:
            if pending[0] == idx:
                raise PromptParseError(f"an object related to itself: {text!r}")
            rels.append(Relation(pending[0], pending[1], idx))
            pending = None
        last, i = idx, i + n
    if pending is not None:
        raise PromptParseError(f"relation '{pending[1]}' with no object after it: {text!r}")
    if not wants:
        raise PromptParseError(f"no toy object in prompt: {text!r}")
    return Spec(tuple(wants), tuple(dict.fromkeys(rels)))


def _match_relation(words: list[str], i: int) -> tuple[str | None, int]:
    for phrase, rel in RELATION_PHRASES.items():
        if tuple(words[i:i + len(phrase)]) == phrase:
            return rel, len(phrase)
    return None, 0


def _match_object(words: list[str], i: int):
    j = i
    det = None
    if j < len(words) and (words[j] in COUNT_WORDS or words[j] == "the"):
        det, j = words[j], j + 1
    attrs: dict[str, str] = {}
    while j < len(words):
        w = words[j]
        slot = "color" if w in PALETTE else "size" if w in SIZES else "texture" if w in TEXTURES else None
        if slot is None:
            break
        attrs[slot], j = w, j + 1
    if j < len(words) and words[j] in SINGULAR:
        return (det, attrs, SINGULAR[words[j]], words[j] != SINGULAR[words[j]]), j + 1 - i
    return None


def _place(wants: list[Want], det: str | None, attrs: dict[str, str], shape: str, plural: bool, text: str) -> int:
    """Add a new wanted group, or resolve a reference ("the circle", or a bare repeat) to an existing one."""
    existing = next((k for k, w in enumerate(wants) if w.shape == shape), None)
    is_reference = det == "the" or (det is None and existing is not None)
    if is_reference:
        if existing is None:
            raise PromptParseError(f"'the {shape}' refers to no earlier {shape}: {text!r}")
        for key, value in attrs.items():
            old = getattr(wants[existing], key)
            if old is not None and old != value:
                raise PromptParseError(f"the {shape} is both {old} and {value}: {text!r}")
        wants[existing] = replace(wants[existing], **attrs)
        return existing
    if existing is not None:
        raise PromptParseError(f"'{shape}' is introduced twice: {text!r}")
    count = COUNT_WORDS[det] if det is not None else 1
    if plural != (count > 1):
        raise PromptParseError(f"number and noun disagree ('{det} {shape}'): {text!r}")
    wants.append(Want(shape, count, attrs.get("color"), attrs.get("size"), attrs.get("texture")))
    return len(wants) - 1


def holds(rel: str, box_a: tuple[float, ...], box_b: tuple[float, ...], cell_px: int) -> bool:
    """Does `A rel B` hold? Directions use GenEval's rule; "next to" means neighbouring cells (diagonals too)."""
    if rel == "next to":
        ax, ay = (box_a[0] + box_a[2]) / 2, (box_a[1] + box_a[3]) / 2
        bx, by = (box_b[0] + box_b[2]) / 2, (box_b[1] + box_b[3]) / 2
        return max(abs(ax - bx), abs(ay - by)) <= 1.5 * cell_px
    return rel in geneval_relations(box_a, box_b)


def check(seen: list[Seen], spec: Spec, cell_px: int, *, attributes: tuple[str, ...] = ("color", "size", "texture"),
          use_relations: bool = True, exact_counts: bool = True) -> tuple[bool, str]:
    """Does a perceived scene match a spec? Returns (ok, reason). Default = the exact, strict rule."""
    wanted = {w.shape for w in spec.wants}
    extra = sorted({o.shape for o in seen if o.shape not in wanted})
    if extra and exact_counts:
        return False, f"unrequested objects: {', '.join(extra)}"
    groups: list[list[Seen]] = []
    for w in spec.wants:
        objs = [o for o in seen if o.shape == w.shape]
        if (len(objs) != w.count) if exact_counts else (len(objs) < w.count):
            return False, f"expected {w.count} {w.shape}, found {len(objs)}"
        for attr in attributes:
            want_value = getattr(w, attr)
            if want_value is not None and any(getattr(o, attr) != want_value for o in objs[:w.count]):
                return False, f"expected {want_value} {w.shape}, found {[getattr(o, attr) for o in objs]}"
        groups.append(objs)
    if use_relations:
        for r in spec.relations:
            a, b = groups[r.a][0], groups[r.b][0]
            if not holds(r.rel, a.box, b.box, cell_px):
                return False, f"{a.shape} is not {r.rel} {b.shape}"
    return True, ""
