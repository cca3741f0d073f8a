"""The release's world at tiny size: a weights dir where the release's model ids resolve to tiny real-format
models, and data files in the release's formats, so a shipped real-model preset runs with its own config.

    <weights>/deepseek-community/Janus-Pro-7B     tiny transformers Janus (the SFT preset's `janus-pro-7b`)
    <weights>/Franklin0/ReasonGen-R1-SFT          the same tiny Janus (the GRPO preset's `reasongen-r1-sft`)
    <weights>/Qwen/Qwen2.5-VL-7B-Instruct         tiny Qwen2.5-VL answering \\boxed{0|1} by an image vote
                                                  calibrated on the tiny Janus's own images (about half pass)

Set RGBENCH_WEIGHTS=<weights> and every `janus-pro-7b` / `reasongen-r1-sft` / `size: 7B` resolves there. The
release's data (`build_release_files`) lies where the presets look for it, relative to the working directory:

    ReasonGen-R1-SFT-230k/data/train-0000k-of-00002.parquet   the SFT dataset's schema (image struct, captions)
    ReasonGen-R1/examples/rl_prompts/{geneval,dpg,t2i}_train.txt
    ReasonGen-R1/examples/janus_rl.sh                          tests/data/release/janus_rl.sh (RM_TEMPLATE's shape)
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

FIXTURES = Path(__file__).parent.parent / "data" / "release"
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


STYLES = pa.struct([("short_caption", pa.string()), ("paraphrases", pa.list_(pa.string())),
                    ("tags", pa.list_(pa.string())), ("varied_captions", pa.list_(pa.string())),
                    ("object_prompts", pa.list_(pa.string()))])
IMAGE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])  # the `datasets` Image feature


def png(i: int) -> bytes:
    """A small non-square image whose colour encodes the row."""
    buf = io.BytesIO()
    Image.fromarray(np.full((12, 20, 3), (i * 6 % 256, 255 - i * 6 % 256, 90), np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def rows(start: int, n: int) -> dict[str, list]:
    ids = range(start, start + n)
    return {"image": [{"bytes": png(i), "path": None} for i in ids],
            "brief_caption": [f"brief {i}" for i in ids],
            "detailed_caption": [f"cot {i}" for i in ids],
            "augmented_prompts": [{"short_caption": f"short {i}.", "paraphrases": [f"para {i}"],
                                   "tags": ["red", f"t{i}"], "varied_captions": [f"varied {i}"],
                                   "object_prompts": ["cup", "dog", f"o{i}"]} for i in ids],
            "aesthetic": [5.0] * n}


def write_shard(path, start: int, n: int, drop: str | None = None, image_type=IMAGE, images=None) -> None:
    data = rows(start, n)
    if images is not None:
        data["image"] = images
    types = {"image": image_type, "brief_caption": pa.string(), "detailed_caption": pa.string(),
             "augmented_prompts": STYLES, "aesthetic": pa.float64()}
    cols = {k: pa.array(v, type=types[k]) for k, v in data.items() if k != drop}
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(cols), path)


def hub_folder(root, sizes=(25, 15)):
    """data/train-0000k-of-0000n.parquet, as the hub lays out a one-split dataset."""
    start = 0
    for k, n in enumerate(sizes):
        write_shard(root / "data" / f"train-{k:05d}-of-{len(sizes):05d}.parquet", start, n)
        start += n
    return root


def build_release_files(root: Path) -> Path:
    """The release's files where its presets look for them (relative to the working directory `root`): the SFT
    dataset folder, a clone's RL prompt files and its examples/janus_rl.sh (a fixture of the same shape)."""
    hub_folder(root / "ReasonGen-R1-SFT-230k", sizes=(8, 6))
    prompts = root / "ReasonGen-R1" / "examples" / "rl_prompts"
    prompts.mkdir(parents=True)
    for k, name in enumerate(("geneval_train.txt", "dpg_train.txt", "t2i_train.txt")):
        (prompts / name).write_text("".join(p + "\n" for p in PROMPTS[k::3] * 6))
    shutil.copy(FIXTURES / "janus_rl.sh", root / "ReasonGen-R1" / "examples" / "janus_rl.sh")
    return root
