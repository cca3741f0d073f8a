"""The GRPO loop (method.md §3–§4), each phase a function of the trainer's state:

    prompts → rollout (CoT + image tokens, no CFG by default) → rewards (judge) → group filter and refill
            → advantages → old log-probs → mini-batch updates (PPO-clip + entropy control [+ k3 KL]) → metrics

Every random draw is a function of (seed, step, generation batch, prompt, sample), so a resumed run samples
exactly what an uninterrupted one would. Single process for now (the SFT trainer's FSDP2 path is the model for
the distributed version).
"""

from __future__ import annotations

import copy
import io
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rgbench.policy.generate import GenerationOptions, generate
from rgbench.policy.logprobs import SequenceScores, sequence_logprobs
from rgbench.policy.model import Policy
from rgbench.policy.sampling import seed_from
from rgbench.policy.templates import clean_prompt
from rgbench.train.advantages import group_advantages, informative_groups, refill_prompts
from rgbench.train.distributed import DistContext
from rgbench.train.entropy_control import EntropyControl, build_entropy_control, entropies
from rgbench.train.judges import Judge
from rgbench.train.policy_loss import k3_kl, masked_mean, ppo_clip_loss
from rgbench.train.sft import MODEL_FILE, freeze_unused

STATE_FILE = "grpo_state.pt"


def rollout_options() -> GenerationOptions:
    """The release's rollout sampling: CoT then image, T = 1, no top-k, and no CFG (cfg_weight 1.0)."""
    return GenerationOptions(cot=True, cfg_weight=1.0)


@dataclass
class EntropyOptions:
    control: str = "adaptive"  # ENTROPY_CONTROLS name: none | fixed | adaptive
    options: dict[str, Any] = field(default_factory=dict)  # e.g. alpha (fixed); target_text, target_image, lr, bound


@dataclass
class GRPOOptions:
    """The release's hyperparameters (method.md §3) as defaults."""

    steps: int = 400
    prompts_per_step: int = 32  # train_batch_size (informative groups kept per step)
    samples_per_prompt: int = 8  # rollout.n: the group size
    mini_batch_prompts: int = 16  # ppo_mini_batch_size: 2 optimiser steps per RL step
    micro_batch: int = 16  # sequences per forward/backward inside a mini-batch (gradient accumulation)
    epochs: int = 1  # ppo_epochs: passes over the kept rollouts
    lr: float = 5e-6  # constant, no warmup
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.01
    clip_grad: float = 1.0
    clip_low: float = 0.2
    clip_high: float = 0.2
    aggregation: str = "token-mean"  # AGGREGATIONS name
    logit_clamp: float = 30.0  # log-probs and entropies from logits clamped to ±30
    kl_coef: float = 0.0  # k3 KL to a frozen copy of the starting policy (off in the release)
    filter_groups: bool = True  # drop groups whose rewards are all equal, refill with new prompts
    max_generation_batches: int = 8  # bound on generation batches per step when filtering
    include_begin_of_image: bool = True  # the release trains <begin_of_image> (ignore_img_start=False)
    rollout_batch: int = 64  # sequences per generate() call (speed only)
    seed: int = 0
    generation: GenerationOptions = field(default_factory=rollout_options)
    entropy: EntropyOptions = field(default_factory=EntropyOptions)


@dataclass
class Group:
    """One prompt's samples after rollout and reward."""

    prompt_id: str
    prompt: str
    context_ids: list[list[int]]
    response_text_ids: list[list[int]]
    image_ids: torch.Tensor  # [n, N]
    cot: list[str]
    rewards: list[float]
    judge_texts: list[str]
    batch: int  # which generation batch of the step produced it
    advantages: list[float] = field(default_factory=list)
    kept: bool = False
    images: np.ndarray | None = None  # uint8 [n, H, W, 3], dropped once judged


class PromptPool:
    """Training prompts in a per-epoch seeded order, read through a cursor (part of the checkpoint)."""

    def __init__(self, prompts: Sequence[tuple[str, str]], seed: int) -> None:
        if not prompts:
            raise ValueError("no training prompts")
        self.prompts, self.seed, self.cursor = list(prompts), seed, 0
        self._order: tuple[int, list[int]] = (-1, [])

    def take(self, n: int) -> list[tuple[str, str]]:
        out = []
        for _ in range(n):
            epoch, pos = divmod(self.cursor, len(self.prompts))
            if self._order[0] != epoch:
                order = list(range(len(self.prompts)))
                random.Random(seed_from(self.seed, "grpo-order", epoch)).shuffle(order)
                self._order = (epoch, order)
            out.append(self.prompts[self._order[1][pos]])
            self.cursor += 1
        return out


