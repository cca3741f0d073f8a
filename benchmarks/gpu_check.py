"""The GPU check: one printed line per figure (issue #22 item 7). `benchmarks/gpu_check.sh` runs every figure in its
own process under a time limit, the whole in under 8 minutes on one H100/H200.

    python benchmarks/gpu_check.py --list              # figure names, in run order
    python benchmarks/gpu_check.py FIGURE [--smoke]    # one figure → one line, starting with its name

Nothing is downloaded, so the check runs on a machine without network: every model is built from a config with
random weights, at the real shapes on the GPU (Janus-Pro-7B, Mask2Former Swin-S, CLIP ViT-L/14), tiny with
`--smoke` (CPU, fp32, gloo, a few tokens; the tests run that). Speed does not depend on the weights' values, with one
exception: a random policy almost never samples EOS, so every CoT runs to its budget (448 tokens, the paper's
maximum), slower than a trained model's CoTs. Each figure goes through rgbench's own code: `generate` on a `Policy`,
the `mask2former` detector and the `clip` colour classifier loaded from saved folders, `SFTTrainer` and
`GRPOTrainer` with the tiny Janus and the tiny Qwen2.5-VL judge.

The training figures run under `torchrun --nproc-per-node 1`. rgbench shards only with two or more processes, so the
worker marks its one-process group as distributed (`OneRankContext`): the trainers then wrap the model with FSDP2 on
a one-rank mesh and send their collectives (loss all-reduce, gathers, state-dict gathers) through NCCL (gloo on CPU).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class NotRun(Exception):
    """A figure that cannot run here (no CUDA, flash-attn not installed); the message says why."""


# ---------------------------------------------------------------- shapes and modes


@dataclass(frozen=True)
class JanusShape:
    """A Janus at some size: LLaMA text model, SigLIP tower (unused by generation, kept for memory), VQ model."""

    name: str
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    vision: dict[str, Any] = field(default_factory=dict)  # JanusVisionConfig overrides (its defaults: SigLIP-L, 384 px)
    vq: dict[str, Any] = field(default_factory=dict)  # JanusVQVAEConfig overrides (its defaults: VQ-16, 16,384 codes)


# deepseek-community/Janus-Pro-7B: LLaMA 4096 × 30 layers, 32 heads, MLP 11008, 102,400 words; 24×24 image tokens.
JANUS_PRO_7B = JanusShape("Janus-Pro-7B shape", hidden=4096, layers=30, heads=32, intermediate=11008, vocab=102400)
TINY_JANUS = JanusShape("tiny Janus", hidden=32, layers=2, heads=2, intermediate=64, vocab=512,
                        vision=dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, image_size=64,
                                    patch_size=16, num_image_tokens=16),
                        vq=dict(num_embeddings=64, latent_channels=32, base_channels=32, channel_multiplier=[1, 1, 1],
                                num_res_blocks=1))


@dataclass(frozen=True)
class Setup:
    """What one mode runs: where, at which sizes, how much work."""

    smoke: bool
    device: str
    dtype: str  # the policy's precision for generation (rgbench.policy.model.DTYPES)
    janus: JanusShape
    batch: int  # rows of the batched generation
    singles: int  # images generated one prompt at a time
    cot_tokens: int  # CoT budget
    images: int  # GenEval figures: images per timing
    side: int  # GenEval figures: image side in pixels
    detector_batch: int  # images per detector forward
    clip_batch: int  # crops per CLIP forward
    save_mask2former: Callable[[Path], Path]
    save_clip: Callable[[Path], Path]

    def require_cuda(self, what: str) -> None:
        """Raise NotRun when the GPU mode finds no CUDA device (the smoke mode runs on the CPU)."""
        if self.smoke:
            return
        import torch

        if not torch.cuda.is_available():
            raise NotRun(f"no CUDA device (torch.cuda.is_available() is False); {what} needs one")


def save_mask2former_swin_s(folder: Path) -> Path:
    """facebook/mask2former-swin-small-coco-instance's shape with random weights: Swin-S backbone (embed 96, depths
    2-2-18-2, window 7), transformers' Mask2Former defaults (100 queries, 256 wide, 6 + 10 layers), 80 classes."""
    from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, SwinConfig

    from rgbench.geneval.mask2former import _without_scipy_check

    swin = SwinConfig(embed_dim=96, depths=[2, 2, 18, 2], num_heads=[3, 6, 12, 24], window_size=7, image_size=224,
                      drop_path_rate=0.3, out_features=["stage1", "stage2", "stage3", "stage4"])
    with _without_scipy_check():
        model = Mask2FormerForUniversalSegmentation(Mask2FormerConfig(backbone_config=swin, num_labels=80))
    model.save_pretrained(folder)
    return folder


