"""`rgbench train sft`: a config → records → the SFT loop in a run folder, resumable.

    results/<run-id>/
      config.yaml, meta.json      the resolved config and provenance (run store)
      metrics.jsonl               one row per optimiser step: loss, CE per part, lr, grad norm, tokens, tokens/s
      checkpoint/                 model.safetensors + trainer_state.pt, rewritten every `save_every` steps
      model/                      the trained policy (loads with `--model results/<run-id>/model`)
      summary.json

Rerunning the same command resumes from checkpoint/ and continues the loss curve exactly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from rgbench.progress import Progress
from rgbench.results import JsonlLog
from rgbench.runs import Run
from rgbench.train.sft import STATE_FILE, SFTOptions, SFTTrainer
from rgbench.train.sft_data import SFT_FORMAT, SFTRecord


@dataclass
class SFTConfig:
    model: str = "toy-init"  # the starting policy: a name (toy-init, janus-pro-7b, ...), an id or a folder
    data: str = "toy"  # "toy" (toy-world records built on the fly) or a JSONL file of records
    data_limit: int | None = None  # use only the first N records
    prompt_format: Literal["release-sft", "policy"] = "release-sft"  # the release's SFT template, or the policy's own
    save_every: int = 50  # optimiser steps between checkpoints
    dtype: str = "auto"  # fp32 on CPU; on GPU the weights stay fp32 here (bf16 autocast is future work)
    train: SFTOptions = field(default_factory=SFTOptions)


def load_records(cfg: SFTConfig, policy: Any) -> list[SFTRecord]:
    if cfg.data == "toy":
        from rgbench.toy.sft import toy_sft_records

        return toy_sft_records(cfg.data_limit)
    from rgbench.train.sft_data import read_records

    return read_records(cfg.data, policy.image_tokenizer)[:cfg.data_limit]


def run_sft(run: Run, cfg: SFTConfig, device: str | None = None) -> dict[str, Any]:
    """Train (or resume) into an open run; returns the summary."""
    from rgbench.policy.zoo import open_policy

    policy = open_policy(cfg.model, device=device, dtype=cfg.dtype)
    fmt = policy.spec.prompt if cfg.prompt_format == "policy" else SFT_FORMAT
    trainer = SFTTrainer(policy, load_records(cfg, policy), cfg.train, fmt)
    checkpoint = run.dir / "checkpoint"
    if (checkpoint / STATE_FILE).is_file():
        trainer.load(checkpoint)
    metrics = JsonlLog(run.dir / "metrics.jsonl", key="step")
    last: dict[str, float] = {}
    with Progress(total=cfg.train.steps, desc="sft", unit="step", completed=trainer.step) as bar:
        while trainer.step < cfg.train.steps:
            start = time.perf_counter()
            last = trainer.train_step()
            last["tokens_per_s"] = last["tokens"] / (time.perf_counter() - start)
            metrics.append([last])
            if trainer.step % cfg.save_every == 0 or trainer.step == cfg.train.steps:
                trainer.save(checkpoint)
            bar.advance()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the policy's own bar said enough
    policy.eval().save(run.dir / "model")
    rows = metrics.rows()
    return {"steps": trainer.step, "records": len(trainer.records), "first_loss": rows[0]["loss"] if rows else None,
            "final_loss": rows[-1]["loss"] if rows else None, "model": str(run.dir / "model")}
