"""Measurements of the toy world's instruments (printed by benchmarks/toy_world.py, asserted by tests):
detector and colour accuracy on clean renders, accuracy after a tokenizer round trip, judge agreement."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np

from rgbench.toy.judges import ToyJudge
from rgbench.toy.prompts import STYLES
from rgbench.toy.render import render_batch
from rgbench.toy.sampler import random_spec, scene_for
from rgbench.toy.spec import INVERSE, Relation, Seen, Spec, check
from rgbench.toy.tokenizer import FIT_TASKS, PatchTokenizer
from rgbench.toy.vision import ToyColorClassifier, ToyDetector, perceive
from rgbench.toy.world import Scene, WorldConfig, object_box


def sample_scenes(n: int, seed: int, world: WorldConfig) -> list[Scene]:
    rng = random.Random(seed)
    return [scene_for(random_spec(rng.choice(FIT_TASKS), world, rng), world, rng) for _ in range(n)]


def truth(scene: Scene, world: WorldConfig) -> list[Seen]:
    """The scene's objects as a perfect perceiver would report them."""
    return [Seen(o.shape, o.color, o.size, o.texture, tuple(map(float, object_box(o, world)))) for o in scene.objects]


def _key(objs: list[Seen]) -> list[tuple]:
    return sorted((o.shape, o.color, o.size, o.texture, tuple(o.box)) for o in objs)


def scene_accuracy(images: np.ndarray, scenes: list[Scene], world: WorldConfig) -> float:
    """Share of images whose perceived objects (shape, colour, size, texture, box) equal the scene exactly."""
    return float(np.mean([_key(p) == _key(truth(s, world)) for p, s in zip(perceive(images, world), scenes)]))


def detector_and_colour_accuracy(n: int, seed: int, world: WorldConfig) -> dict[str, float]:
    scenes = sample_scenes(n, seed, world)
    images = render_batch(scenes, world)
    detector, colours = ToyDetector(world), ToyColorClassifier()
    det_ok, col_ok, col_n = [], 0, 0
    for img, scene, dets in zip(images, scenes, detector.detect(images)):
        want = sorted((o.shape, object_box(o, world)) for o in scene.objects)
        got = sorted((d.label, tuple(int(v) for v in d.box)) for d in dets)
        det_ok.append(want == got)
        by_box = {tuple(int(v) for v in d.box): c for d, c in zip(dets, colours.classify([(img, d) for d in dets]))}
        for o in scene.objects:
            col_n += 1
            col_ok += by_box.get(object_box(o, world)) == o.color
    return {"detector_exact_scene": float(np.mean(det_ok)), "colour_per_object": col_ok / col_n,
            "perception_exact_scene": scene_accuracy(images, scenes, world)}


def round_trip_accuracy(n: int, seed: int, world: WorldConfig, tokenizer: PatchTokenizer) -> float:
    scenes = sample_scenes(n, seed, world)
    decoded = tokenizer.decode(tokenizer.encode(render_batch(scenes, world)))
    return scene_accuracy(decoded, scenes, world)


def _perturb(spec: Spec, world: WorldConfig, rng: random.Random) -> Spec:
    """The same spec with one thing changed: a shape, a colour, a count, a size, a texture or a relation."""
    k = rng.randrange(len(spec.wants))
    w = spec.wants[k]
    options = ["shape", "count"] + [a for a in ("color", "size", "texture") if getattr(w, a)] + (["relation"] if spec.relations else [])
    what = rng.choice(options)
    if what == "relation":
        r = spec.relations[0]
        return replace(spec, relations=(Relation(r.a, INVERSE[r.rel] if r.rel != "next to" else "left of", r.b),) + spec.relations[1:])
    if what == "shape":
        free = [s for s in world.shapes if s not in {x.shape for x in spec.wants}]
        new = replace(w, shape=rng.choice(free))
    elif what == "count":
        new = replace(w, count=w.count + 1 if w.count < 2 else w.count - 1)
        if spec.relations and new.count > 1:
            return replace(spec, wants=spec.wants[:k] + (replace(w, shape=rng.choice([s for s in world.shapes if s != w.shape and s not in {x.shape for x in spec.wants}])),) + spec.wants[k + 1:])
    else:
        values = {"color": world.colors, "size": list(world.sizes), "texture": world.textures}[what]
        new = replace(w, **{what: rng.choice([v for v in values if v != getattr(w, what)])})
    return replace(spec, wants=spec.wants[:k] + (new,) + spec.wants[k + 1:])


def judge_agreement(n_pairs: int, seed: int, world: WorldConfig) -> dict[str, float]:
    """Balanced set: for each prompt one scene made from it and one from a one-change perturbation; each
    judge's agreement with the exact check of the true scene against the prompt."""
    rng = random.Random(seed)
    prompts, scenes, truths = [], [], []
    tasks = ("two_object", "counting", "colors", "position", "color_attr", "dense", "shape", "texture", "spatial", "complex")
    while len(prompts) < 2 * n_pairs:
        spec = random_spec(rng.choice(tasks), world, rng)
        style = "dense" if len(spec.relations) > 1 or (spec.relations and len(spec.wants) != 2) else "t2i"
        text = STYLES[style](spec, rng)
        try:
            wrong = scene_for(_perturb(spec, world, rng), world, rng)
        except ValueError:
            continue
        for scene in (scene_for(spec, world, rng), wrong):
            prompts.append(text)
            scenes.append(scene)
            truths.append(check(truth(scene, world), spec, world.cell_px)[0])
    images = render_batch(scenes, world)
    out = {"matching_share": float(np.mean(truths))}
    for size in ("large", "small"):
        verdicts = ToyJudge(size, world).judge(prompts, images)
        out[f"judge_{size}_agreement"] = float(np.mean([(v.score == 1.0) == t for v, t in zip(verdicts, truths)]))
    return out