def save_clip_vit_l14(folder: Path) -> Path:
    """openai/clip-vit-large-patch14's shape with random weights (vision 1024 × 24 layers, patch 14, 224 px; text
    768 × 12 layers, 49,408 words; projection 768), with a byte-level tokenizer (no merges, no download)."""
    from transformers import CLIPConfig, CLIPModel

    from rgbench.geneval.tiny import tiny_clip_tokenizer

    tokenizer = tiny_clip_tokenizer()
    config = CLIPConfig(
        text_config=dict(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                         num_attention_heads=12, max_position_embeddings=77, eos_token_id=tokenizer.eos_token_id,
                         bos_token_id=tokenizer.bos_token_id, pad_token_id=tokenizer.pad_token_id),
        vision_config=dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
                           image_size=224, patch_size=14),
        projection_dim=768)
    CLIPModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)  # no preprocessor file: rgbench uses CLIP's defaults at 224 px
    return folder


def _tiny_mask2former(folder: Path) -> Path:
    from rgbench.geneval.tiny import save_tiny_mask2former

    return save_tiny_mask2former(folder)


def _tiny_clip(folder: Path) -> Path:
    from rgbench.geneval.tiny import save_tiny_clip

    return save_tiny_clip(folder)


GPU = Setup(smoke=False, device="cuda", dtype="bf16", janus=JANUS_PRO_7B, batch=32, singles=1, cot_tokens=448,
            images=32, side=512, detector_batch=8, clip_batch=16,  # the batches: `eval geneval`'s GPU defaults
            save_mask2former=save_mask2former_swin_s, save_clip=save_clip_vit_l14)
SMOKE = Setup(smoke=True, device="cpu", dtype="fp32", janus=TINY_JANUS, batch=4, singles=2, cot_tokens=4,
              images=4, side=64, detector_batch=4, clip_batch=4, save_mask2former=_tiny_mask2former,
              save_clip=_tiny_clip)