@dataclass
class Collected:
    groups: list[Group]  # every generated group, kept or not, in generation order
    batches: int
    seconds_rollout: float
    seconds_reward: float

    @property
    def kept(self) -> list[Group]:
        return [g for g in self.groups if g.kept]


class GRPOTrainer:
    def __init__(self, policy: Policy, prompts: Sequence[tuple[str, str]], judge: Judge, opts: GRPOOptions,
                 ctx: DistContext | None = None) -> None:
        self.ctx = ctx or DistContext()
        if self.ctx.enabled:
            raise NotImplementedError("GRPO runs in one process for now; torchrun support follows the SFT trainer")
        if opts.prompts_per_step % opts.mini_batch_prompts:
            raise ValueError(f"prompts_per_step {opts.prompts_per_step} must be a multiple of "
                             f"mini_batch_prompts {opts.mini_batch_prompts}")
        if opts.samples_per_prompt < 2 and opts.filter_groups:
            raise ValueError("the group filter needs at least 2 samples per prompt")
        self.policy, self.judge, self.opts = policy, judge, opts
        freeze_unused(policy)
        self.pool = PromptPool(prompts, opts.seed)
        self.control: EntropyControl = build_entropy_control(opts.entropy.control, **opts.entropy.options)
        self.optimizer = torch.optim.AdamW([p for p in policy.parameters() if p.requires_grad], lr=opts.lr,
                                           betas=opts.betas, weight_decay=opts.weight_decay)
        self.reference = self._frozen_copy() if opts.kl_coef > 0 else None
        self.step = 0

    def _frozen_copy(self) -> Policy:
        ref = copy.deepcopy(self.policy).eval()
        ref.requires_grad_(False)
        return ref

    # ------------------------------------------------------------------ rollout + reward
    def rollout(self, prompts: list[tuple[str, str]], batch: int) -> list[Group]:
        """Sample `samples_per_prompt` CoT + image sequences per prompt and judge them."""
        o, n = self.opts, self.opts.samples_per_prompt
        rows = [(pid, text, k) for pid, text in prompts for k in range(n)]
        keys = [(o.seed, f"grpo:{self.step}:{batch}:{i // n}:{pid}", k) for i, (pid, _, k) in enumerate(rows)]
        self.policy.eval()
        parts = []
        for s in range(0, len(rows), o.rollout_batch):
            chunk = rows[s:s + o.rollout_batch]
            parts.append(generate(self.policy, [t for _, t, _ in chunk], keys[s:s + o.rollout_batch], o.generation))
        groups = []
        for g, (pid, text) in enumerate(prompts):
            rows_g = [parts[(g * n + k) // o.rollout_batch] for k in range(n)]
            idx = [(g * n + k) % o.rollout_batch for k in range(n)]
            groups.append(Group(
                prompt_id=pid, prompt=text,
                context_ids=[r.context_ids[i] for r, i in zip(rows_g, idx)],
                response_text_ids=[r.response_text_ids[i] for r, i in zip(rows_g, idx)],
                image_ids=torch.stack([r.image_ids[i] for r, i in zip(rows_g, idx)]).cpu(),
                cot=[r.cot_text[i] for r, i in zip(rows_g, idx)], rewards=[], judge_texts=[], batch=batch,
                images=np.stack([r.images[i] for r, i in zip(rows_g, idx)])))
        return groups

    def reward(self, groups: list[Group]) -> None:
        """Judge every sample against its bare prompt (the release strips "a photo of"; not the CoT)."""
        prompts = [clean_prompt(g.prompt, self.policy.spec.prompt) for g in groups for _ in g.cot]
        images = [im for g in groups for im in g.images]
        verdicts = self.judge.judge(prompts, images)
        if len(verdicts) != len(images):
            raise RuntimeError(f"the judge returned {len(verdicts)} verdicts for {len(images)} images")
        it = iter(verdicts)
        for g in groups:
            for _ in g.cot:
                v = next(it)
                g.rewards.append(float(v.score))
                g.judge_texts.append(v.text)
            g.images = None

    def collect(self) -> Collected:
        """Generate and judge until `prompts_per_step` informative groups are kept (or the batch bound is hit)."""
        o = self.opts
        groups: list[Group] = []
        kept = batches = 0
        t_roll = t_rew = 0.0
        draw = o.prompts_per_step
        while kept < o.prompts_per_step and batches < (o.max_generation_batches if o.filter_groups else 1):
            t0 = time.perf_counter()
            new = self.rollout(self.pool.take(draw), batches)
            t1 = time.perf_counter()
            self.reward(new)
            t_roll, t_rew = t_roll + t1 - t0, t_rew + time.perf_counter() - t1
            rewards = torch.tensor([g.rewards for g in new])  # [G, n]
            useful = informative_groups(rewards) if o.filter_groups else torch.ones(len(new), dtype=torch.bool)
            for g, adv, ok in zip(new, group_advantages(rewards), useful.tolist()):
                g.advantages = adv.tolist()
                if ok and kept < o.prompts_per_step:
                    g.kept, kept = True, kept + 1
            groups += new
            batches += 1
            if kept < o.prompts_per_step:
                draw = refill_prompts(o.prompts_per_step - kept, self.ctx.world, cap=o.prompts_per_step)
        return Collected(groups, batches, t_roll, t_rew)

    # ------------------------------------------------------------------ update
    def _scores(self, model: Policy, groups: Sequence[Group]) -> SequenceScores:
        ctx = [c for g in groups for c in g.context_ids]
        resp = [r for g in groups for r in g.response_text_ids]
        codes = torch.cat([g.image_ids for g in groups])  # [R, N]
        return sequence_logprobs(model, ctx, resp, codes, cfg_weight=1.0, clamp=self.opts.logit_clamp)

    def _trained_text(self, scores: SequenceScores) -> torch.Tensor:
        """Text slots that enter the loss: all response text, or all but <begin_of_image> (the last text slot)."""
        mask = scores.text_mask.clone()
        if not self.opts.include_begin_of_image:
            n_img = int(scores.image_mask[0].sum())
            last = mask.shape[1] - n_img - 1
            if last >= 0:
                mask[:, last] = False
        return mask

    def micro_batches(self, groups: Sequence[Group]) -> list[list[tuple[Group, int]]]:
        """(group, sample) pairs of a mini-batch in chunks of `micro_batch` sequences."""
        pairs = [(g, k) for g in groups for k in range(len(g.rewards))]
        m = self.opts.micro_batch
        return [pairs[i:i + m] for i in range(0, len(pairs), m)]

    @staticmethod
    def _select(pairs: Sequence[tuple[Group, int]]) -> list[Group]:
        """Single-sample views of (group, sample) pairs, so `_scores` can take any slice of a group."""
        return [Group(g.prompt_id, g.prompt, [g.context_ids[k]], [g.response_text_ids[k]], g.image_ids[k:k + 1],
                      [g.cot[k]], [g.rewards[k]], [g.judge_texts[k]], g.batch, [g.advantages[k]], g.kept)
                for g, k in pairs]

    def update(self, groups: list[Group]) -> dict[str, float]:
        """PPO-clip mini-batch updates over the kept groups; returns averaged update metrics."""
        o = self.opts
        plan = []  # per mini-batch: its micro-batches as (views, old log-probs, reference log-probs)
        with torch.no_grad():  # old (and reference) log-probs, from the policy that sampled
            for start in range(0, len(groups), o.mini_batch_prompts):
                micros = []
                for mb in self.micro_batches(groups[start:start + o.mini_batch_prompts]):
                    views = self._select(mb)
                    ref = self._scores(self.reference, views).logprobs if self.reference is not None else None
                    micros.append((views, self._scores(self.policy, views).logprobs, ref))
                plan.append(micros)
        self.policy.train()
        stats: dict[str, list[float]] = {k: [] for k in ("pg_loss", "clip_fraction", "approx_kl", "kl", "h_text",
                                                         "h_image", "grad_norm")}
        for _ in range(o.epochs):
            for micros in plan:
                self.optimizer.zero_grad(set_to_none=True)
                for views, old, ref in micros:
                    scores = self._scores(self.policy, views)
                    text = self._trained_text(scores)
                    mask = text | scores.image_mask
                    adv = torch.tensor([v.advantages[0] for v in views], device=scores.logprobs.device)
                    pg, clip = ppo_clip_loss(scores.logprobs, old, adv, mask, o.clip_low, o.clip_high, o.aggregation)
                    h = entropies(scores.entropy, text, scores.image_mask)
                    loss = pg + self.control.loss(h)
                    if ref is not None:
                        kl = masked_mean(k3_kl(scores.logprobs, ref), mask)
                        loss = loss + o.kl_coef * kl
                        stats["kl"].append(float(kl.detach()))
                    (loss / len(micros)).backward()
                    self.control.update(h)
                    stats["pg_loss"].append(float(pg.detach()))
                    stats["clip_fraction"].append(clip.clip_fraction)
                    stats["approx_kl"].append(clip.approx_kl)
                    for m in ("text", "image"):
                        if h.value(m) is not None:
                            stats[f"h_{m}"].append(h.value(m))
                norm = torch.nn.utils.clip_grad_norm_([p for p in self.policy.parameters() if p.requires_grad], o.clip_grad)
                stats["grad_norm"].append(float(norm))
                self.optimizer.step()
        self.policy.eval()
        return {k: (sum(v) / len(v) if v else None) for k, v in stats.items()}

    # ------------------------------------------------------------------ one RL step
    def train_step(self) -> tuple[dict[str, Any], Collected]:
        collected = self.collect()
        kept = collected.kept
        t0 = time.perf_counter()
        upd = self.update(kept) if kept else {}
        t_update = time.perf_counter() - t0
        first = [r for g in collected.groups if g.batch == 0 for r in g.rewards]
        kept_rewards = [r for g in kept for r in g.rewards]
        self.step += 1
        alpha = self.control.coefficients()
        row = {
            "step": self.step,
            "reward_mean": float(np.mean(first)), "reward_std": float(np.std(first)),
            "accuracy": float(np.mean([r >= 0.5 for r in first])),
            "reward_kept_mean": float(np.mean(kept_rewards)) if kept_rewards else None,
            "kept_groups": len(kept), "generated_groups": len(collected.groups),
            "generation_batches": collected.batches,
            "h_text": upd.get("h_text"), "h_image": upd.get("h_image"),
            "alpha_text": alpha["text"], "alpha_image": alpha["image"],
            "clip_fraction": upd.get("clip_fraction"), "approx_kl": upd.get("approx_kl"),
            "kl": upd.get("kl"), "pg_loss": upd.get("pg_loss"), "grad_norm": upd.get("grad_norm"),
            "lr": self.optimizer.param_groups[0]["lr"],
            "cot_tokens": float(np.mean([len(r) for g in collected.groups for r in g.response_text_ids])),
            "seconds_rollout": collected.seconds_rollout, "seconds_reward": collected.seconds_reward,
            "seconds_update": t_update,
        }
        return row, collected

    # ------------------------------------------------------------------ checkpoints
    def save(self, folder: str | Path) -> Path:
        from safetensors.torch import save

        from rgbench.results import write_atomic

        folder = Path(folder)
        weights = {k: v.detach().contiguous().cpu() for k, v in self.policy.state_dict().items()}
        write_atomic(folder / MODEL_FILE, save(weights))
        state = {"step": self.step, "cursor": self.pool.cursor, "optimizer": self.optimizer.state_dict(),
                 "entropy_control": self.control.state_dict(), "rng_cpu": torch.get_rng_state()}
        buffer = io.BytesIO()
        torch.save(state, buffer)
        write_atomic(folder / STATE_FILE, buffer.getvalue())
        return folder

    def load(self, folder: str | Path) -> None:
        from safetensors.torch import load_file

        folder = Path(folder)
        self.policy.load_state_dict(load_file(str(folder / MODEL_FILE)))
        state = torch.load(folder / STATE_FILE, weights_only=True)
        self.optimizer.load_state_dict(state["optimizer"])
        self.control.load_state_dict(state["entropy_control"])
        torch.set_rng_state(state["rng_cpu"])
        self.step, self.pool.cursor = state["step"], state["cursor"]
