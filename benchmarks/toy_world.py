"""The toy world's acceptance numbers, measured in one run (python benchmarks/toy_world.py).

Prints: detector exact-scene and colour accuracy on 1,000 clean renders; rule-scorer accuracy after an
encode → decode round trip through the shipped tokenizer; each judge's agreement with the exact check on a
balanced set; the time to render + tokenize 10,000 scenes.
"""

from __future__ import annotations

import time

from rgbench.toy.quality import (
    detector_and_colour_accuracy,
    judge_agreement,
    round_trip_accuracy,
    sample_scenes,
)
from rgbench.toy.render import render_batch
from rgbench.toy.tokenizer import PatchTokenizer
from rgbench.toy.world import WorldConfig


def main() -> None:
    world = WorldConfig()
    tok = PatchTokenizer.load()
    acc = detector_and_colour_accuracy(1000, seed=11, world=world)
    print(f"detector exact-scene accuracy, 1000 clean renders: {acc['detector_exact_scene']:.4f}")
    print(f"colour classifier accuracy per object:             {acc['colour_per_object']:.4f}")
    print(f"full perception (shape, colour, size, texture, box): {acc['perception_exact_scene']:.4f}")
    print(f"rule scorer after tokenizer round trip, 1000 scenes: {round_trip_accuracy(1000, 12, world, tok):.4f}"
          f"  (codebook {tok.codebook_size}, exact={tok.meta['exact']})")
    agree = judge_agreement(500, seed=13, world=world)
    print(f"judge agreement on {1000} balanced pairs (matching share {agree['matching_share']:.3f}): "
          f"large {agree['judge_large_agreement']:.4f}, small {agree['judge_small_agreement']:.4f}")
    scenes = sample_scenes(10_000, seed=14, world=world)
    t0 = time.perf_counter()
    images = render_batch(scenes, world)
    t1 = time.perf_counter()
    tok.encode(images)
    t2 = time.perf_counter()
    print(f"render 10k scenes: {t1 - t0:.2f} s, tokenize: {t2 - t1:.2f} s, total {t2 - t0:.2f} s")


if __name__ == "__main__":
    main()
