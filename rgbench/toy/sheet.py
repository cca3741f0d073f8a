"""Contact sheets: rendered scenes with their prompt and CoT plan underneath (`rgbench toy show`)."""

from __future__ import annotations

import random
import textwrap

import numpy as np
from PIL import Image, ImageDraw

from rgbench.toy.cot import write_plan
from rgbench.toy.prompts import STYLES
from rgbench.toy.render import render
from rgbench.toy.sampler import random_spec, scene_for
from rgbench.toy.world import Scene, WorldConfig

SHEET_TASKS = ("single_object", "two_object", "counting", "colors", "position", "color_attr", "dense",
               "shape", "texture", "spatial", "numeracy", "complex")


def upscale(image: np.ndarray, scale: int) -> Image.Image:
    return Image.fromarray(image).resize((image.shape[1] * scale, image.shape[0] * scale), Image.NEAREST)


def sample_examples(n: int, seed: int, world: WorldConfig) -> list[tuple[str, str, Scene]]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        task = SHEET_TASKS[k % len(SHEET_TASKS)]
        spec = random_spec(task, world, rng)
        style = "dense" if task == "dense" else "t2i" if spec.relations and task not in ("position",) else "geneval"
        scene = scene_for(spec, world, rng)
        out.append((f"[{task}] {STYLES[style](spec, rng)}", write_plan(scene, rng), scene))
    return out


def contact_sheet(examples: list[tuple[str, str, Scene]], world: WorldConfig, cols: int = 4, scale: int = 4) -> Image.Image:
    """A grid of cards: image on top, prompt and CoT wrapped below."""
    side = world.canvas * scale
    card_w, text_h = max(side, 300), 170
    rows = (len(examples) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * card_w, rows * (side + text_h)), "white")
    draw = ImageDraw.Draw(sheet)
    for k, (prompt, plan, scene) in enumerate(examples):
        x, y = (k % cols) * card_w, (k // cols) * (side + text_h)
        sheet.paste(upscale(render(scene, world), scale), (x + (card_w - side) // 2, y))
        prompt_lines, plan_lines = textwrap.wrap(prompt, 48)[:5], textwrap.wrap("CoT: " + plan, 48)[:6]
        for j, line in enumerate(prompt_lines + plan_lines):
            colour = (0, 0, 0) if j < len(prompt_lines) else (20, 70, 160)
            draw.text((x + 6, y + side + 4 + 14 * j), line, fill=colour)
    return sheet
