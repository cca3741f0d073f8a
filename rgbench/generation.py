"""`rgbench generate`: a benchmark's prompts → images in the official folder layout, plus `cot.jsonl`.

    out/generation.json   what produced the folder (model, prompt set + version, n, seed, options, git, versions)
    out/cot.jsonl         one row per (prompt, sample): prompt id, sample, prompt, CoT text, seed, image path
                          ((seed, prompt id, sample) alone fixes that row's random streams)
    out/<layout files>    GenEval folders, DPG 2×2 grids or T2I-CompBench samples/

Resumable: a prompt whose images and CoT rows all exist is skipped; a rerun with different settings is refused.
Sharding (`--shard i/N`) splits prompts round-robin; shards may write the same folder at the same time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rgbench.layouts import Layout, get_layout
from rgbench.policy.generate import GenerationOptions, generate
from rgbench.prompt_sets import PromptItem, PromptSet
from rgbench.registry import Registry
from rgbench.results import JsonlLog, read_json, write_json
from rgbench.sharding import select

SETTINGS_FILE = "generation.json"
COT_FILE = "cot.jsonl"


class GenerationError(RuntimeError):
    """A generation folder that cannot be resumed with these settings."""


@dataclass
class GenerateSettings:
    """Everything that decides the images; a folder holds images of one settings value only."""

    model: str
    prompt_set: str
    prompt_set_version: str
    n: int
    seed: int
    options: GenerationOptions = field(default_factory=GenerationOptions)
    prompt_format: dict = field(default_factory=dict)  # the policy's PromptFormat as used (filled in if empty)
    plans: str = "sampled"  # CoTs: "sampled" by the model, or "gold" (toy prompts: the toy's plan writer, forced)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class GenerateReport:
    total: int  # prompts in this shard (after --limit)
    skipped: int  # already finished (resume)
    generated: int  # prompts generated now
    images: int
    seconds: float

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds if self.seconds else 0.0


def claim_folder(out: Path, settings: GenerateSettings, provenance: dict) -> None:
    """Write generation.json, or check that the folder's existing one has the same settings."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / SETTINGS_FILE
    with open(out / ".generation.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        new = json.loads(json.dumps(settings.to_json()))  # as it reads back from the file
        if path.is_file():
            old = {"plans": "sampled", **read_json(path)["settings"]}  # folders from before gold plans
            if old != new:
                diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
                raise GenerationError(f"{out} holds images made with other settings (differs in: {', '.join(diff)}); "
                                      f"use another --out, or delete the folder to start over")
        else:
            write_json(path, {"settings": settings.to_json(), "provenance": provenance})


def cot_key(item: PromptItem, k: int) -> str:
    return f"{item.key}#{k}"


def append_locked(log: JsonlLog, rows: list[dict]) -> None:
    """Append under an exclusive lock: shards share one cot.jsonl."""
    with open(log.path.parent / ".cot.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        log.append(rows)


def cot_rows(item: PromptItem, rollout, first: int, n: int, settings: GenerateSettings, layout: Layout,
             prompt_set: PromptSet) -> list[dict]:
    rows = []
    for k in range(n):
        r = first + k
        rows.append({"key": cot_key(item, k), "prompt_id": item.key, "sample": k, "prompt": item.prompt,
                     "cot": rollout.cot_text[r] if settings.options.cot else None,
                     "cot_tokens": max(len(rollout.response_text_ids[r]) - 1, 0),
                     "cot_stopped": rollout.cot_stopped[r], "plans": settings.plans, "seed": settings.seed,
                     "image": layout.image_ref(item, k, n), "model": settings.model,
                     "benchmark": prompt_set.name, "benchmark_version": prompt_set.version})
    return rows


def generate_to_folder(policy, prompt_set: PromptSet, out: Path, settings: GenerateSettings, *,
                       batch_size: int = 16, limit: int | None = None, shard: tuple[int, int] = (0, 1),
                       provenance: dict | None = None, progress: bool = True) -> GenerateReport:
    """Generate every unfinished prompt of this shard; returns counts and throughput."""
    from rgbench.progress import Progress

    layout = get_layout(prompt_set.layout)
    layout.check(settings.n)
    if settings.plans != "sampled" and settings.plans not in PLAN_SOURCES:
        raise GenerationError(f"--plans must be sampled or one of {', '.join(PLAN_SOURCES.names())}, not '{settings.plans}'")
    if settings.plans != "sampled" and not settings.options.cot:
        raise GenerationError("gold plans need CoT mode (drop --no-cot)")
    if not settings.prompt_format:
        settings = dataclasses.replace(settings, prompt_format=dataclasses.asdict(policy.spec.prompt))
    claim_folder(out, settings, provenance or {})
    log = JsonlLog(out / COT_FILE)
    items = select(prompt_set.items, limit, shard)
    todo = [it for it in items
            if not (layout.done(out, it, settings.n) and all(cot_key(it, k) in log for k in range(settings.n)))]
    per_batch = max(1, batch_size // settings.n)
    start, images = time.perf_counter(), 0
    bar = Progress(len(todo) * settings.n, f"generate {prompt_set.name}", unit="img") if progress else None
    with bar if bar is not None else contextlib.nullcontext():
        for b in range(0, len(todo), per_batch):
            batch = todo[b:b + per_batch]
            prompts = [it.prompt for it in batch for _ in range(settings.n)]
            keys = [(settings.seed, it.key, k) for it in batch for k in range(settings.n)]
            rollout = generate(policy, prompts, keys, settings.options, cots=forced_cots(settings, prompts, keys))
            for j, item in enumerate(batch):
                first = j * settings.n
                layout.write(out, item, [rollout.images[first + k] for k in range(settings.n)])
                append_locked(log, cot_rows(item, rollout, first, settings.n, settings, layout, prompt_set))
            images += len(prompts)
            if bar is not None:
                bar.advance(len(prompts))
    seconds = time.perf_counter() - start
    return GenerateReport(len(items), len(items) - len(todo), len(todo), images, seconds)


# --plans NAME → writer(prompts, keys) → one forced CoT per row ("sampled": the model writes its own). A writer
# raises ValueError for prompts it cannot plan.
PLAN_SOURCES: Registry[Callable[[list[str], list[tuple[int, str, int]]], list[str]]] = Registry("plan source")
PLAN_SOURCES.register("gold", "rgbench.toy.plans:gold_plans")


def forced_cots(settings: GenerateSettings, prompts: list[str], keys: list[tuple[int, str, int]]) -> list[str] | None:
    """None (the model writes its CoTs), or the plans the settings' plan source writes for these rows."""
    if settings.plans == "sampled":
        return None
    try:
        return PLAN_SOURCES.get(settings.plans)(prompts, keys)
    except ValueError as err:
        raise GenerationError(f"'{settings.plans}' plans: {err}") from None


def environment_provenance() -> dict:
    from rgbench.runs import git_state, package_versions

    return {"git": git_state(), "versions": package_versions(), "pid": os.getpid()}
