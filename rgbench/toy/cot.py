"""Chain-of-thought layout plans: one short clause per object (colour, shape, size, texture, cell), in varied
phrasing and order, and a parser that reads a plan back into objects (to measure whether images follow plans)."""

from __future__ import annotations

import random
import re

from rgbench.toy.world import PALETTE, SHAPES, Obj, Scene

PLAN_VERSION = "toy-plans-v2"  # v2: one cell name, after its object, objects in reading order (v1: four names, any order)
SIZE_WORDS = {"large": ["large", "big"], "small": ["small", "tiny"]}
TEXTURE_WORDS = {"solid": ["", "plain", "solid"], "striped": ["striped"], "dotted": ["dotted", "spotted"]}
# Cell names of toy-v1 plans ("row 1 column 2", "row 1 col 2", "top midleft"): no longer written, still read, and
# kept in the toy vocabulary so the shipped checkpoints keep their token ids.
ROW_WORDS = ["top", "upper", "lower", "bottom"]
COL_WORDS = ["left", "midleft", "midright", "right"]
LEGACY_CELL_WORDS = ("row", "column", "col", *ROW_WORDS, *COL_WORDS)
PREAMBLES = ["", "", "plan :", "layout :", "grid :"]
SEPARATORS = [" ; ", " . ", " , then ", " and "]
_WORD_TO = {w: k for k, ws in {**SIZE_WORDS, **TEXTURE_WORDS}.items() for w in ws if w}


def _np(obj: Obj, rng: random.Random) -> str:
    words = [rng.choice(SIZE_WORDS[obj.size]), obj.color, rng.choice(TEXTURE_WORDS[obj.texture]), obj.shape]
    return " ".join(w for w in words if w)


def cell_name(row: int, col: int) -> str:
    """The one way plans name a cell: 'r1 c2' = first row from the top, second column from the left."""
    return f"r{row + 1} c{col + 1}"


def _clause(obj: Obj, rng: random.Random) -> str:
    """The object's words, then its cell: the cell name always closes the clause, so the tokens an image token
    looks up (the cell) come after the colour and shape they belong to."""
    np_, place = _np(obj, rng), cell_name(obj.row, obj.col)
    return rng.choice([f"{np_} at {place}", f"{np_} in {place}", f"put a {np_} at {place}", f"{np_} goes in {place}"])


def write_plan(scene: Scene, rng: random.Random) -> str:
    """A layout plan for a scene, e.g. 'plan : big red circle at r1 c2 ; put a small blue dotted square in r3 c1'.

    Wording varies around the plan's content (preamble, separators, clause frame, size and texture synonyms); the
    content does not: one name per cell, after the object it holds, and the objects in the order the image is
    drawn (reading order: rows from the top, each row from the left). Measured on toy-v1 (shared/spec/toy_world.md,
    and the plan diagnosis of 600-step SFTs from toy-base): with four names per cell and the cell sometimes first,
    images put an object in its planned cell about 0.2 of the time (chance); one name after the object, 0.43 with
    gold plans (0.15 of planned objects right in cell, colour and shape); the same in reading order, 0.59 (0.28)."""
    objs = sorted(scene.objects, key=lambda o: (o.row, o.col))
    body = rng.choice(SEPARATORS).join(_clause(o, rng) for o in objs)
    pre = rng.choice(PREAMBLES)
    return f"{pre} {body}".strip()


_CELL = re.compile(r"\br(\d) c(\d)\b|\brow (\d) col(?:umn)? (\d)\b|\b(" + "|".join(ROW_WORDS) + r") (" + "|".join(COL_WORDS) + r")\b")
CLAUSE_SPLIT = re.compile(r" ; | \. | , then | and ")


def plan_clauses(text: str) -> list[tuple[str, Obj | None]]:
    """A plan's clauses, each with the object it names (None when it names no shape, colour or cell)."""
    return [(clause, _clause_object(clause)) for clause in CLAUSE_SPLIT.split(text) if clause.strip(" .;,")]


def parse_plan(text: str) -> Scene:
    """Read a plan back into a Scene; clauses that name no shape or no cell are ignored, so a broken plan
    yields fewer objects rather than an error."""
    return Scene(tuple(obj for _, obj in plan_clauses(text) if obj is not None))


def _clause_object(clause: str) -> Obj | None:
    words = clause.split()
    shape = next((w for w in words if w in SHAPES), None)
    color = next((w for w in words if w in PALETTE), None)
    cell = _CELL.search(clause)
    if shape is None or color is None or cell is None:
        return None
    g = cell.groups()
    if g[0]:
        row, col = int(g[0]) - 1, int(g[1]) - 1
    elif g[2]:
        row, col = int(g[2]) - 1, int(g[3]) - 1
    else:
        row, col = ROW_WORDS.index(g[4]), COL_WORDS.index(g[5])
    size = next((_WORD_TO[w] for w in words if _WORD_TO.get(w) in SIZE_WORDS), "large")
    texture = next((_WORD_TO[w] for w in words if _WORD_TO.get(w) in TEXTURE_WORDS), "solid")
    return Obj(shape, color, row, col, size, texture)