# ---------------------------------------------------------------- helpers


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """(fn(), seconds), waiting for queued GPU work on both sides (benchmarks/timing.py)."""
    here = str(Path(__file__).parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    from timing import timed as timed_

    return timed_(fn)


def short(dtype: Any) -> str:
    """torch.bfloat16 → 'bf16', torch.float32 → 'fp32', torch.float16 → 'fp16'."""
    name = str(dtype).removeprefix("torch.")
    return {"bfloat16": "bf16", "float32": "fp32", "float16": "fp16"}.get(name, name)


def peak_memory() -> str:
    import torch

    return f", peak {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB" if torch.cuda.is_available() else ""


def word_tokenizer(size: int):
    """rgbench's word-level tokenizer (the toy words, then fillers) with exactly `size` ids."""
    from rgbench.toy.text import build_text_tokenizer, load_vocabulary

    n_special = len(build_text_tokenizer([]))
    words = list(dict.fromkeys(load_vocabulary()))[:size - n_special]
    words += [f"w{i}" for i in range(size - n_special - len(words))]
    return build_text_tokenizer(words)


def random_policy(shape: JanusShape, device: str, dtype: str, attn: str):
    """A Policy around a random-weight JanusForConditionalGeneration, built directly on `device` in `dtype`, with
    Janus's VQ image tokenizer (as a released checkpoint loads)."""
    import torch
    from transformers import (
        JanusConfig,
        JanusForConditionalGeneration,
        JanusVisionConfig,
        JanusVQVAEConfig,
        LlamaConfig,
    )

    from rgbench.policy.image_tokenizers import IMAGE_TOKENIZERS
    from rgbench.policy.model import Policy, PolicySpec, resolve_dtype

    tok = word_tokenizer(shape.vocab)
    text = LlamaConfig(vocab_size=shape.vocab, hidden_size=shape.hidden, intermediate_size=shape.intermediate,
                       num_hidden_layers=shape.layers, num_attention_heads=shape.heads, num_key_value_heads=shape.heads,
                       max_position_embeddings=16384, rms_norm_eps=1e-6, bos_token_id=tok.bos_token_id,
                       eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, tie_word_embeddings=False)
    vision = JanusVisionConfig(**{"projection_dim": shape.hidden, **shape.vision})
    vq = JanusVQVAEConfig(**{"projection_dim": shape.hidden, "image_token_embed_dim": shape.hidden, **shape.vq})
    config = JanusConfig(text_config=text, vision_config=vision, vq_config=vq, tie_word_embeddings=False,
                         image_token_id=tok.convert_tokens_to_ids("<image_placeholder>"))
    dev = torch.device(device)
    torch_dtype = resolve_dtype(dtype, dev)
    # initialise on the device: a 7B model's random init on the CPU takes minutes. `_from_config` is what
    # transformers' AutoModel.from_config calls; it sets the dtype and the attention implementation.
    with torch.device(dev):
        janus = JanusForConditionalGeneration._from_config(config, dtype=torch_dtype, attn_implementation=attn)
    image_tokenizer = IMAGE_TOKENIZERS.get("janus-vq")(None, janus)
    return Policy(janus, tok, image_tokenizer, PolicySpec(name=f"random {shape.name}")).to(dev, torch_dtype).eval()


def random_images(n: int, side: int, seed: int = 0) -> list:
    import numpy as np

    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (side, side, 3), dtype=np.uint8) for _ in range(n)]


