"""`rgbench train sft`: a config → records → the SFT loop in a run folder, resumable, one process or torchrun.

    results/<run-id>/
      config.yaml, meta.json      the resolved config and provenance (run store)
      metrics.jsonl               one row per optimiser step: loss, CE per part, lr, grad norm, tokens, tokens/s
      checkpoint/                 model.safetensors + trainer_state.pt, rewritten every `save_every` steps
      model/                      the trained policy (loads with `--model results/<run-id>/model`)
      summary.json

Rerunning the same command resumes from checkpoint/ and continues the loss curve exactly. Under torchrun only
rank 0 writes files; every rank takes part in the collectives (checkpoints gather full states).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rgbench.devices import autocast_for, resolve_device
from rgbench.progress import Progress
from rgbench.results import JsonlLog
from rgbench.train.checkpoint import export_policy, paused, stop_at
from rgbench.train.distributed import DistContext
from rgbench.train.sft import STATE_FILE, SFTOptions, SFTTrainer
from rgbench.train.sft_data import SFT_FORMAT, SFTRecord
from rgbench.train.topology import sft_split


@dataclass
class SFTConfig:
    model: str = "toy-init"  # the starting policy: a name (toy-init, janus-pro-7b, ...), an id or a folder
    data: str | list[str] = "toy"  # "toy" (toy-world records built on the fly), a JSONL file of records, or the
    # release's Hugging Face dataset as parquet shards: its folder, a glob, or a list of shard paths (train split)
    data_limit: int | None = None  # use only the first N records (toy: prompts)
    toy_variants: int = 1  # toy: scenes per prompt (more variants, less memorising)
    prompt_format: Literal["release-sft", "policy"] = "release-sft"  # the release's SFT template, or the policy's own
    save_every: int = 50  # optimiser steps between checkpoints
    precision: Literal["auto", "fp32", "bf16"] = "auto"  # auto: bf16 autocast on GPU, fp32 on CPU; weights stay fp32
    activation_checkpointing: bool = False  # recompute decoder activations in the backward pass (less memory)
    train: SFTOptions = field(default_factory=SFTOptions)


def check_data(cfg: SFTConfig) -> None:
    """Fail before the policy loads when `data` names files that are not there (or shards without the
    release's columns)."""
    from rgbench.train.release_data import SFT_HINT, find_shards, is_release_source, open_shards
    from rgbench.train.sft_data import RecordError

    if cfg.data == "toy":
        return
    if is_release_source(cfg.data):
        root, splits = find_shards(cfg.data)
        for paths in splits.values():
            open_shards(paths, root)
    elif not Path(cfg.data).expanduser().is_file():
        raise RecordError(f"SFT data not found: {cfg.data}; {SFT_HINT}")


def load_records(cfg: SFTConfig, policy: Any, ctx: DistContext | None = None) -> tuple[list[SFTRecord], dict[str, Any]]:
    """The training records and what reading them found (the release's dataset: splits, rows, cache). Under
    torchrun the images the codes cache lacks are tokenized once, each rank its share (`tokenize_share`), then
    every rank reads all of them and rank 0 merges the ranks' codes into the cache."""
    ctx = ctx or DistContext()
    if cfg.data == "toy":
        from rgbench.toy.sft import toy_sft_records

        return toy_sft_records(cfg.data_limit, variants=cfg.toy_variants), {}
    from rgbench.train.release_data import (
        is_release_source,
        merge_cache_parts,
        read_release_sft,
        tokenize_share,
    )

    if is_release_source(cfg.data):
        tok = policy.image_tokenizer
        shared, known = tokenize_share(cfg.data, tok, ctx.rank, ctx.world, limit=cfg.data_limit) if ctx.enabled \
            else (0, None)
        ctx.barrier()
        records, report = read_release_sft(cfg.data, tok, limit=cfg.data_limit, write_cache=ctx.is_main, known=known)
        ctx.barrier()  # every rank has read the part files
        if ctx.is_main and ctx.enabled:
            merge_cache_parts(cfg.data, tok)
        report.tokenized += shared
        return records, {"data_read": dataclasses.asdict(report)}
    from rgbench.train.sft_data import read_records

    return read_records(cfg.data, policy.image_tokenizer)[:cfg.data_limit], {}


def run_sft(run_dir: Path, cfg: SFTConfig, device: str | None = None, ctx: DistContext | None = None,
            stop_after: int | None = None) -> dict[str, Any]:
    """Train (or resume) into `run_dir`; returns the summary (on every rank). `stop_after`: train at most that many
    steps now, checkpoint and return a `paused` summary (no model export); a rerun continues."""
    from rgbench.policy.zoo import open_policy

    ctx = ctx or DistContext()
    split = sft_split(cfg.train, ctx.world)  # before any weights load: a config error names its fix
    dev = ctx.device(resolve_device(device))
    check_data(cfg)
    policy = open_policy(cfg.model, device=str(dev), dtype="fp32")
    fmt = policy.spec.prompt if cfg.prompt_format == "policy" else SFT_FORMAT
    records, data_read = load_records(cfg, policy, ctx)
    trainer = SFTTrainer(policy, records, cfg.train, fmt, ctx, cfg.activation_checkpointing,
                         autocast_for(cfg.precision, dev))
    checkpoint = run_dir / "checkpoint"
    if (checkpoint / STATE_FILE).is_file():
        trainer.load(checkpoint)
    metrics = JsonlLog(run_dir / "metrics.jsonl", key="step") if ctx.is_main else None
    until = stop_at(trainer.step, cfg.train.steps, stop_after)
    with Progress(total=cfg.train.steps, desc="sft", unit="step", completed=trainer.step) as bar:
        while trainer.step < until:
            start = time.perf_counter()
            row = trainer.train_step()
            row["tokens_per_s"] = row["tokens"] / (time.perf_counter() - start)
            if metrics is not None:
                metrics.append([row])
            if trainer.step % cfg.save_every == 0 or trainer.step == cfg.train.steps:
                trainer.save(checkpoint)
            bar.advance()
    if trainer.step < cfg.train.steps:
        return paused(trainer, checkpoint, cfg.train.steps, cfg.save_every)
    export_policy(trainer, cfg.model, ctx, run_dir / "model")
    rows = metrics.rows() if metrics is not None else []
    return {"steps": trainer.step, "records": len(trainer.records), "world_size": ctx.world,
            "batch_size": split.batch_size, "grad_accum_per_process": split.grad_accum,
            "first_loss": rows[0]["loss"] if rows else None, "final_loss": rows[-1]["loss"] if rows else None,
            "model": str(run_dir / "model"), **data_versions(cfg), **data_read}


def data_versions(cfg: SFTConfig) -> dict[str, str]:
    """The versions of generated training data (the toy's prompt sets and plan writer)."""
    if cfg.data != "toy":
        return {}
    from rgbench.toy.cot import PLAN_VERSION
    from rgbench.toy.world import DATA_VERSION

    return {"data_version": DATA_VERSION, "plan_version": PLAN_VERSION}
