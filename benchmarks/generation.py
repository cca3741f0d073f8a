"""Batched vs one-prompt-at-a-time generation on the same model, in one run (python benchmarks/generation.py).

Prints images/s for both, their ratio, and whether every image is byte-identical per seed (it must be: each
(seed, prompt, sample) row has its own random streams). Options: --batch (default 32), --device, --dtype,
--attn, --model (default: the toy policy at its default tiny size), --cot-tokens, --cfg.
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import timed  # benchmarks/timing.py (scripts run from their folder)


def main() -> None:
    from rgbench.policy.generate import GenerationOptions, generate
    from rgbench.policy.zoo import open_policy
    from rgbench.prompt_sets import load_prompt_set

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="toy-init")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--device", default=None)
    ap.add_argument("--dtype", default="auto")
    ap.add_argument("--attn", default="sdpa")
    ap.add_argument("--cot-tokens", type=int, default=32)
    ap.add_argument("--cfg", type=float, default=5.0)
    args = ap.parse_args()

    policy = open_policy(args.model, device=args.device, dtype=args.dtype, attn_implementation=args.attn)
    items = load_prompt_set("toy-geneval").items
    prompts = [items[i % len(items)].prompt for i in range(args.batch)]
    keys = [(0, f"bench{i}", 0) for i in range(args.batch)]
    opts = GenerationOptions(max_cot_tokens=args.cot_tokens, cfg_weight=args.cfg)
    generate(policy, prompts[:2], keys[:2], opts)  # warm-up
    batched, t_batch = timed(lambda: generate(policy, prompts, keys, opts))
    singles, t_single = timed(lambda: [generate(policy, [p], [k], opts) for p, k in zip(prompts, keys)])
    same = all(np.array_equal(s.images[0], batched.images[i]) and s.cot_text[0] == batched.cot_text[i]
               for i, s in enumerate(singles))
    cot_len = np.mean([len(r) for r in batched.response_text_ids])
    print(f"model {args.model} on {policy.device} ({policy.dtype}, attn {args.attn}), "
          f"{policy.n_image_tokens} image tokens, CoT ≤ {args.cot_tokens} tokens (mean {cot_len:.1f}), cfg {args.cfg}")
    print(f"one prompt at a time: {args.batch / t_single:8.1f} images/s ({t_single:.2f} s for {args.batch})")
    print(f"batched ({args.batch:3d} rows):   {args.batch / t_batch:8.1f} images/s ({t_batch:.2f} s)")
    print(f"speed-up: {t_single / t_batch:.1f}x   identical images and CoTs per seed: {same}")


if __name__ == "__main__":
    main()
