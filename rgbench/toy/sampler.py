"""Seeded sampling: random specs per task, and scenes that satisfy a spec."""

from __future__ import annotations

import random

from rgbench.toy.spec import RELATIONS, Relation, Spec, Want, holds
from rgbench.toy.world import Obj, Scene, WorldConfig, object_box

DIRECTIONS = ("left of", "right of", "above", "below")


def scene_for(spec: Spec, world: WorldConfig, rng: random.Random, max_tries: int = 500) -> Scene:
    """A scene satisfying `spec`: unspecified colours are random, sizes default to large, textures to solid."""
    protos = []
    for k, w in enumerate(spec.wants):
        for _ in range(w.count):
            protos.append((k, Obj(w.shape, w.color or rng.choice(world.colors), 0, 0,
                                  w.size or "large", w.texture or "solid")))
    cells = [(r, c) for r in range(world.cells) for c in range(world.cells)]
    for _ in range(max_tries):
        placed = [Obj(o.shape, o.color, r, c, o.size, o.texture) for (_, o), (r, c) in zip(protos, rng.sample(cells, len(protos)))]
        first = {}
        for (k, _), obj in zip(protos, placed):
            first.setdefault(k, obj)
        if all(holds(rel.rel, object_box(first[rel.a], world), object_box(first[rel.b], world), world.cell_px)
               for rel in spec.relations):
            return Scene(tuple(placed))
    raise ValueError(f"no placement satisfies {spec}")


def random_spec(task: str, world: WorldConfig, rng: random.Random) -> Spec:
    """A random spec of one task: the six GenEval tags, 'dense' (DPG-like), or a T2I category."""
    shapes, colors = world.shapes, world.colors
    if task == "single_object":
        return Spec((Want(rng.choice(shapes)),))
    if task == "two_object":
        a, b = rng.sample(shapes, 2)
        return Spec((Want(a), Want(b)))
    if task in ("counting",):
        return Spec((Want(rng.choice(shapes), rng.randint(2, world.max_objects)),))
    if task == "colors":
        return Spec((Want(rng.choice(shapes), color=rng.choice(colors)),))
    if task in ("position", "spatial"):
        a, b = rng.sample(shapes, 2)
        rels = DIRECTIONS if task == "position" else RELATIONS
        return Spec((Want(a), Want(b)), (Relation(0, rng.choice(rels), 1),))
    if task in ("color_attr", "color"):
        (a, b), (ca, cb) = rng.sample(shapes, 2), rng.sample(colors, 2)
        return Spec((Want(a, color=ca), Want(b, color=cb)))
    if task == "shape":  # the toy's "shape" attribute category binds sizes
        (a, b), (sa, sb) = rng.sample(shapes, 2), rng.sample(list(world.sizes), 2)
        return Spec((Want(a, size=sa), Want(b, size=sb)))
    if task == "texture":
        (a, b), (ta, tb) = rng.sample(shapes, 2), rng.sample(world.textures, 2)
        return Spec((Want(a, texture=ta), Want(b, texture=tb)))
    if task == "numeracy":
        n_groups = rng.choice([1, 2])
        picked = rng.sample(shapes, n_groups)
        budget = world.max_objects
        wants = []
        for k, s in enumerate(picked):
            count = rng.randint(1, budget - (n_groups - 1 - k))
            budget -= count
            wants.append(Want(s, count))
        return Spec(tuple(wants))
    if task == "complex":  # attribute binding + one spatial relation
        (a, b), (ca, cb) = rng.sample(shapes, 2), rng.sample(colors, 2)
        tex = rng.choice(world.textures)
        return Spec((Want(a, color=ca), Want(b, color=cb, texture=tex)), (Relation(0, rng.choice(RELATIONS), 1),))
    if task == "dense":
        return _dense_spec(world, rng)
    raise ValueError(f"unknown task '{task}'")


def _dense_spec(world: WorldConfig, rng: random.Random) -> Spec:
    n = rng.randint(2, 3)
    shapes = rng.sample(world.shapes, n)
    wants = []
    budget = world.max_objects - n
    for s in shapes:
        count = 1
        if budget > 0 and rng.random() < 0.2:
            count, budget = 2, budget - 1
        wants.append(Want(s, count, rng.choice(world.colors),
                          rng.choice(list(world.sizes)) if rng.random() < 0.6 else None,
                          rng.choice(world.textures) if rng.random() < 0.5 else None))
    singles = [k for k, w in enumerate(wants) if w.count == 1]
    rels = []
    if len(singles) >= 2:
        for _ in range(rng.randint(1, min(2, len(singles) - 1))):
            a, b = rng.sample(singles, 2)
            rel = Relation(a, rng.choice(RELATIONS), b)
            if all({x.a, x.b} != {a, b} for x in rels):
                rels.append(rel)
    return Spec(tuple(wants), tuple(rels))
