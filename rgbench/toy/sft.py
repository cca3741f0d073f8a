"""Toy SFT records: each training prompt's scene (seeded), rendered and tokenized, with its CoT layout plan.

The prompt's seed fixes the scene, so a record is the same on every machine; the plan describes that scene
(one clause per object, `rgbench.toy.cot.write_plan`), which is what the CoT teaches the policy to write.
"""

from __future__ import annotations

import random

import numpy as np

from rgbench.toy.cot import write_plan
from rgbench.toy.datasets import load_train
from rgbench.toy.render import render_batch
from rgbench.toy.sampler import scene_for
from rgbench.toy.spec import Spec
from rgbench.toy.tokenizer import PatchTokenizer
from rgbench.toy.world import WorldConfig
from rgbench.train.sft_data import SFTRecord


def toy_sft_records(limit: int | None = None, world: WorldConfig | None = None, variants: int = 1) -> list[SFTRecord]:
    """The first `limit` toy training prompts (all 5,000 by default) as SFT records with cached codes; with
    `variants` > 1 each prompt gets that many different scenes (and plans), against memorising one image."""
    world = world or WorldConfig()
    rows = [(r, v) for r in load_train()[:limit] for v in range(variants)]
    scenes = [scene_for(Spec.from_json(r["spec"]), world, random.Random(_seed(r, v))) for r, v in rows]
    codes = PatchTokenizer.load().encode(np.asarray(render_batch(scenes, world)))  # [n, 64]
    return [SFTRecord(r["id"] if v == 0 else f"{r['id']}~{v}", r["prompt"],
                      write_plan(scene, random.Random(_seed(r, v) + 1)), c.tolist())
            for (r, v), scene, c in zip(rows, scenes, codes)]


def _seed(row: dict, variant: int) -> int:
    """Variant 0 keeps the prompt's own seed (the scene the shipped data describes)."""
    return row["seed"] if variant == 0 else row["seed"] + 7919 * variant
