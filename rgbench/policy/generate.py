"""Prompt → CoT → image tokens → image, batched across prompts, as ReasonGen-R1's inference does it.

1. Context: [BOS] + tokens of the wrapped prompt (rgbench.policy.templates), left-padded across the batch,
   positions = cumsum(attention mask) − 1.
2. CoT (cot mode): sample text tokens (T, top-k) with a KV cache until EOS or <begin_of_image>, at most
   `max_cot_tokens`; an EOS becomes <begin_of_image>; a CoT that never stops has its last token overwritten by
   <begin_of_image> (method.md §1).
3. Image: a fresh prefill of context + CoT + <begin_of_image> (no-CoT mode: context + <begin_of_image>), then
   rows×cols image tokens with classifier-free guidance `u + w·(c − u)`. The unconditional row is the
   conditional one with every token but the first (BOS) and the last (<begin_of_image>) replaced by pad, and the
   same attention mask: it sees neither prompt nor CoT.
Randomness comes from per-row streams (rgbench.policy.sampling), so a row's output does not depend on the batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from rgbench.policy.model import Policy
from rgbench.policy.sampling import RowStreams, Sampler
from rgbench.policy.templates import wrap


@dataclass
class GenerationOptions:
    """Sampling settings (defaults: ReasonGen-R1's evaluation settings)."""

    cot: bool = True  # write a CoT before the image (False: the plain Janus-Pro prompt → image baseline)
    cfg_weight: float = 5.0  # classifier-free guidance on image logits; 1.0 = conditional only (RL rollouts)
    max_cot_tokens: int = 448  # CoT budget (1024 − 576 in the official code)
    text_temperature: float = 1.0  # CoT sampling temperature (0 = greedy)
    text_top_k: int | None = None  # CoT top-k (None = full distribution)
    image_temperature: float = 1.0  # image-token sampling temperature (0 = greedy)
    image_top_k: int | None = None  # image-token top-k


@dataclass
class Rollout:
    """Everything one batch produced, row by row (a row = one prompt × sample index)."""

    keys: list[tuple[int, str, int]]  # (seed, prompt key, sample index)
    context_ids: list[list[int]]  # [BOS] + prompt (+ <begin_of_image> in no-CoT mode)
    response_text_ids: list[list[int]]  # CoT tokens + <begin_of_image> (empty in no-CoT mode)
    cot_stopped: list[bool]  # the CoT ended on EOS / <begin_of_image> within the budget
    text_logprobs: list[list[float]]  # log-prob of each response text token under the sampling distribution
    image_ids: torch.Tensor  # [R, N] image codes
    image_logprobs: torch.Tensor  # [R, N] their log-probs under the (guided) sampling distribution
    cot_text: list[str] = field(default_factory=list)
    images: np.ndarray | None = None  # uint8 [R, H, W, 3]


def left_pad(seqs: list[list[int]], pad: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Token lists → ids [R, L] and attention mask [R, L], padded on the left."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for r, s in enumerate(seqs):
        if s:
            ids[r, width - len(s):] = torch.tensor(s, dtype=torch.long)
            mask[r, width - len(s):] = 1
    return ids.to(device), mask.to(device)


def positions_from_mask(mask: torch.Tensor) -> torch.Tensor:
    """[R, L] attention mask → [R, L] position ids (cumsum − 1, pads at 0)."""
    return (mask.cumsum(-1) - 1).clamp_min(0)


def unconditional(ids: torch.Tensor, mask: torch.Tensor, pad: int) -> torch.Tensor:
    """[R, L] left-padded rows → the same rows with all attended tokens but the first and the last set to pad."""
    first = mask.argmax(-1)  # [R] first attended position
    cols = torch.arange(ids.shape[1], device=ids.device)[None, :]  # [1, L]
    inner = (mask == 1) & (cols != first[:, None]) & (cols != ids.shape[1] - 1)  # [R, L]
    return ids.masked_fill(inner, pad)


def build_contexts(policy: Policy, prompts: list[str], cot: bool) -> list[list[int]]:
    ids = policy.ids
    ctx = [[ids.bos] + policy.encode_text(wrap(p, policy.spec.prompt, cot)) for p in prompts]
    return ctx if cot else [c + [ids.boi] for c in ctx]


@torch.no_grad()
def generate(policy: Policy, prompts: list[str], keys: list[tuple[int, str, int]],
             opts: GenerationOptions | None = None, decode: bool = True, cots: list[str] | None = None) -> Rollout:
    """One row per (prompt, key); `keys[r]` = (seed, prompt key, sample index) seeds row r's random streams.
    `cots` forces each row's CoT text instead of sampling it (e.g. gold plans; their log-probs are not computed)."""
    opts = opts or GenerationOptions()
    if len(prompts) != len(keys) or (cots is not None and len(cots) != len(prompts)):
        raise ValueError("one key (and one forced CoT, if any) per prompt row")
    streams = RowStreams(keys)
    contexts = build_contexts(policy, prompts, opts.cot)
    if opts.cot and cots is not None:
        response = [policy.encode_text(c) + [policy.ids.boi] for c in cots]
        stopped, text_lp = [True] * len(prompts), [[] for _ in prompts]
    elif opts.cot:
        response, stopped, text_lp = sample_cot(policy, contexts, streams, opts)
    else:
        response, stopped, text_lp = [[] for _ in prompts], [True] * len(prompts), [[] for _ in prompts]
    image_ids, image_lp = sample_image(policy, [c + r for c, r in zip(contexts, response)], streams, opts)
    out = Rollout(keys, contexts, response, stopped, text_lp, image_ids, image_lp)
    out.cot_text = [policy.decode_text(r[:-1]) for r in response]
    if decode:
        out.images = policy.image_tokenizer.decode(image_ids.cpu().numpy())
    return out


def sample_cot(policy: Policy, contexts: list[list[int]], streams: RowStreams, opts: GenerationOptions):
    """CoT tokens + <begin_of_image> per row, whether each stopped, and the tokens' log-probs."""
    sid, sampler = policy.ids, Sampler(opts.text_temperature, opts.text_top_k)
    ids, mask = left_pad(contexts, sid.pad, policy.device)  # [R, L]
    pos = positions_from_mask(mask)  # [R, L]
    hidden, cache = policy.backbone(policy.embed_text(ids), mask, pos, use_cache=True)
    logits = policy.text_logits(hidden[:, -1])  # [R, V]
    rows = len(contexts)
    tokens: list[list[int]] = [[] for _ in range(rows)]
    logps: list[list[float]] = [[] for _ in range(rows)]
    stopped = [False] * rows
    active = list(range(rows))
    for step in range(opts.max_cot_tokens):
        logp = sampler.log_probs(logits[active])  # [A, V]
        tok, lp = sampler.draw(logp, streams.uniform("text", active))  # [A], [A]
        last_step = step == opts.max_cot_tokens - 1
        for i, r in enumerate(active):
            t = int(tok[i])
            if t in (sid.eos, sid.boi) or last_step:
                stopped[r] = t in (sid.eos, sid.boi)
                tokens[r].append(sid.boi)  # EOS → <begin_of_image>; an unstopped CoT's last token is overwritten
                logps[r].append(float(logp[i, sid.boi]))
            else:
                tokens[r].append(t)
                logps[r].append(float(lp[i]))
        active = [r for r in active if tokens[r][-1] != sid.boi]
        if not active:
            break
        feed = torch.full((rows, 1), sid.pad, dtype=torch.long, device=policy.device)  # finished rows feed pad
        feed[active, 0] = torch.tensor([tokens[r][-1] for r in active], device=policy.device)
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)  # [R, L+1]
        pos = pos[:, -1:] + 1  # [R, 1]
        hidden, cache = policy.backbone(policy.embed_text(feed), mask, pos, cache=cache, use_cache=True)
        logits = policy.text_logits(hidden[:, -1])  # [R, V]
    return tokens, stopped, logps


def sample_image(policy: Policy, contexts: list[list[int]], streams: RowStreams, opts: GenerationOptions):
    """Image codes [R, N] and their log-probs [R, N]; every context ends with <begin_of_image>."""
    sampler, pad, n = Sampler(opts.image_temperature, opts.image_top_k), policy.ids.pad, policy.n_image_tokens
    rows = len(contexts)
    ids, mask = left_pad(contexts, pad, policy.device)  # [R, L]
    guided = opts.cfg_weight != 1.0
    if guided:
        ids = torch.cat([ids, unconditional(ids, mask, pad)])  # [2R, L]
        mask = torch.cat([mask, mask])  # the unconditional rows attend where the conditional ones do
    pos = positions_from_mask(mask)
    hidden, cache = policy.backbone(policy.embed_text(ids), mask, pos, use_cache=True)
    codes = torch.zeros((rows, n), dtype=torch.long, device=policy.device)
    logps = torch.zeros((rows, n), dtype=torch.float32, device=policy.device)
    for k in range(n):
        logits = policy.image_logits(hidden[:, -1])  # [R or 2R, K]
        if guided:
            cond, uncond = logits[:rows], logits[rows:]
            logits = uncond + opts.cfg_weight * (cond - uncond)  # [R, K]
        tok, lp = sampler.draw(sampler.log_probs(logits), streams.uniform("image"))
        codes[:, k], logps[:, k] = tok, lp
        if k == n - 1:
            break
        cells = torch.full((1,), k, dtype=torch.long, device=policy.device)
        emb = policy.embed_image(tok[:, None], cells)  # [R, 1, D]
        if guided:
            emb = torch.cat([emb, emb])  # [2R, 1, D]
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
        pos = pos[:, -1:] + 1
        hidden, cache = policy.backbone(emb, mask, pos, cache=cache, use_cache=True)
    return codes, logps
