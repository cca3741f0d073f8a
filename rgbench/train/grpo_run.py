"""`rgbench train grpo`: a config → policy, prompts, reward → the GRPO loop in a run folder, resumable.

    results/<run-id>/
      config.yaml, meta.json          the resolved config and provenance (run store)
      metrics.jsonl                   one row per RL step: reward mean/std/accuracy, kept groups (short_step: fewer
                                      than a step needs, under on_filter_exhausted=train_on_kept), H_text, H_image,
                                      α_text, α_image, clip fraction and approx KL (verl's per-micro-batch means;
                                      *_pooled over all tokens), KL, time split rollout/reward/update
      rollouts/step_NNNNN.jsonl       every sample of the step: prompt, CoT, reward, advantage, kept, judge text
      validation.jsonl                in-run toy-GenEval scores every `eval_every` steps
      checkpoint/                     model.safetensors + grpo_state.pt, rewritten every `save_every` steps
      model/                          the trained policy (loads with `--model results/<run-id>/model`)
      leakage.json                    training/evaluation overlap warnings (also in summary.json)
      summary.json

Rerunning the same command resumes from checkpoint/ and continues exactly (same rollouts, same metrics). Under
torchrun only rank 0 writes files; every rank takes part in the collectives.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rgbench.devices import autocast_for, resolve_device
from rgbench.progress import Progress
from rgbench.results import JsonlLog, dumps_row, write_atomic, write_json
from rgbench.train.checkpoint import export_policy, paused, stop_at
from rgbench.train.distributed import DistContext
from rgbench.train.grpo import STATE_FILE, Collected, GRPOOptions, GRPOTrainer
from rgbench.train.release_data import PromptLine, drop_overlong, read_prompt_files
from rgbench.train.rewards import RewardTerm, build_reward
from rgbench.train.topology import grpo_split


@dataclass
class GRPOConfig:
    model: str = "toy-init"  # the starting policy: a name, an id or a folder (e.g. an SFT run's model/)
    prompts: str | list[str] = "toy"  # "toy" (the toy training prompts; "toy:task,task" keeps those tasks), a .txt
    # file (one prompt per line), a .jsonl (id, prompt), or a list of .txt files read in order (the release's
    # examples/rl_prompts/*_train.txt)
    prompt_dir: str = ""  # folder that relative prompt files are read from ("": the working directory)
    prompt_max_tokens: int | None = None  # drop prompts whose line takes more than this − 10 tokens (the release's
    # filter_overlong_prompts at max_prompt_length, 156 in its run); None keeps every prompt
    prompt_limit: int | None = None  # use only the first N prompts
    rewards: list[RewardTerm] = field(default_factory=lambda: [RewardTerm("toy-large")])
    release_script: str = ""  # your copy of ReasonGen-R1's examples/janus_rl.sh (not shipped); read when a reward's
    # options say `template: release` (the paper preset): its RM_TEMPLATE is then the judge prompt
    save_every: int = 25  # RL steps between checkpoints
    eval_every: int = 0  # RL steps between in-run toy-GenEval validations (0: off)
    eval_limit: int | None = None  # validation prompts (first N of toy GenEval)
    eval_cfg: float = 5.0  # validation CFG weight (the evaluation setting; rollouts use train.generation)
    log_rollouts: bool = True  # write rollouts/step_NNNNN.jsonl
    precision: Literal["auto", "fp32", "bf16"] = "auto"  # auto: bf16 autocast on GPU, fp32 on CPU; weights stay fp32
    activation_checkpointing: bool = False  # recompute decoder activations in the backward pass (less memory)
    train: GRPOOptions = field(default_factory=GRPOOptions)


def read_prompts(source: str | list[str], folder: str = "") -> list[PromptLine]:
    """Prompts from the toy training set (all, or "toy:task,task"), a .jsonl file (id, prompt), or one or more
    .txt files read as the release reads them (`release_data.read_prompt_files`; relative paths from `folder`)."""
    if isinstance(source, str) and (source == "toy" or source.startswith("toy:")):
        from rgbench.toy.datasets import load_train

        rows = load_train()
        tasks = [t for t in source.partition(":")[2].split(",") if t]
        unknown = sorted(set(tasks) - {r["task"] for r in rows})
        if unknown:
            raise ValueError(f"no toy training prompts of task(s) {unknown}; tasks: {sorted({r['task'] for r in rows})}")
        lines = [PromptLine(r["id"], r["prompt"], r["prompt"]) for r in rows if not tasks or r["task"] in tasks]
    elif isinstance(source, str) and source.endswith(".jsonl"):
        lines = read_prompt_jsonl(Path(folder).expanduser() / source if folder else Path(source).expanduser())
    else:
        lines = read_prompt_files([source] if isinstance(source, str) else source, folder)
    if not lines:
        raise ValueError(f"no prompts in {source}")
    return lines


def read_prompt_jsonl(path: Path) -> list[PromptLine]:
    if not path.is_file():
        raise ValueError(f"prompt file not found: {path}")
    lines = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if line.strip():
            row = json.loads(line)
            if "prompt" not in row:
                raise ValueError(f"{path}:{i + 1}: a prompt record needs a 'prompt' field")
            lines.append(PromptLine(str(row.get("id", i)), row["prompt"], row["prompt"]))
    return lines


def load_prompts(source: str | list[str], limit: int | None = None, folder: str = "") -> list[tuple[str, str]]:
    """(id, prompt) pairs of `read_prompts`, the first `limit` of them."""
    return [(ln.id, ln.prompt) for ln in read_prompts(source, folder)][:limit]


def judge_templates(cfg: GRPOConfig) -> tuple[list[RewardTerm], list[dict[str, Any]]]:
    """The reward terms with `template: release` read from `release_script`, and what was read (for provenance:
    source lines and sha256 per term); fails with a message naming the file when it is needed and missing."""
    from rgbench.train.release_template import with_release_templates

    return with_release_templates(cfg.rewards, cfg.release_script)


def grpo_provenance(cfg: GRPOConfig) -> dict[str, Any]:
    """What a GRPO run's meta.json records besides its config: model, prompts, rewards and the judge templates read
    from a release script (fails, before the run folder exists, when one is needed and missing)."""
    return {"model": cfg.model, "prompts": cfg.prompts, "rewards": [t.name for t in cfg.rewards],
            "judge_templates": judge_templates(cfg)[1]}


def rollout_rows(collected: Collected) -> list[dict[str, Any]]:
    return [{"key": f"{g.batch}:{i}:{k}", "prompt_id": g.prompt_id, "prompt": g.prompt, "sample": k,
             "generation_batch": g.batch, "cot": g.cot[k], "reward": g.rewards[k], "advantage": g.advantages[k],
             "kept": g.kept, "judge": g.judge_texts[k]}
            for i, g in enumerate(collected.groups) for k in range(len(g.rewards))]


def run_grpo(run_dir: Path, cfg: GRPOConfig, device: str | None = None, warn: Callable[[str], None] = print,
             ctx: DistContext | None = None, stop_after: int | None = None) -> dict[str, Any]:
    """Train (or resume) into `run_dir`; returns the summary. Under torchrun only rank 0 writes files.
    `stop_after`: train at most that many RL steps now, checkpoint and return a `paused` summary."""
    from rgbench.policy.zoo import open_policy
    from rgbench.train.leakage import leakage_warnings
    from rgbench.train.validation import toy_geneval_validation

    ctx = ctx or DistContext()
    split = grpo_split(cfg.train, ctx.world)  # before any weights load: a config error names its fix
    lines = read_prompts(cfg.prompts, cfg.prompt_dir)  # missing files fail before the policy loads
    rewards, _ = judge_templates(cfg)  # before any model loads: a missing release script fails here
    policy = open_policy(cfg.model, device=str(ctx.device(resolve_device(device))), dtype="fp32")
    overlong = 0
    if cfg.prompt_max_tokens is not None:
        lines, overlong = drop_overlong(lines, policy.encode_text, cfg.prompt_max_tokens)
    prompts = [(ln.id, ln.prompt) for ln in lines][:cfg.prompt_limit]
    if not prompts:
        raise ValueError(f"no prompts left in {cfg.prompts} (prompt_max_tokens dropped {overlong})")
    warnings = leakage_warnings([p for _, p in prompts], [t.name for t in cfg.rewards])
    if ctx.is_main:
        write_json(run_dir / "leakage.json", {"warnings": warnings})  # recorded before training starts
        for warning in warnings:
            warn(warning)
    trainer = GRPOTrainer(policy, prompts, build_reward(rewards), cfg.train, ctx,
                          autocast_for(cfg.precision, policy.device), cfg.activation_checkpointing)
    checkpoint = run_dir / "checkpoint"
    if (checkpoint / STATE_FILE).is_file():
        trainer.load(checkpoint)
    metrics = JsonlLog(run_dir / "metrics.jsonl", key="step") if ctx.is_main else None
    validation = JsonlLog(run_dir / "validation.jsonl", key="step") if ctx.is_main else None

    def validate() -> None:  # rank 0 only: the sampler generates without collectives
        if validation is None:
            return
        if cfg.eval_every and trainer.step % cfg.eval_every == 0 and trainer.step not in validation:
            scores = toy_geneval_validation(trainer.sampler, cot=cfg.train.generation.cot, cfg_weight=cfg.eval_cfg,
                                            max_cot_tokens=cfg.train.generation.max_cot_tokens,
                                            limit=cfg.eval_limit, seed=cfg.train.seed)
            validation.append([{"step": trainer.step, **scores}])

    validate()  # step 0: the starting policy
    until = stop_at(trainer.step, cfg.train.steps, stop_after)
    with Progress(total=cfg.train.steps, desc="grpo", unit="step", completed=trainer.step) as bar:
        while trainer.step < until:
            row, collected = trainer.train_step()
            if ctx.is_main and cfg.log_rollouts:
                write_atomic(run_dir / "rollouts" / f"step_{trainer.step:05d}.jsonl",
                             "".join(dumps_row(r) + "\n" for r in rollout_rows(collected)))
            if metrics is not None:
                metrics.append([row])
            validate()
            if trainer.step % cfg.save_every == 0 or trainer.step == cfg.train.steps:
                trainer.save(checkpoint)
            bar.advance()
    if trainer.step < cfg.train.steps:
        return paused(trainer, checkpoint, cfg.train.steps, cfg.save_every)
    export_policy(trainer, cfg.model, ctx, run_dir / "model")  # fp32, gathered under FSDP
    rows = metrics.rows() if metrics is not None else []
    return {"steps": trainer.step, "prompts": len(prompts), "prompts_dropped_overlong": overlong,
            "rewards": [t.name for t in cfg.rewards],
            "entropy_control": cfg.train.entropy.control,
            "first_reward": rows[0]["reward_mean"] if rows else None,
            "final_reward": rows[-1]["reward_mean"] if rows else None,
            "validation": validation.rows() if validation is not None else [], "warnings": warnings,
            "world_size": ctx.world, "micro_batches_per_process": split.micro_batches, "model": str(run_dir / "model")}
