"""Benchmark prompt sets by name, each with its version and the official image layout it is written in.

    load_prompt_set("geneval")          # 553 GenEval prompts (package data)
    load_prompt_set("t2i:color")        # one T2I-CompBench val category; "t2i" = all seven
    load_prompt_set("toy-dpg")          # the toy world's counterpart of DPG-Bench
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rgbench.registry import Registry
from rgbench.toy.world import DATA_VERSION as TOY_DATA_VERSION
from rgbench.toy.world import T2I_CATEGORIES as TOY_T2I_CATEGORIES

PACKAGE = Path(__file__).parent
T2I_CATEGORIES = ("color", "shape", "texture", "spatial", "non_spatial", "numeracy", "complex")
GENEVAL_VERSION = "geneval-af4902f"
DPG_VERSION = "dpg-ella-3c228f1"
T2I_VERSION = "t2i-compbench-1b70949"


@dataclass(frozen=True)
class PromptItem:
    key: str  # stable id: GenEval "00012", DPG item_id, T2I "color/0004"
    index: int  # position in its source file (or category file)
    prompt: str
    group: str = ""  # T2I category
    record: dict = field(default_factory=dict, hash=False, compare=False)  # GenEval metadata record


@dataclass
class PromptSet:
    name: str
    version: str
    layout: str  # LAYOUTS name
    items: list[PromptItem]


# base name → loader(argument after ":" or None) → PromptSet
PROMPT_SETS: Registry[Callable[[str | None], PromptSet]] = Registry("prompt set")


def normalize_prompt(text: str) -> str:
    """The form prompts are compared in for leakage: lowercase, single spaces, no leading 'a photo of', no
    trailing period."""
    t = " ".join(text.lower().split()).rstrip(".")
    return t[len("a photo of "):] if t.startswith("a photo of ") else t


def load_prompt_set(spec: str) -> PromptSet:
    """'name' or 'name:argument' → PromptSet."""
    name, _, arg = spec.partition(":")
    return PROMPT_SETS.get(name)(arg or None)


def _no_argument(name: str, arg: str | None) -> None:
    if arg:
        raise ValueError(f"prompt set '{name}' takes no ':{arg}' part")


def geneval_items(path: Path) -> list[PromptItem]:
    items = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        record = json.loads(line)
        items.append(PromptItem(f"{i:05d}", i, record["prompt"], record=record))
    return items


def t2i_items(folder: Path, categories: tuple[str, ...], arg: str | None) -> list[PromptItem]:
    chosen = categories if arg is None else (arg,)
    unknown = [c for c in chosen if c not in categories and not (folder / f"{c}_val.txt").is_file()]
    if unknown:
        from rgbench.registry import did_you_mean

        raise ValueError(f"unknown T2I-CompBench category '{unknown[0]}'{did_you_mean(unknown[0], categories)}; "
                         f"known: {', '.join(categories)}")
    items = []
    for cat in chosen:
        lines = [ln.strip() for ln in (folder / f"{cat}_val.txt").read_text(encoding="utf-8").splitlines()]
        items += [PromptItem(f"{cat}/{i:04d}", i, text, group=cat) for i, text in enumerate(ln for ln in lines if ln)]
    return items


@PROMPT_SETS.register("geneval")
def _geneval(arg: str | None) -> PromptSet:
    _no_argument("geneval", arg)
    return PromptSet("geneval", GENEVAL_VERSION, "geneval", geneval_items(PACKAGE / "geneval/data/evaluation_metadata.jsonl"))


@PROMPT_SETS.register("dpg")
def _dpg(arg: str | None) -> PromptSet:
    _no_argument("dpg", arg)
    rows = [json.loads(line) for line in (PACKAGE / "dpg/data/prompts.jsonl").read_text(encoding="utf-8").splitlines()]
    items = [PromptItem(r["item_id"], i, r["text"].strip()) for i, r in enumerate(rows)]
    return PromptSet("dpg", DPG_VERSION, "dpg", items)


@PROMPT_SETS.register("t2i")
def _t2i(arg: str | None) -> PromptSet:
    name = f"t2i:{arg}" if arg else "t2i"
    return PromptSet(name, T2I_VERSION, "t2i", t2i_items(T2I_DATASETS["t2i"], T2I_CATEGORIES, arg))


def _toy_dir() -> Path:
    return PACKAGE / "toy" / "data"


T2I_DATASETS = {  # T2I-CompBench's `dataset/` folder of each T2I prompt set (<category>_val.txt, new_objects.txt)
    "t2i": PACKAGE / "t2i" / "data" / "dataset", "toy-t2i": PACKAGE / "toy" / "data" / "t2i" / "dataset"}


@PROMPT_SETS.register("toy-geneval")
def _toy_geneval(arg: str | None) -> PromptSet:
    _no_argument("toy-geneval", arg)
    items = geneval_items(_toy_dir() / "geneval/evaluation_metadata.jsonl")
    return PromptSet("toy-geneval", TOY_DATA_VERSION, "geneval", items)


@PROMPT_SETS.register("toy-dpg")
def _toy_dpg(arg: str | None) -> PromptSet:
    _no_argument("toy-dpg", arg)
    files = sorted((_toy_dir() / "dpg/prompts").glob("*.txt"), key=lambda p: int(p.stem.removeprefix("toy")))
    items = [PromptItem(p.stem, i, p.read_text(encoding="utf-8").strip()) for i, p in enumerate(files)]
    return PromptSet("toy-dpg", TOY_DATA_VERSION, "dpg", items)


@PROMPT_SETS.register("toy-t2i")
def _toy_t2i(arg: str | None) -> PromptSet:
    name = f"toy-t2i:{arg}" if arg else "toy-t2i"
    return PromptSet(name, TOY_DATA_VERSION, "t2i", t2i_items(T2I_DATASETS["toy-t2i"], TOY_T2I_CATEGORIES, arg))