def object_crops(images: list, per_image: int, labels: tuple[str, ...]) -> list:
    """(image, Detection) pairs: `per_image` boxes per image, each with a filled elliptic mask, labels cycling."""
    import numpy as np

    from rgbench.geneval.detection import Detection

    rng = np.random.default_rng(1)
    out = []
    for image in images:
        side = image.shape[0]
        yy, xx = np.mgrid[:side, :side]
        for _ in range(per_image):
            w, h = rng.integers(side // 8, side // 2, 2)
            x, y = rng.integers(0, side - w), rng.integers(0, side - h)
            mask = ((xx - x - w / 2) / (w / 2)) ** 2 + ((yy - y - h / 2) / (h / 2)) ** 2 <= 1
            out.append((image, Detection(labels[len(out) % len(labels)], (int(x), int(y), int(x + w), int(y + h)), 0.9, mask)))
    return out


def ratio_line(name: str, batched: tuple[str, float], single: tuple[str, float], unit: str, notes: str) -> str:
    """'<name>: <batched label> X unit vs <single label> Y unit (Z x); notes'."""
    (b_label, b_rate), (s_label, s_rate) = batched, single
    return (f"{name}: {b_label} {b_rate:.2f} {unit} vs {s_label} {s_rate:.2f} {unit} ({b_rate / s_rate:.1f}x); "
            f"{notes}")


# ---------------------------------------------------------------- figures

FIGURES: dict[str, Callable[[Setup], str]] = {}  # name → figure(setup) → its line; run in this order
WORKERS: dict[str, Callable[[Setup], str]] = {}  # name → what one torchrun process runs for a training figure


def figure(name: str, registry: dict[str, Callable[[Setup], str]] = FIGURES):
    def register(fn: Callable[[Setup], str]) -> Callable[[Setup], str]:
        registry[name] = fn
        return fn
    return register


def generation(setup: Setup, name: str, attn: str) -> str:
    """Images/s of `generate` at batch `setup.batch` and at batch 1, on one random-weight policy."""
    from rgbench.policy.generate import GenerationOptions, generate
    from rgbench.prompt_sets import load_prompt_set

    policy = random_policy(setup.janus, setup.device, setup.dtype, attn)
    prompts = [item.prompt for item in load_prompt_set("geneval").items[:setup.batch]]
    keys = [(0, f"gpu-check-{i}", 0) for i in range(setup.batch)]
    opts = GenerationOptions(max_cot_tokens=setup.cot_tokens, cfg_weight=5.0)
    generate(policy, prompts[:2], keys[:2], replace(opts, max_cot_tokens=2))  # warm-up: kernels, allocator
    batched, t_batch = timed(lambda: generate(policy, prompts, keys, opts))
    _, t_single = timed(lambda: [generate(policy, [p], [k], opts)
                                 for p, k in zip(prompts[:setup.singles], keys[:setup.singles])])
    cot = sum(len(r) for r in batched.response_text_ids) / setup.batch
    return ratio_line(f"{name} {short(policy.dtype)}", (f"batch {setup.batch}", setup.batch / t_batch),
                      ("batch 1", setup.singles / t_single), "img/s",
                      f"{setup.janus.name}, random weights, CoT {cot:.0f} + {policy.n_image_tokens} image tokens, "
                      f"cfg 5, {setup.singles} image(s) at batch 1{peak_memory()}")


@figure("generation-sdpa")
def generation_sdpa(setup: Setup) -> str:
    setup.require_cuda("bf16 generation")
    return generation(setup, "generation-sdpa", "sdpa")


@figure("generation-flash-attn")
def generation_flash(setup: Setup) -> str:
    import torch

    setup.require_cuda("flash-attn")
    if not torch.cuda.is_available():
        raise NotRun("flash-attn runs on CUDA only")
    try:
        import flash_attn  # noqa: F401
    except ImportError as err:
        raise NotRun(f"flash_attn is not importable ({err}); pip install 'rgbench[gpu]' to measure it") from err
    return generation(setup, "generation-flash-attn", "flash_attention_2")


@figure("geneval-detector")
def geneval_detector(setup: Setup) -> str:
    """The `mask2former` detector (mmdet's pre/post-processing) on `images` images, batched vs one per call."""
    from rgbench.backends import BackendSpec
    from rgbench.geneval.detection import build_detector

    setup.require_cuda("the GenEval detector figure")
    with tempfile.TemporaryDirectory() as tmp:
        folder = setup.save_mask2former(Path(tmp) / "mask2former")
        detector = build_detector("mask2former", BackendSpec(str(folder), setup.device,
                                                             batch_size=setup.detector_batch))
    images = random_images(setup.images, setup.side)
    detector.detect(images[:2])  # warm-up
    _, t_batch = timed(lambda: detector.detect(images))
    _, t_single = timed(lambda: [detector.detect([image]) for image in images])
    n = setup.images
    return ratio_line(f"geneval-detector {short(detector.dtype)}",
                      (f"batch {setup.detector_batch}", n / t_batch), ("one at a time", n / t_single), "img/s",
                      f"{'Mask2Former Swin-S shape' if not setup.smoke else 'tiny Mask2Former'}, random weights, "
                      f"{n} images {setup.side}², top-100 instances with masks{peak_memory()}")


@figure("geneval-clip")
def geneval_clip(setup: Setup) -> str:
    """The `clip` colour classifier on 4 masked crops per image, `clip_batch` crops per forward vs one per call."""
    from rgbench.backends import BackendSpec
    from rgbench.geneval.detection import build_color_classifier
    from rgbench.geneval.mask2former import geneval_classes

    setup.require_cuda("the GenEval CLIP figure")
    with tempfile.TemporaryDirectory() as tmp:
        folder = setup.save_clip(Path(tmp) / "clip")
        colors = build_color_classifier("clip", BackendSpec(str(folder), setup.device, batch_size=setup.clip_batch))
    labels = geneval_classes()[:4]
    per_image = 4
    objects = object_crops(random_images(setup.images, setup.side), per_image, labels)
    colors.classify(objects[:len(labels)])  # warm-up; caches each class's colour prompts, as a real run does
    _, t_batch = timed(lambda: colors.classify(objects))
    _, t_single = timed(lambda: [colors.classify([obj]) for obj in objects])
    n = setup.images
    precision = f"{short(colors.autocast)}-autocast" if colors.autocast else "fp32"
    return ratio_line(f"geneval-clip {precision}", (f"batch {setup.clip_batch} crops", n / t_batch),
                      ("one crop at a time", n / t_single), "img/s",
                      f"{'CLIP ViT-L/14 shape' if not setup.smoke else 'tiny CLIP'}, random weights, {per_image} "
                      f"masked crops per image ({len(objects)} crops){peak_memory()}")


def torchrun(worker: str, setup: Setup) -> str:
    """Run WORKERS[worker] under `torchrun --nproc-per-node 1`; its last stdout line."""
    setup.require_cuda("NCCL")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "1", __file__,
           "--worker", worker, *(["--smoke"] if setup.smoke else [])]
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        sys.stderr.write(done.stderr[-4000:])
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"torchrun exited with {done.returncode}: {last}")
    return lines[-1]


