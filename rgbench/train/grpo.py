"""The GRPO loop (method.md §3–§4), each phase a function of the trainer's state:

    prompts → rollout (CoT + image tokens, no CFG by default) → rewards (judge) → group filter and refill
            → advantages → old log-probs → mini-batch updates (PPO-clip + entropy control [+ k3 KL]) → metrics

Every random draw is a function of (seed, step, generation batch, prompt, sample), so a resumed run samples
exactly what an uninterrupted one would, whatever the number of processes.

Under torchrun the trainable policy is FSDP2-sharded exactly as in SFT (decoder layers + root), and every rank
also keeps an unsharded copy for sampling, refreshed from the gathered weights after each update (as verl's HF
rollout summons full parameters), so generation needs no collectives. Ranks roll out every world-th prompt,
then exchange their groups so each holds the whole step; each global micro-batch is split by rows and its loss
normalised by the global micro-batch's units, so 2 processes compute the 1-process gradient.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import torch

from rgbench.policy.generate import GenerationOptions, generate
from rgbench.policy.logprobs import SequenceScores, sequence_logprobs
from rgbench.policy.model import Policy
from rgbench.policy.sampling import seed_from
from rgbench.policy.templates import clean_prompt
from rgbench.train.advantages import group_advantages, informative_groups, refill_prompts
from rgbench.train.checkpoint import load_checkpoint, save_checkpoint
from rgbench.train.distributed import DistContext, all_reduce_sum, full_value, shard
from rgbench.train.entropy_control import EntropyControl, build_entropy_control, entropies_from, entropy_sums
from rgbench.train.judges import Judge
from rgbench.train.policy_loss import clip_metrics, k3_kl, masked_sum, ppo_clip_terms
from rgbench.train.sft import freeze_unused
from rgbench.train.topology import grpo_split

STATE_FILE = "grpo_state.pt"

OnFilterExhausted = Literal["error", "train_on_kept"]


class FilterExhausted(ValueError):
    """The group filter used every allowed generation batch and kept fewer groups than a step needs (verl raises a
    ValueError there too, so the command line reports it as one error line)."""


def rollout_options() -> GenerationOptions:
    """The release's rollout sampling: CoT then image, T = 1, no top-k, and no CFG (cfg_weight 1.0)."""
    return GenerationOptions(cot=True, cfg_weight=1.0)


@dataclass
class FixedEntropyOptions:
    alpha: float = 0.002  # L += α·H̄; the release's entropy_coeff=-0.002 (a penalty)


@dataclass
class AdaptiveEntropyOptions:
    target_text: float = 2.0  # nats
    target_image: float = 7.0  # nats (of ln 16384 = 9.7 for Janus's codebook)
    lr: float = 5e-5  # Adam on ψ, one step per micro-batch
    bound: float = 5e-3  # |α| ≤ bound
    initial_alpha: float = 0.0
    sync: bool = False  # feed α the whole data-parallel micro-batch's entropy (the release: each rank its own)


@dataclass
class EntropyOptions:
    """Which control runs, and each control's own options (a preset that switches control keeps valid options)."""

    control: str = "adaptive"  # ENTROPY_CONTROLS name: none | fixed | adaptive
    fixed: FixedEntropyOptions = field(default_factory=FixedEntropyOptions)
    adaptive: AdaptiveEntropyOptions = field(default_factory=AdaptiveEntropyOptions)

    def build(self) -> EntropyControl:
        own = getattr(self, self.control, None)
        return build_entropy_control(self.control, **(dataclasses.asdict(own) if own is not None else {}))


