"""Do toy images follow their own plans? The plan diagnosis behind `rgbench analyze plans`, and the gold-plan writer.

For each generated toy image with its CoT, `check_record` reads the plan back (`rgbench.toy.cot.plan_clauses`) and
the image with the toy detector, and records:

    plan_parses            every clause of the plan names an object (shape, colour, cell) and there is one
    plan_satisfies_prompt  the planned scene passes the prompt's exact check (the large judge's rule)
    image_satisfies_plan   the image is exactly the planned scene (same objects, attributes and cells)
    objects / cell / color / shape / follows
                           per planned object: is there an object in its cell, of its colour, of its shape,
                           all three (a count over the record's planned objects)
    image_satisfies_prompt the image passes the prompt's exact check (what GenEval-like scorers reward)

`summarize` pools records per tag (GenEval tag, T2I category, "dense" for DPG). Everything is a pure function of
the records, which hold the plan and what the detector saw, so a table can be recomputed without images.

Gold plans (`gold_plan`): the toy's own plan writer applied to a scene that satisfies the prompt, seeded per
(seed, prompt id, sample). Generating with them in place of sampled CoTs separates "plans are wrong" from
"plans are not followed": it is the upper bound of plan following for a model.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rgbench.policy.sampling import row_seed
from rgbench.toy.cot import plan_clauses, write_plan
from rgbench.toy.sampler import scene_for
from rgbench.toy.spec import PromptParseError, Seen, check, parse_prompt
from rgbench.toy.world import Obj, WorldConfig, object_box

RATES = ("plan_parses", "plan_satisfies_prompt", "image_satisfies_plan", "image_satisfies_prompt")
OBJECT_RATES = ("cell", "color", "shape", "follows")
COLUMNS = {"plan_parses": "plan parses", "plan_satisfies_prompt": "plan ⊨ prompt",
           "image_satisfies_plan": "image = plan", "cell": "obj: cell", "color": "obj: colour",
           "shape": "obj: shape", "follows": "obj: all three", "image_satisfies_prompt": "image ⊨ prompt"}


def gold_plan(prompt: str, key: tuple[int, str, int], world: WorldConfig | None = None) -> str:
    """A correct layout plan for a toy prompt, written by the toy's plan writer; `key` = (seed, prompt id,
    sample) seeds the scene and the wording. Raises PromptParseError for a prompt outside the toy grammar."""
    world = world or WorldConfig()
    rng = random.Random(row_seed(*key, "gold-plan"))
    return write_plan(scene_for(parse_prompt(prompt), world, rng), rng)


def gold_plans(prompts: list[str], keys: list[tuple[int, str, int]]) -> list[str]:
    """generation.PLAN_SOURCES["gold"]: a gold plan per row; ValueError names a prompt outside the toy grammar."""
    try:
        return [gold_plan(p, k) for p, k in zip(prompts, keys)]
    except PromptParseError as err:
        raise ValueError(f"gold plans exist only for toy prompts: {err}") from None


def cell_of(box: tuple[float, ...], world: WorldConfig) -> tuple[int, int]:
    """(row, col) of the cell holding a box's centre."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    last = world.cells - 1
    return min(int(cy // world.cell_px), last), min(int(cx // world.cell_px), last)


def planned_as_seen(objs: Iterable[Obj], world: WorldConfig) -> list[Seen]:
    """Planned objects as the detector would report their render."""
    return [Seen(o.shape, o.color, o.size, o.texture, tuple(float(v) for v in object_box(o, world))) for o in objs]


def seen_record(seen: Seen, world: WorldConfig) -> dict[str, Any]:
    row, col = cell_of(seen.box, world)
    return {"shape": seen.shape, "color": seen.color, "size": seen.size, "texture": seen.texture, "row": row,
            "col": col}


def check_record(prompt: str, cot: str | None, seen: list[Seen], world: WorldConfig | None = None) -> dict[str, Any]:
    """One image's plan diagnosis (see the module docstring); `seen` = what the toy detector found in it."""
    world = world or WorldConfig()
    clauses = plan_clauses(cot or "")
    plan = [obj for _, obj in clauses if obj is not None]
    image = [seen_record(s, world) for s in seen]
    try:
        spec = parse_prompt(prompt)
    except PromptParseError as err:
        spec, prompt_error = None, str(err)
    else:
        prompt_error = None
    by_cell: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for obj in image:
        by_cell[(obj["row"], obj["col"])].append(obj)
    hits = {name: 0 for name in OBJECT_RATES}
    for obj in plan:
        there = by_cell.get((obj.row, obj.col), [])
        hits["cell"] += bool(there)
        hits["color"] += any(o["color"] == obj.color for o in there)
        hits["shape"] += any(o["shape"] == obj.shape for o in there)
        hits["follows"] += any(o["color"] == obj.color and o["shape"] == obj.shape for o in there)
    planned = sorted(tuple(asdict(o).values()) for o in plan)
    drawn = sorted((o["shape"], o["color"], o["row"], o["col"], o["size"], o["texture"]) for o in image)
    return {
        "prompt": prompt, "cot": cot, "plan": [asdict(o) for o in plan], "seen": image,
        "plan_parses": bool(plan) and len(plan) == len(clauses),
        "plan_satisfies_prompt": None if spec is None else check(planned_as_seen(plan, world), spec, world.cell_px)[0],
        "image_satisfies_plan": bool(plan) and planned == drawn,
        "objects": len(plan), **hits,
        "image_satisfies_prompt": None if spec is None else check(seen, spec, world.cell_px)[0],
        "prompt_error": prompt_error,
    }


def summarize(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per tag and "all": images, the share of each RATES flag (over images whose prompt parsed, for the prompt
    checks) and each OBJECT_RATES share over planned objects."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        groups[r["tag"]].append(r)
        groups["all"].append(r)
    out = {}
    for tag in sorted(groups, key=lambda t: (t == "all", t)):
        rows = groups[tag]
        entry: dict[str, Any] = {"images": len(rows), "planned_objects": sum(r["objects"] for r in rows)}
        for name in RATES:
            known = [r[name] for r in rows if r[name] is not None]
            entry[name] = sum(known) / len(known) if known else None
        for name in OBJECT_RATES:
            entry[name] = sum(r[name] for r in rows) / entry["planned_objects"] if entry["planned_objects"] else None
        entry["unparsed_prompts"] = sum(r["prompt_error"] is not None for r in rows)
        out[tag] = entry
    return out


def markdown(summary: dict[str, dict[str, Any]], title: str) -> str:
    """One Markdown table: a row per tag, the diagnosis columns in pipeline order."""
    order = ("plan_parses", "plan_satisfies_prompt", "image_satisfies_plan", *OBJECT_RATES, "image_satisfies_prompt")
    head = "| tag | images | " + " | ".join(COLUMNS[c] for c in order) + " |"
    lines = [f"**{title}**", "", head, "|---|---:|" + "---:|" * len(order)]
    for tag, entry in summary.items():
        cells = ["–" if entry[c] is None else f"{entry[c]:.2f}" for c in order]
        lines.append(f"| {tag} | {entry['images']} | " + " | ".join(cells) + " |")
    lines += ["", "Per planned object (obj: …): the image has an object in the planned cell; that object has the "
              "planned colour / shape / both. image = plan: exactly the planned scene. ⊨: passes the exact check."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- generation folders
def tags_of(benchmark: str) -> dict[str, str]:
    """Prompt id → tag for a toy prompt set: the GenEval tag, the T2I category, or 'dense' for DPG prompts."""
    from rgbench.prompt_sets import load_prompt_set

    prompt_set = load_prompt_set(benchmark)
    return {it.key: it.record.get("tag") or it.group or "dense" for it in prompt_set.items}


def diagnose_folder(folder: Path, world: WorldConfig | None = None, batch: int = 256) -> list[dict[str, Any]]:
    """Every row of a generation folder's cot.jsonl, diagnosed (records carry key, tag, plan source, image)."""
    from rgbench.generation import COT_FILE
    from rgbench.layouts import get_layout
    from rgbench.prompt_sets import load_prompt_set
    from rgbench.results import read_jsonl
    from rgbench.toy.vision import ToyDetector, perceive

    world = world or WorldConfig()
    path = folder / COT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no {COT_FILE} in {folder}: not a folder written by `rgbench generate`")
    rows = read_jsonl(path)
    if any(r.get("cot") is None for r in rows):
        raise ValueError(f"{folder} was generated without CoTs (--no-cot): there are no plans to diagnose")
    tags: dict[str, dict[str, str]] = {}
    layouts = {name: get_layout(load_prompt_set(name).layout) for name in {r["benchmark"] for r in rows}}
    detector, out = ToyDetector(world), []
    for b in range(0, len(rows), batch):
        chunk = rows[b:b + batch]
        images = [layouts[r["benchmark"]].read(folder, r["image"]) for r in chunk]
        seen = perceive(images, world, detector=detector)
        for row, objs in zip(chunk, seen):
            bench_tags = tags.setdefault(row["benchmark"], tags_of(row["benchmark"]))
            out.append({"key": row["key"], "tag": bench_tags.get(row["prompt_id"], "?"),
                        "plans": row.get("plans", "sampled"), "image": row["image"],
                        **check_record(row["prompt"], row["cot"], objs, world)})
    return out


def write_records(path: Path, records: list[dict[str, Any]]) -> None:
    """Diagnosis records as JSONL, written atomically."""
    from rgbench.results import dumps_row, write_atomic

    write_atomic(path, "".join(dumps_row(r) + "\n" for r in records))


def write_diagnosis(folders: list[Path], out: Path, labels: list[str] | None = None) -> dict[str, Any]:
    """Diagnose each folder into out/<label>.jsonl; out/plans.md has one table per folder, out/plans.json the
    summaries. Returns {label: summary}."""
    from rgbench.results import write_atomic, write_json

    labels = labels or [f.name if f.name not in ("toy-geneval", "toy-dpg", "toy-t2i") else f"{f.parent.name}/{f.name}"
                        for f in folders]
    if len(labels) != len(folders) or len(set(labels)) != len(labels):
        raise ValueError("give one distinct --label per folder")
    summaries, text = {}, ["# Do images follow their plans?", ""]
    for folder, label in zip(folders, labels):
        records = diagnose_folder(folder)
        safe = label.replace("/", "_")
        write_records(out / f"{safe}.jsonl", records)
        summaries[label] = summarize(records)
        text.append(markdown(summaries[label], f"{label} ({folder})"))
    write_json(out / "plans.json", summaries)
    write_atomic(out / "plans.md", "\n".join(text))
    return summaries