@figure("sft-fsdp2")
def sft_fsdp2(setup: Setup) -> str:
    return torchrun("sft-fsdp2", setup)


@figure("grpo-fsdp2")
def grpo_fsdp2(setup: Setup) -> str:
    return torchrun("grpo-fsdp2", setup)


# ---------------------------------------------------------------- torchrun workers


def one_rank_context(device):
    """A process group over torchrun's one process, marked distributed so the trainers shard with FSDP2 (on a
    one-rank mesh) and reduce through the backend, as they do with N processes."""
    import torch
    import torch.distributed as dist
    from torch.distributed.device_mesh import init_device_mesh

    from rgbench.train.distributed import DistContext

    @dataclass
    class OneRankContext(DistContext):
        @property
        def enabled(self) -> bool:  # rgbench's own rule is world > 1
            return True

    if "LOCAL_RANK" not in os.environ:
        raise RuntimeError("the training figures' workers run under torchrun")
    if device.type == "cuda":
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return OneRankContext(dist.get_rank(), dist.get_world_size(), init_device_mesh(device.type, (dist.get_world_size(),)))


def train_setting(setup: Setup):
    """(device, process-group context, tiny Janus policy in fp32 weights, scratch folder)."""
    import torch

    from rgbench.policy.model import load_policy
    from rgbench.policy.tiny import save_tiny_hf_janus

    device = torch.device(setup.device)
    ctx = one_rank_context(device)
    device = ctx.device(device)
    scratch = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    policy = load_policy(save_tiny_hf_janus(scratch / "janus"), device=str(device), dtype="fp32")
    return device, ctx, policy, scratch


def fsdp_note(model: Any) -> str:
    import torch.distributed as dist

    kind = type(next(model.parameters())).__name__  # DTensor once fully_shard has wrapped the model
    return f"{dist.get_world_size()} rank, {dist.get_backend()}, params {kind}"


@figure("sft-fsdp2", registry=WORKERS)
def sft_worker(setup: Setup) -> str:
    """Two SFTTrainer steps on the tiny Janus (bf16 autocast on GPU, as `train sft`'s precision auto)."""
    import random

    import torch.distributed as dist

    from rgbench.devices import autocast_for
    from rgbench.train.sft import SFTOptions, SFTTrainer
    from rgbench.train.sft_data import SFTRecord

    device, ctx, policy, _ = train_setting(setup)
    rng = random.Random(0)
    codebook = policy.image_tokenizer.codebook_size
    records = [SFTRecord(f"r{k}", f"a photo of {k} cats", f"cat r{k % 4} c{k % 3} .",
                         [rng.randrange(codebook) for _ in range(policy.n_image_tokens)]) for k in range(8)]
    autocast = autocast_for("auto", device)
    trainer = SFTTrainer(policy, records, SFTOptions(steps=2, micro_batch=4, lr=1e-3, warmup_ratio=0.0), ctx=ctx,
                         autocast=autocast)
    first = trainer.train_step()
    second, seconds = timed(trainer.train_step)
    note = fsdp_note(trainer.model)
    dist.destroy_process_group()
    precision = f"{short(autocast)}-autocast" if autocast else "fp32"
    return (f"sft-fsdp2 {dist_name(device)}: step 2 in {seconds * 1000:.0f} ms, loss {first['loss']:.3f} → "
            f"{second['loss']:.3f}, grad norm {second['grad_norm']:.3f}; {note}, tiny Janus, {precision}")


