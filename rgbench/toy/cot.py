"""Chain-of-thought layout plans: one short clause per object (colour, shape, size, texture, cell), in varied
phrasing and order, and a parser that reads a plan back into objects (to measure whether images follow plans)."""

from __future__ import annotations

import random
import re

from rgbench.toy.world import PALETTE, SHAPES, Obj, Scene

SIZE_WORDS = {"large": ["large", "big"], "small": ["small", "tiny"]}
TEXTURE_WORDS = {"solid": ["", "plain", "solid"], "striped": ["striped"], "dotted": ["dotted", "spotted"]}
ROW_WORDS = ["top", "upper", "lower", "bottom"]
COL_WORDS = ["left", "midleft", "midright", "right"]
PREAMBLES = ["", "", "plan :", "layout :", "grid :"]
SEPARATORS = [" ; ", " . ", " , then ", " and "]
_WORD_TO = {w: k for k, ws in {**SIZE_WORDS, **TEXTURE_WORDS}.items() for w in ws if w}


def _np(obj: Obj, rng: random.Random) -> str:
    words = [rng.choice(SIZE_WORDS[obj.size]), obj.color, rng.choice(TEXTURE_WORDS[obj.texture]), obj.shape]
    return " ".join(w for w in words if w)


def _place(obj: Obj, rng: random.Random) -> tuple[str, str]:
    r, c = obj.row + 1, obj.col + 1
    return rng.choice([(f"r{r} c{c}", "at"), (f"row {r} column {c}", "in"), (f"row {r} col {c}", "at"),
                       (f"{ROW_WORDS[obj.row]} {COL_WORDS[obj.col]}", "at")])


def _clause(obj: Obj, rng: random.Random) -> str:
    np_, (place, prep) = _np(obj, rng), _place(obj, rng)
    return rng.choice([f"{np_} {prep} {place}", f"{place} : {np_}", f"put a {np_} {prep} {place}",
                       f"{np_} goes {prep} {place}"])


def write_plan(scene: Scene, rng: random.Random) -> str:
    """A layout plan for a scene, e.g. 'plan : big red circle at r1 c2 ; r3 c1 : small blue dotted square'."""
    objs = list(scene.objects)
    order = rng.choice(["reading", "shuffled", "shape"])
    if order == "reading":
        objs.sort(key=lambda o: (o.row, o.col))
    elif order == "shuffled":
        rng.shuffle(objs)
    else:
        objs.sort(key=lambda o: (o.shape, o.row, o.col))
    body = rng.choice(SEPARATORS).join(_clause(o, rng) for o in objs)
    pre = rng.choice(PREAMBLES)
    return f"{pre} {body}".strip()


_CELL = re.compile(r"\br(\d) c(\d)\b|\brow (\d) col(?:umn)? (\d)\b|\b(" + "|".join(ROW_WORDS) + r") (" + "|".join(COL_WORDS) + r")\b")


def parse_plan(text: str) -> Scene:
    """Read a plan back into a Scene; clauses that name no shape or no cell are ignored, so a broken plan
    yields fewer objects rather than an error."""
    objs = []
    for clause in re.split(r" ; | \. | , then | and ", text):
        words = clause.split()
        shape = next((w for w in words if w in SHAPES), None)
        color = next((w for w in words if w in PALETTE), None)
        cell = _CELL.search(clause)
        if shape is None or color is None or cell is None:
            continue
        g = cell.groups()
        if g[0]:
            row, col = int(g[0]) - 1, int(g[1]) - 1
        elif g[2]:
            row, col = int(g[2]) - 1, int(g[3]) - 1
        else:
            row, col = ROW_WORDS.index(g[4]), COL_WORDS.index(g[5])
        size = next((_WORD_TO[w] for w in words if _WORD_TO.get(w) in SIZE_WORDS), "large")
        texture = next((_WORD_TO[w] for w in words if _WORD_TO.get(w) in TEXTURE_WORDS), "solid")
        objs.append(Obj(shape, color, row, col, size, texture))
    return Scene(tuple(objs))
