"""The release's world at tiny size: a weights dir where the release's model ids resolve to tiny real-format
models, and data files in the release's formats, so a shipped real-model preset runs with its own config.

    <weights>/deepseek-community/Janus-Pro-7B     tiny transformers Janus (the SFT preset's `janus-pro-7b`)
    <weights>/Franklin0/ReasonGen-R1-SFT          the same tiny Janus (the GRPO preset's `reasongen-r1-sft`)
    <weights>/Qwen/Qwen2.5-VL-7B-Instruct         tiny Qwen2.5-VL answering \\boxed{0|1} by an image vote
                                                  calibrated on the tiny Janus's own images (about half pass)

Set RGBENCH_WEIGHTS=<weights> and every `janus-pro-7b` / `reasongen-r1-sft` / `size: 7B` resolves there.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

PROMPTS = ["a red apple on a wooden table", "two cats sleeping on a sofa", "a blue car left of a tree",
           "three yellow balloons", "a dog below a window", "a green cup and a white plate"]


def build_weights(root: Path) -> Path:
    from rgbench.policy.generate import GenerationOptions, generate
    from rgbench.policy.model import load_policy
    from rgbench.policy.tiny import save_tiny_hf_janus
    from rgbench.vlm.tiny import save_boxed_qwen_judge

    weights = root / "weights"
    janus = save_tiny_hf_janus(weights / "deepseek-community" / "Janus-Pro-7B")
    shutil.copytree(janus, weights / "Franklin0" / "ReasonGen-R1-SFT")
    policy = load_policy(janus, device="cpu", dtype="fp32")
    rollout = generate(policy, PROMPTS * 4, [(0, str(i), 0) for i in range(24)],
                       GenerationOptions(cot=True, cfg_weight=1.0, max_cot_tokens=8))
    save_boxed_qwen_judge(weights / "Qwen" / "Qwen2.5-VL-7B-Instruct", list(rollout.images))
    return weights


def write_sft_records(root: Path, n: int = 12) -> Path:
    """JSONL records with images (the format `data:` reads), one per prompt, random 32×32 images."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(root / f"img{i}.png")
        rows.append({"id": f"r{i}", "prompt": PROMPTS[i % len(PROMPTS)], "cot": "a plan of the scene .",
                     "image": f"img{i}.png"})
    path = root / "sft.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def write_rl_prompts(root: Path) -> Path:
    path = root / "rl_prompts.txt"
    path.write_text("".join(p + "\n" for p in PROMPTS * 8))
    return path