@figure("grpo-fsdp2", registry=WORKERS)
def grpo_worker(setup: Setup) -> str:
    """One GRPOTrainer step: tiny Janus rollouts judged by the tiny Qwen2.5-VL (P(yes)), PPO update under FSDP2."""
    import torch.distributed as dist

    from rgbench.policy.generate import GenerationOptions
    from rgbench.train.grpo import AdaptiveEntropyOptions, EntropyOptions, GRPOOptions, GRPOTrainer
    from rgbench.train.rewards import build_reward
    from rgbench.vlm.tiny import save_tiny_qwen_vl

    device, ctx, policy, scratch = train_setting(setup)
    qwen = save_tiny_qwen_vl(scratch / "qwen")
    judge = build_reward([{"name": "qwen_vl", "options": {"model": str(qwen), "mode": "p_yes", "device": str(device),
                                                          "min_pixels": 32 * 32, "batch_size": 8}}])
    opts = GRPOOptions(steps=1, prompts_per_step=2, samples_per_prompt=4, mini_batch_prompts=1, micro_batch=4,
                       lr=1e-3, max_generation_batches=2, on_filter_exhausted="train_on_kept",
                       generation=GenerationOptions(cot=True, cfg_weight=1.0, max_cot_tokens=6),
                       entropy=EntropyOptions("adaptive", adaptive=AdaptiveEntropyOptions(1.0, 2.0)))
    prompts = [("a", "a red circle"), ("b", "two squares"), ("c", "a white ring")]
    trainer = GRPOTrainer(policy, prompts, judge, opts, ctx)
    (row, _), seconds = timed(trainer.train_step)
    note = fsdp_note(trainer.model)
    dist.destroy_process_group()
    grad = f"{row['grad_norm']:.3f}" if row["grad_norm"] is not None else "none"
    return (f"grpo-fsdp2 {dist_name(device)}: step in {seconds:.2f} s (rollout {row['seconds_rollout']:.2f}, "
            f"reward {row['seconds_reward']:.2f}, update {row['seconds_update']:.2f}), reward mean "
            f"{row['reward_mean']:.3f}, kept groups {row['kept_groups']}/{opts.prompts_per_step}, grad norm {grad}; "
            f"{note}, tiny Janus fp32 + tiny Qwen2.5-VL judge")


def dist_name(device) -> str:
    return "nccl" if device.type == "cuda" else "gloo"


# ---------------------------------------------------------------- entry point


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("figure", nargs="?", help="one figure's name (see --list)")
    ap.add_argument("--list", action="store_true", help="print the figure names, in run order")
    ap.add_argument("--smoke", action="store_true", help="tiny shapes on the CPU (fp32, gloo): a test of the script")
    ap.add_argument("--worker", help=argparse.SUPPRESS)  # a training figure's torchrun process
    args = ap.parse_args()
    if args.list:
        print("\n".join(FIGURES))
        return
    setup = SMOKE if args.smoke else GPU
    if args.worker:
        line = WORKERS[args.worker](setup)
        if os.environ.get("RANK", "0") == "0":
            print(line, flush=True)
        return
    if args.figure not in FIGURES:
        ap.error(f"unknown figure {args.figure!r}; choose one of {', '.join(FIGURES)}")
    try:
        line = FIGURES[args.figure](setup)
    except NotRun as why:
        line = f"{args.figure}: not run: {why}"
    print(line, flush=True)


if __name__ == "__main__":
    main()