@dataclass
class GRPOOptions:
    """The release's hyperparameters (method.md §3) as defaults."""

    steps: int = 400
    prompts_per_step: int = 32  # train_batch_size (informative groups kept per step)
    samples_per_prompt: int = 8  # rollout.n: the group size
    mini_batch_prompts: int = 16  # ppo_mini_batch_size: 2 optimiser steps per RL step
    # sequences per forward/backward on each process (ppo_micro_batch_size_per_gpu): each process accumulates
    # mini_batch_prompts × samples_per_prompt / processes / micro_batch micro-batches per optimiser step
    micro_batch: int = 16
    epochs: int = 1  # ppo_epochs: passes over the kept rollouts
    lr: float = 5e-6  # constant, no warmup
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.01
    clip_grad: float = 1.0
    clip_low: float = 0.2
    clip_high: float = 0.2
    aggregation: str = "token-mean"  # AGGREGATIONS name
    # log-probs and entropies from logits clamped to ±30, as the release; None: unclamped. The clamp is not
    # shift-invariant: a head whose logits sit far below −30 (the toy's: max ≈ −2, 99% < −30) becomes uniform
    # wherever every logit is below −30 and gets no gradient there.
    logit_clamp: float | None = 30.0
    kl_coef: float = 0.0  # k3 KL to a frozen copy of the starting policy (off in the release)
    filter_groups: bool = True  # drop groups whose rewards are all equal, refill with new prompts
    max_generation_batches: int = 8  # bound on generation batches per step when filtering
    # what a step does when that bound is reached with fewer than prompts_per_step informative groups: "error"
    # stops the run, as verl does (RayPPOTrainer.fit raises); "train_on_kept" updates on the groups kept so far
    # (possibly none) and marks the step `short_step: true` in the metrics
    on_filter_exhausted: OnFilterExhausted = "error"
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
    needed: int  # groups a full step trains on (prompts_per_step)

    @property
    def kept(self) -> list[Group]:
        return [g for g in self.groups if g.kept]

    @property
    def short(self) -> bool:
        """Fewer groups kept than a step needs (only under on_filter_exhausted=train_on_kept)."""
        return len(self.kept) < self.needed


class PolicyScorer(torch.nn.Module):
    """The policy as one module whose forward scores rows (log-probs, entropies, masks), so FSDP2's hooks — which
    run on `forward` — gather the root's parameters; the policy's own methods are called inside it."""

    def __init__(self, policy: Policy, clamp: float | None) -> None:
        super().__init__()
        self.policy, self.clamp = policy, clamp

    def forward(self, context_ids: list[list[int]], response_text_ids: list[list[int]],
                image_ids: torch.Tensor) -> tuple[torch.Tensor, ...]:
        s = sequence_logprobs(self.policy, context_ids, response_text_ids, image_ids, cfg_weight=1.0, clamp=self.clamp)
        return s.logprobs, s.entropy, s.text_mask, s.image_mask


class GRPOTrainer:
    def __init__(self, policy: Policy, prompts: Sequence[tuple[str, str]], judge: Judge, opts: GRPOOptions,
                 ctx: DistContext | None = None, autocast: torch.dtype | None = None,
                 activation_checkpointing: bool = False) -> None:
        self.ctx = ctx or DistContext()
        self.autocast = autocast  # e.g. bf16 on GPU for rollouts and every scoring pass; weights stay fp32
        self.split = grpo_split(opts, self.ctx.world)
        if opts.samples_per_prompt < 2 and opts.filter_groups:
            raise ValueError("the group filter needs at least 2 samples per prompt")
        if opts.on_filter_exhausted not in get_args(OnFilterExhausted):
            raise ValueError(f"on_filter_exhausted {opts.on_filter_exhausted!r} is not one of "
                             f"{list(get_args(OnFilterExhausted))}")
        self.judge, self.opts = judge, opts
        freeze_unused(policy)
        if activation_checkpointing:
            policy.janus.gradient_checkpointing_enable()
        # the sampler: the policy itself on one process, an unsharded copy (refreshed after each update) under FSDP,
        # held in the autocast dtype when there is one (bf16 on GPUs: half the memory of an fp32 copy of a 7B)
        self.sampler = self._sampling_copy(policy) if self.ctx.enabled else policy
        # the KL reference: a frozen, unsharded copy of the starting policy, scored like the policy
        self.reference = PolicyScorer(self._frozen_copy(policy), opts.logit_clamp) if opts.kl_coef > 0 else None
        self.policy = policy
        self.model = shard(PolicyScorer(policy, opts.logit_clamp), list(policy.janus.model.language_model.layers),
                           self.ctx)
        self.pool = PromptPool(prompts, opts.seed)
        self.control: EntropyControl = opts.entropy.build()
        self.optimizer = torch.optim.AdamW([p for p in self.model.parameters() if p.requires_grad], lr=opts.lr,
                                           betas=opts.betas, weight_decay=opts.weight_decay)
        self.step = 0

    def _sampling_copy(self, policy: Policy) -> Policy:
        sampler = copy.deepcopy(policy).eval().requires_grad_(False)
        return sampler.to(self.autocast) if self.autocast is not None else sampler

    @staticmethod
    def _frozen_copy(policy: Policy) -> Policy:
        ref = copy.deepcopy(policy).eval()
        ref.requires_grad_(False)
        return ref

    # ------------------------------------------------------------------ rollout + reward
    def rollout(self, prompts: list[tuple[int, str, str]], batch: int) -> list[Group]:
        """Sample `samples_per_prompt` CoT + image sequences per (index in the draw, id, prompt); a row's random
        stream is keyed by (seed, step, generation batch, index, id, sample), not by who generates it."""
        o, n = self.opts, self.opts.samples_per_prompt
        rows = [(g, pid, text, k) for g, pid, text in prompts for k in range(n)]
        keys = [(o.seed, f"grpo:{self.step}:{batch}:{g}:{pid}", k) for g, pid, _, k in rows]
        parts = []
        for s in range(0, len(rows), o.rollout_batch):
            chunk = rows[s:s + o.rollout_batch]
            with self._precision():
                parts.append(generate(self.sampler, [t for _, _, t, _ in chunk], keys[s:s + o.rollout_batch],
                                      o.generation))
        groups = []
        for j, (_, pid, text) in enumerate(prompts):
            at = [divmod(j * n + k, o.rollout_batch) for k in range(n)]  # (chunk, row in chunk)
            groups.append(Group(
                prompt_id=pid, prompt=text,
                context_ids=[parts[c].context_ids[r] for c, r in at],
                response_text_ids=[parts[c].response_text_ids[r] for c, r in at],
                image_ids=torch.stack([parts[c].image_ids[r] for c, r in at]).cpu(),
                cot=[parts[c].cot_text[r] for c, r in at], rewards=[], judge_texts=[], batch=batch,
                images=np.stack([parts[c].images[r] for c, r in at])))
        return groups

    def reward(self, groups: list[Group]) -> None:
        """Judge every sample against its bare prompt (the release strips "a photo of"; not the CoT)."""
        if not groups:
            return
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

    def _generate_and_judge(self, draw: list[tuple[str, str]], batch: int) -> tuple[list[Group], float, float]:
        """This rank's share (every world-th prompt) rolled out and judged, then every rank's groups in draw order;
        also this rank's seconds spent in rollout and in reward."""
        mine = [(g, pid, text) for g, (pid, text) in enumerate(draw) if g % self.ctx.world == self.ctx.rank]
        t0 = time.perf_counter()
        groups = self.rollout(mine, batch)
        t1 = time.perf_counter()
        self.reward(groups)
        t2 = time.perf_counter()
        if self.ctx.enabled:
            gathered: list[list[Group]] = [[] for _ in range(self.ctx.world)]
            torch.distributed.all_gather_object(gathered, groups)
            groups = [gathered[g % self.ctx.world][g // self.ctx.world] for g in range(len(draw))]
        return groups, t1 - t0, t2 - t1

    def collect(self) -> Collected:
        """Generate and judge until `prompts_per_step` informative groups are kept. When the batch bound is hit
        first: FilterExhausted (verl), or what was kept under on_filter_exhausted=train_on_kept."""
        o = self.opts
        groups: list[Group] = []
        kept = batches = 0
        t_roll = t_rew = 0.0
        draw = o.prompts_per_step
        while kept < o.prompts_per_step and batches < (o.max_generation_batches if o.filter_groups else 1):
            new, seconds_roll, seconds_rew = self._generate_and_judge(self.pool.take(draw), batches)
            t_roll, t_rew = t_roll + seconds_roll, t_rew + seconds_rew
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
        if kept < o.prompts_per_step and o.on_filter_exhausted == "error":
            raise FilterExhausted(
                f"GRPO step {self.step + 1}: the group filter kept {kept} of the {o.prompts_per_step} informative "
                f"groups (rewards not all equal) a step needs, after {batches} generation batches "
                f"(train.max_generation_batches={o.max_generation_batches}); verl stops here too. To train on the "
                f"groups kept, set train.on_filter_exhausted=train_on_kept (a config change: use a new run id); "
                f"or raise train.max_generation_batches.")
        return Collected(groups, batches, t_roll, t_rew, o.prompts_per_step)

    # ------------------------------------------------------------------ update
    def _score_with(self, scorer: torch.nn.Module, rows: Sequence[tuple[Group, int]], with_grad: bool) -> SequenceScores:
        args = ([g.context_ids[k] for g, k in rows], [g.response_text_ids[k] for g, k in rows],
                torch.stack([g.image_ids[k] for g, k in rows]))
        with contextlib.nullcontext() if with_grad else torch.no_grad(), self._precision():
            return SequenceScores(*scorer(*args))

    def _precision(self) -> contextlib.AbstractContextManager:
        """Autocast for rollouts and every scoring pass alike, so old and new log-probs come from the same path."""
        if self.autocast is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.policy.device.type, dtype=self.autocast)

    def _score(self, rows: Sequence[tuple[Group, int]], with_grad: bool) -> SequenceScores:
        return self._score_with(self.model, rows, with_grad)

    def _reference_logprobs(self, rows: Sequence[tuple[Group, int]]) -> torch.Tensor:
        return self._score_with(self.reference, rows, with_grad=False).logprobs

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
        """(group, sample) pairs of a mini-batch in global micro-batches (`micro_batch` sequences per process)."""
        pairs = [(g, k) for g in groups for k in range(len(g.rewards))]
        m = self.split.global_micro
        return [pairs[i:i + m] for i in range(0, len(pairs), m)]

    def _my_rows(self, micro: list[tuple[Group, int]]) -> tuple[list[tuple[Group, int]], bool]:
        """This rank's rows of a global micro-batch; a rank left without rows scores one row with no weight, so
        every rank runs the same forwards and backwards (FSDP's collectives)."""
        rows = micro[self.ctx.rank::self.ctx.world]
        return (rows, True) if rows else (micro[:1], False)

    def update(self, groups: list[Group]) -> dict[str, float | None]:
        """PPO-clip mini-batch updates over the kept groups; returns averaged update metrics."""
        o, world = self.opts, self.ctx.world
        plan = []  # per mini-batch: its micro-batches as (my rows, live, old log-probs, reference log-probs)
        for start in range(0, len(groups), o.mini_batch_prompts):
            micros = []
            for micro in self.micro_batches(groups[start:start + o.mini_batch_prompts]):
                rows, live = self._my_rows(micro)
                ref = self._reference_logprobs(rows) if self.reference is not None else None
                micros.append((rows, live, self._score(rows, with_grad=False).logprobs, ref))
            plan.append(micros)
        self.policy.train()
        stats: dict[str, list[float]] = {k: [] for k in ("pg_loss", "kl", "h_text", "h_image", "grad_norm")}
        # per global micro-batch: ClipTerms.counts summed over ranks, [4] each. On one process these are verl's
        # micro-batches; under torchrun verl logs rank 0's per-GPU micro-batches, rgbench the global ones (so
        # 2 processes log what 1 does)
        clip_counts = []
        for _ in range(o.epochs):
            for micros in plan:
                self.optimizer.zero_grad(set_to_none=True)
                for rows, live, old, ref in micros:
                    scores = self._score(rows, with_grad=True)
                    text = self._trained_text(scores) & live
                    image = scores.image_mask & live
                    mask = text | image
                    adv = torch.tensor([g.advantages[k] for g, k in rows], device=old.device)
                    clip = ppo_clip_terms(scores.logprobs, old, adv, mask, o.clip_low, o.clip_high, o.aggregation)
                    h_sums, h_counts = entropy_sums(scores.entropy, text, image)
                    local = torch.cat([clip.units[None], h_counts, clip.counts, clip.loss_sum.detach()[None],
                                       h_sums.detach()])  # [12]
                    total = all_reduce_sum(local, self.ctx)
                    units, counts_all = total[0].clamp(min=1), total[1:4]
                    share = entropies_from(h_sums, counts_all)  # this rank's share of the global means
                    loss = clip.loss_sum / units + self.control.loss(share)
                    if ref is not None:
                        kl = masked_sum(k3_kl(scores.logprobs, ref), mask)
                        kl_total = all_reduce_sum(torch.stack([kl.detach(), mask.sum().to(kl.dtype)]), self.ctx)
                        loss = loss + o.kl_coef * kl / kl_total[1].clamp(min=1)
                        stats["kl"].append(float(kl_total[0] / kl_total[1].clamp(min=1)))
                    (loss * world / len(micros)).backward()  # × world: FSDP averages gradients over ranks
                    means = entropies_from(total[9:12], counts_all)  # the global micro-batch's mean entropies
                    if self.control.sync or not self.ctx.enabled:
                        self.control.update(means)
                    elif live:  # a rank's own rows; a placeholder row is no micro-batch (verl has none)
                        self.control.update(entropies_from(h_sums.detach(), h_counts))
                    stats["pg_loss"].append(float(total[8] / units))
                    clip_counts.append(total[4:8].cpu())
                    for m in ("text", "image"):
                        if means.value(m) is not None:
                            stats[f"h_{m}"].append(means.value(m))
                norm = torch.nn.utils.clip_grad_norm_([p for p in self.model.parameters() if p.requires_grad],
                                                      o.clip_grad)
                stats["grad_norm"].append(float(full_value(norm)))
                self.optimizer.step()
        self.policy.eval()
        self._refresh_sampler()
        return {**{k: (sum(v) / len(v) if v else None) for k, v in stats.items()}, **clip_metrics(clip_counts)}

    def _refresh_sampler(self) -> None:
        """Under FSDP: copy the gathered updated weights into every rank's sampling copy (a collective)."""
        if not self.ctx.enabled:
            return
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

        full = get_model_state_dict(self.model, options=StateDictOptions(full_state_dict=True, broadcast_from_rank0=False))
        self.sampler.load_state_dict({k.removeprefix("policy."): v for k, v in full.items()})

    # ------------------------------------------------------------------ one RL step
    def train_step(self) -> tuple[dict[str, Any], Collected]:
        collected = self.collect()
        kept = collected.kept
        t0 = time.perf_counter()
        upd = self.update(kept) if kept else {}
        t_update = time.perf_counter() - t0
        every = [r for g in collected.groups for r in g.rewards]  # all generation batches: uniform prompt draws
        kept_rewards = [r for g in kept for r in g.rewards]
        self.step += 1
        alpha = self.control.coefficients()
        row = {
            "step": self.step,
            "reward_mean": float(np.mean(every)), "reward_std": float(np.std(every)),
            "accuracy": float(np.mean([r >= 0.5 for r in every])),
            "reward_kept_mean": float(np.mean(kept_rewards)) if kept_rewards else None,
            "kept_groups": len(kept), "generated_groups": len(collected.groups),
            "generation_batches": collected.batches,
            "h_text": upd.get("h_text"), "h_image": upd.get("h_image"),
            "alpha_text": alpha["text"], "alpha_image": alpha["image"],
            "clip_fraction": upd.get("clip_fraction"), "approx_kl": upd.get("approx_kl"),
            "clip_fraction_pooled": upd.get("clip_fraction_pooled"), "approx_kl_pooled": upd.get("approx_kl_pooled"),
            "short_step": collected.short,
            "kl": upd.get("kl"), "pg_loss": upd.get("pg_loss"), "grad_norm": upd.get("grad_norm"),
            "lr": self.optimizer.param_groups[0]["lr"],
            "cot_tokens": float(np.mean([len(r) for g in collected.groups for r in g.response_text_ids])),
            "seconds_rollout": collected.seconds_rollout, "seconds_reward": collected.seconds_reward,
            "seconds_update": t_update,
        }
        return row, collected

    # ------------------------------------------------------------------ checkpoints
    def save(self, folder: str | Path) -> Path:
        """Full (gathered) model and optimiser states, written by rank 0; every rank must call it. The entropy
        control's state is kept per rank (unsynchronised coefficients differ between ranks)."""
        controls: list[Any] = [self.control.state_dict()]
        if self.ctx.enabled:
            controls = [None] * self.ctx.world
            torch.distributed.all_gather_object(controls, self.control.state_dict())
        return save_checkpoint(self.model, self.optimizer, folder, STATE_FILE,
                               {"step": self.step, "cursor": self.pool.cursor, "entropy_control": controls}, self.ctx)

    def load(self, folder: str | Path) -> None:
        state = load_checkpoint(self.model, self.optimizer, folder, STATE_FILE)
        controls = state["entropy_control"]
        self.control.load_state_dict(controls[self.ctx.rank] if len(controls) == self.ctx.world else controls[0])
        self.step, self.pool.cursor = state["step"], state["cursor"]
        self._refresh_sampler()

    def export_state(self) -> dict[str, torch.Tensor]:
        """The policy's full fp32 state dict, keyed as `policy.state_dict()`. Under FSDP it is gathered from the
        trained shards (not the sampler, which may be bf16): every rank must call it, rank 0 gets the values."""
        if not self.ctx.enabled:
            return self.policy.state_dict()
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

        weights = get_model_state_dict(self.model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
        return {k.removeprefix("policy."): v for k, v in weights.items()}
