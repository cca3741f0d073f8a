"""The `rgbench` command line: each command resolves its config, calls one library function, and says where
its results went. Commands appear here when they work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from rgbench import __version__
from rgbench.console import console, fail, warn

app = typer.Typer(name="rgbench", no_args_is_help=True, add_completion=False,
                  help="Train and judge chain-of-thought text-to-image models (ReasonGen-R1), "
                       "with GenEval, DPG-Bench and T2I-CompBench.")
runs_app = typer.Typer(no_args_is_help=True, help="Inspect the run store (results/<run-id>/).")
config_app = typer.Typer(no_args_is_help=True, help="List config presets and print resolved configs.")
eval_app = typer.Typer(no_args_is_help=True, help="Score generated images on a benchmark (official folder layouts).")
app.add_typer(eval_app, name="eval")
train_app = typer.Typer(no_args_is_help=True, help="Train the policy: SFT (CoT + image), GRPO to come.")
app.add_typer(train_app, name="train")
app.add_typer(runs_app, name="runs")
app.add_typer(config_app, name="config")
analyze_app = typer.Typer(no_args_is_help=True, help="Analyses of generated CoTs and runs (the paper's figures).")
app.add_typer(analyze_app, name="analyze")

from rgbench.toy.cli import toy_app  # noqa: E402  (light: heavy imports live inside its commands)

app.add_typer(toy_app, name="toy")


# Options shared by commands that take a config / write a run.
ConfigOpt = Annotated[str | None, typer.Option("--config", "-c", help="Preset name or YAML path.")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", "-s", help="Override, e.g. --set world.n_classes=6 (repeatable).")]
ResultsOpt = Annotated[Path | None, typer.Option("--results", help="Run store root [default: $RGBENCH_RESULTS or ./results].")]
TrainDeviceOpt = Annotated[str | None, typer.Option("--device", help="cpu, cuda [default: cuda if present].")]
RunIdOpt = Annotated[str | None, typer.Option("--run-id", help="Run folder name [default: from the config].")]
StopAfterOpt = Annotated[int | None, typer.Option(
    "--stop-after", help="Train at most N steps now, checkpoint and stop (status paused); rerun to continue.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def version_callback(value: bool) -> None:
    if value:
        console.print(f"rgbench {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars; warnings and errors only.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    from rgbench.progress import set_quiet

    set_quiet(quiet)


@app.command("generate")
def generate_cmd(
    model: Annotated[str, typer.Option("--model", "-m", help="Model name (toy-init, janus-pro-7b, reasongen-r1, ...), id or folder.")],
    benchmark: Annotated[str, typer.Option("--benchmark", "-b", help="geneval | dpg | t2i[:category] | toy-geneval | toy-dpg | toy-t2i[:category].")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (official layout + cot.jsonl + generation.json).")],
    n: Annotated[int, typer.Option("--n", help="Images per prompt (GenEval 4, DPG 4 as a 2×2 grid, T2I 1 in ReasonGen-R1).")] = 4,
    cot: Annotated[bool, typer.Option("--cot/--no-cot", help="Write a CoT before the image (--no-cot: plain Janus-Pro prompt).")] = True,
    cfg: Annotated[float, typer.Option("--cfg", help="Classifier-free guidance weight on image logits (1 = none).")] = 5.0,
    seed: Annotated[int, typer.Option("--seed", help="Base seed; each (prompt, sample) gets its own stream.")] = 0,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N prompts.")] = None,
    shard: Annotated[str, typer.Option("--shard", help="i/N: this process takes every N-th prompt from i.")] = "0/1",
    batch_size: Annotated[int, typer.Option("--batch-size", help="Rows (prompt × sample) per forward pass.")] = 16,
    max_cot_tokens: Annotated[int, typer.Option("--max-cot-tokens", help="CoT budget in tokens.")] = 448,
    temperature: Annotated[float, typer.Option("--temperature", help="CoT sampling temperature (0 = greedy).")] = 1.0,
    top_k: Annotated[int | None, typer.Option("--top-k", help="CoT top-k (default: full distribution).")] = None,
    image_temperature: Annotated[float, typer.Option("--image-temperature", help="Image-token temperature.")] = 1.0,
    image_top_k: Annotated[int | None, typer.Option("--image-top-k", help="Image-token top-k.")] = None,
    device: Annotated[str | None, typer.Option("--device", help="cpu, cuda, cuda:1 [default: cuda if present].")] = None,
    dtype: Annotated[str, typer.Option("--dtype", help="auto (bf16 on GPU, fp32 on CPU), fp32, bf16, fp16.")] = "auto",
    attn: Annotated[str, typer.Option("--attn", help="Attention kernel: sdpa, eager, flash_attention_2.")] = "sdpa",
    template: Annotated[str | None, typer.Option("--template", help="User-turn template with {} for the prompt "
                        "[default: the model's; ReasonGen-R1: 'A photo of {}. Output a richly detailed prompt: ', "
                        "--no-cot: 'A photo of {}.'].")] = None,
    weights_dir: Annotated[Path | None, typer.Option("--weights-dir", help="Local weights folder [default: $RGBENCH_WEIGHTS].")] = None,
    plans: Annotated[str, typer.Option("--plans", help="sampled (the model writes its CoT) | gold (toy prompts: a "
                     "correct plan from the toy's plan writer replaces the CoT: the plan-following probe).")] = "sampled",
) -> None:
    """Generate a benchmark's images (CoT → image) in its official folder layout; rerun to resume."""
    from rgbench.generation import (
        GenerateSettings,
        GenerationError,
        environment_provenance,
        generate_to_folder,
    )
    from rgbench.policy.generate import GenerationOptions
    from rgbench.policy.model import PolicyLoadError
    from rgbench.policy.zoo import open_policy
    from rgbench.prompt_sets import load_prompt_set
    from rgbench.registry import RegistryError
    from rgbench.sharding import parse_shard
    from rgbench.weights import WeightsNotFound

    try:
        prompt_set = load_prompt_set(benchmark)
        shard_ij = parse_shard(shard)
        opts = GenerationOptions(cot=cot, cfg_weight=cfg, max_cot_tokens=max_cot_tokens, text_temperature=temperature,
                                 text_top_k=top_k, image_temperature=image_temperature, image_top_k=image_top_k)
        settings = GenerateSettings(model, prompt_set.name, prompt_set.version, n, seed, opts, plans=plans)
        policy = open_policy(model, device=device, dtype=dtype, attn_implementation=attn, weights_dir=weights_dir)
        if template is not None:
            if "{}" not in template:
                raise ValueError(f"--template needs a {{}} for the prompt: {template!r}")
            setattr(policy.spec.prompt, "cot_template" if cot else "plain_template", template)
        report = generate_to_folder(policy, prompt_set, out, settings, batch_size=batch_size, limit=limit,
                                    shard=shard_ij, provenance={**environment_provenance(), "device": str(policy.device),
                                                                "dtype": str(policy.dtype), "attn": attn})
    except (RegistryError, ValueError, WeightsNotFound, PolicyLoadError, GenerationError) as err:
        fail(str(err))
    console.print(f"{report.generated} prompts generated, {report.skipped} already done "
                  f"({report.images} images, {report.images_per_second:.1f} images/s) → {out}", highlight=False)


def parse_options(items: list[str] | None) -> dict[str, str]:
    """--option key=value (repeatable) → dict; values stay strings for the benchmark to type-check."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            fail(f"--option '{item}' is not key=value")
        out[key.strip()] = value.strip()
    return out


@eval_app.command("geneval")
def eval_geneval_cmd(
    images: Annotated[Path | None, typer.Option("--images", "-i", help="GenEval folder: <00012>/metadata.jsonl + samples/<0000>.png.")] = None,
    detections: Annotated[list[Path] | None, typer.Option("--detections", "-d", help="Re-score these detections files "
                          "instead of running a detector (repeat to merge shards).")] = None,
    backend: Annotated[str, typer.Option("--backend", "-b", help="toy | mask2former (+ CLIP, transformers) | mmdet (+ open_clip, the official stack).")] = "toy",
    detector: Annotated[str | None, typer.Option("--detector", help="Override the backend's detector.")] = None,
    colors: Annotated[str | None, typer.Option("--colors", help="Override the backend's colour classifier (toy, clip, open_clip).")] = None,
    detector_model: Annotated[str | None, typer.Option("--detector-model", help="Detector weights: id or folder (mmdet: the .pth).")] = None,
    color_model: Annotated[str | None, typer.Option("--color-model", help="CLIP weights: id or folder [default: openai/clip-vit-large-patch14].")] = None,
    option: Annotated[list[str] | None, typer.Option("--option", "-o", help="Official scoring option key=value: threshold, "
                      "counting_threshold, max_objects, max_overlap, position_threshold.")] = None,
    floor: Annotated[float, typer.Option("--floor", help="Write detections with score ≥ this (≤ every threshold).")] = 0.1,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N prompt folders.")] = None,
    shard: Annotated[str, typer.Option("--shard", help="i/N: every N-th prompt folder from i; merge with --detections.")] = "0/1",
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Images per detector forward [default: 8 on a "
                          "GPU, 1 on a CPU, where batching measured slower].")] = None,
    color_batch_size: Annotated[int, typer.Option("--color-batch-size", help="Crops per CLIP forward (official: 16).")] = 16,
    device: Annotated[str | None, typer.Option("--device", help="cpu, cuda, cuda:1 [default: cuda if present].")] = None,
    dtype: Annotated[str, typer.Option("--dtype", help="auto (detector fp32; CLIP fp16 autocast on GPU as official), fp32, fp16, bf16.")] = "auto",
    weights_dir: Annotated[Path | None, typer.Option("--weights-dir", help="Local weights folder [default: $RGBENCH_WEIGHTS].")] = None,
    run_id: Annotated[str | None, typer.Option("--run-id", help="Run folder name [default: from the folder and config].")] = None,
    root: ResultsOpt = None,
) -> None:
    """GenEval: detect objects, apply the official rules, write results.jsonl, summary.json and table.md.

    Rerun the same command to resume; `--detections` re-scores saved detections without loading a model."""
    from rgbench.backends import BackendSpec
    from rgbench.geneval.detections import DetectionsError
    from rgbench.geneval.evaluate import BACKENDS, RESULTS_FILE, Batching, GenEvalConfig, evaluate_run
    from rgbench.registry import RegistryError, did_you_mean
    from rgbench.runs import Run, RunError, default_run_id
    from rgbench.sharding import parse_shard
    from rgbench.weights import WeightsNotFound

    if images is None and not detections:
        fail("give --images DIR (detect and score) or --detections FILE (re-score; --images then only finds metadata)")
    if backend not in BACKENDS:
        fail(f"unknown --backend '{backend}'{did_you_mean(backend, list(BACKENDS))}; known: {', '.join(BACKENDS)}")
    try:
        parse_shard(shard)
    except ValueError as err:
        fail(str(err))
    det_name, col_name = BACKENDS[backend]
    cfg = GenEvalConfig(images=str(images) if images else None, detections=[str(p) for p in detections or []],
                        detector=detector or det_name, detector_model=detector_model, colors=colors or col_name,
                        color_model=color_model, dtype=dtype, options=parse_options(option), floor=floor, limit=limit,
                        shard=shard)
    name = Path(cfg.images).name if cfg.images else Path(cfg.detections[0]).parent.name or "detections"
    rid = run_id or default_run_id("eval-geneval", name, cfg)
    try:
        with Run.open(root, rid, cfg, kind="eval-geneval", seed=None, device=device or "auto",
                      provenance={"benchmark": "geneval"}, samples_file=RESULTS_FILE) as run:
            summary = evaluate_run(run, cfg, BackendSpec(device=device, dtype=dtype, weights_dir=weights_dir),
                                   Batching(detector=batch_size, color=color_batch_size))
    except (RunError, RegistryError, ValueError, FileNotFoundError, ImportError, DetectionsError, WeightsNotFound) as err:
        fail(str(err))
    print_geneval(summary, run.dir)


def print_geneval(summary: dict, run_dir: Path) -> None:
    table = Table("task", "accuracy", "correct / images", title="GenEval")
    for tag, entry in summary["tasks"].items():
        table.add_row(tag, f"{entry['accuracy']:.4f}", f"{entry['correct']} / {entry['images']}")
    overall = summary["overall"]
    table.add_row("[bold]overall[/bold] (mean of tasks)", "–" if overall is None else f"[bold]{overall:.5f}[/bold]", "")
    console.print(table)
    console.print(f"{summary['images']} images, {summary['prompts']} prompts; correct images "
                  f"{(summary['correct_images'] or 0):.2%}, correct prompts {(summary['correct_prompts'] or 0):.2%}",
                  highlight=False)
    for warning in summary["warnings"]:
        warn(warning)
    console.print(f"results → {run_dir}/results.jsonl, summary.json, table.md; detections → {run_dir}/raw/detections.jsonl",
                  highlight=False)


@eval_app.command("dpg")
def eval_dpg_cmd(
    questions: Annotated[Path, typer.Option("--questions", help="DPG-Bench's dpg_bench.csv (from the ELLA repo; "
                         "not shipped), or the toy set's rgbench/toy/data/dpg/dpg_bench.csv.")],
    images: Annotated[Path | None, typer.Option("--images", "-i", help="Flat folder of <item_id>.<ext> images, 4 samples "
                      "tiled 2×2 (`rgbench generate -b dpg` writes it).")] = None,
    answers: Annotated[list[Path] | None, typer.Option("--answers", "-a", help="Re-score these answers files instead of "
                       "asking a model (repeat to merge shards).")] = None,
    backend: Annotated[str, typer.Option("--backend", "-b", help="VQA model: toy | qwen_vl | blip | mplug (official; "
                       "needs ModelScope).")] = "toy",
    model: Annotated[str | None, typer.Option("--model", "-m", help="Weights: a size (qwen_vl: 3B, 7B; blip: base, "
                     "capfilt-large), a hub id or a folder [default: the backend's].")] = None,
    mode: Annotated[str, typer.Option("--mode", help="corrected (default) or official (the ELLA script's quirks: "
                    "first CSV row skipped, categories from the last tile, failed images left out).")] = "corrected",
    pic_num: Annotated[int, typer.Option("--pic-num", help="Tiles per image: 4 (2×2 grid, official) or 1.")] = 4,
    resolution: Annotated[int | None, typer.Option("--resolution", help="Tile side in px [default: inferred from "
                          "each image].")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N items of the question file.")] = None,
    shard: Annotated[str, typer.Option("--shard", help="i/N: every N-th item from i; merge with --answers.")] = "0/1",
    batch_size: Annotated[int, typer.Option("--batch-size", help="(image, question) pairs per model call.")] = 16,
    device: Annotated[str | None, typer.Option("--device", help="cpu, cuda [default: cuda if present].")] = None,
    dtype: Annotated[str, typer.Option("--dtype", help="auto (bf16/fp16 on GPU, fp32 on CPU), fp32, fp16, bf16.")] = "auto",
    weights_dir: Annotated[Path | None, typer.Option("--weights-dir", help="Local weights folder [default: $RGBENCH_WEIGHTS].")] = None,
    run_id: Annotated[str | None, typer.Option("--run-id", help="Run folder name [default: from the folder and config].")] = None,
    root: ResultsOpt = None,
) -> None:
    """DPG-Bench: ask every question of every tile, apply the dependency rule, write results.jsonl, summary.json
    and table.md. Rerun the same command to resume; `--answers` re-scores saved answers without a model."""
    from rgbench.backends import BackendSpec
    from rgbench.dpg.evaluate import RESULTS_FILE, DPGConfig, evaluate_run
    from rgbench.dpg.questions import QuestionFileError
    from rgbench.dpg.scoring import MODES
    from rgbench.dpg.tiles import PIC_NUMS
    from rgbench.dpg.vqa import VQA_MODELS
    from rgbench.registry import RegistryError, did_you_mean
    from rgbench.runs import Run, RunError, default_run_id
    from rgbench.sharding import parse_shard
    from rgbench.weights import WeightsNotFound

    if images is None and not answers:
        fail("give --images DIR (ask a VQA model and score) or --answers FILE (re-score saved answers)")
    if backend not in VQA_MODELS:
        fail(f"unknown --backend '{backend}'{did_you_mean(backend, VQA_MODELS.names())}; known: {', '.join(VQA_MODELS)}")
    if mode not in MODES:
        fail(f"unknown --mode '{mode}'; known: {', '.join(MODES)}")
    if pic_num not in PIC_NUMS:
        fail(f"--pic-num must be 1 or 4, not {pic_num}")
    try:
        parse_shard(shard)
    except ValueError as err:
        fail(str(err))
    cfg = DPGConfig(questions=str(questions), images=str(images) if images else None,
                    answers=[str(p) for p in answers or []], backend=backend, model=model, dtype=dtype, mode=mode,
                    pic_num=pic_num, resolution=resolution, limit=limit, shard=shard)
    name = Path(cfg.images).name if cfg.images else Path(cfg.answers[0]).parent.name or "answers"
    rid = run_id or default_run_id("eval-dpg", name, cfg)
    try:
        with Run.open(root, rid, cfg, kind="eval-dpg", seed=None, device=device or "auto",
                      provenance={"benchmark": "dpg"}, samples_file=RESULTS_FILE) as run:
            summary = evaluate_run(run, cfg, BackendSpec(model, device, dtype, weights_dir, batch_size))
    except (RunError, RegistryError, ValueError, FileNotFoundError, ImportError, QuestionFileError,
            WeightsNotFound) as err:
        fail(str(err))
    print_dpg(summary, run.dir)


def print_dpg(summary: dict, run_dir: Path) -> None:
    table = Table("category", "score", title=f"DPG-Bench ({summary['mode']} mode)")
    for name, value in summary["l1"].items():
        table.add_row(name, "–" if value is None else f"{value:.2f}")
    overall = summary["overall"]
    table.add_row("[bold]overall[/bold]", "–" if overall is None else f"[bold]{overall:.2f}[/bold]")
    console.print(table)
    console.print(f"{summary['scored']} items scored, {summary['failed']} failed "
                  f"({'counted as 0' if summary['counted_as_zero'] else 'left out'})", highlight=False)
    for warning in summary["warnings"]:
        warn(warning)
    console.print(f"results → {run_dir}/results.jsonl, summary.json, table.md; answers → {run_dir}/raw/answers.jsonl",
                  highlight=False)


@eval_app.command("t2i")
def eval_t2i_cmd(
    images: Annotated[Path | None, typer.Option("--images", "-i", help="Folder of <category>/samples/<prompt>_<NNNNNN>.png "
                      "(`rgbench generate -b t2i` writes it), or one category folder.")] = None,
    raw: Annotated[Path | None, typer.Option("--raw", help="Re-score an earlier run's raw/ folder (no model, no images).")] = None,
    category: Annotated[str, typer.Option("--category", help="color, shape, texture, spatial, non_spatial, numeracy, "
                        "complex, or all.")] = "all",
    prompts: Annotated[str | None, typer.Option("--prompts", help="Prompt set the images come from: t2i or toy-t2i "
                       "[default: the folder's generation.json, else t2i].")] = None,
    backend: Annotated[str, typer.Option("--backend", "-b", help="toy, or hf (BLIP VQA + CLIP ViT-B/32 + Mask2Former via "
                       "transformers).")] = "toy",
    vqa_model: Annotated[str | None, typer.Option("--vqa-model", help="BLIP weights [default: capfilt-large].")] = None,
    clip_backend: Annotated[str, typer.Option("--clip-backend", help="clip (transformers CLIPModel) or open_clip "
                            "(optional extra; --clip-model is then its checkpoint file).")] = "clip",
    clip_model: Annotated[str | None, typer.Option("--clip-model", help="CLIP weights [default: openai/clip-vit-base-patch32].")] = None,
    detector_model: Annotated[str | None, typer.Option("--detector-model", help="Detector weights (Mask2Former).")] = None,
    mode: Annotated[str, typer.Option("--mode", help="corrected (default) or official (\"on top of\" scores pos 0).")] = "corrected",
    chunker: Annotated[str, typer.Option("--chunker", help="auto (spaCy when installed), builtin, spacy.")] = "auto",
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N images of each category.")] = None,
    shard: Annotated[str, typer.Option("--shard", help="i/N: every N-th image from i.")] = "0/1",
    batch_size: Annotated[int, typer.Option("--batch-size", help="Pairs per model call.")] = 16,
    device: Annotated[str | None, typer.Option("--device", help="cpu, cuda [default: cuda if present].")] = None,
    dtype: Annotated[str, typer.Option("--dtype", help="auto, fp32, fp16, bf16.")] = "auto",
    weights_dir: Annotated[Path | None, typer.Option("--weights-dir", help="Local weights folder [default: $RGBENCH_WEIGHTS].")] = None,
    run_id: Annotated[str | None, typer.Option("--run-id", help="Run folder name [default: from the folder and config].")] = None,
    root: ResultsOpt = None,
) -> None:
    """T2I-CompBench: BLIP-VQA per noun phrase, CLIP similarity and detector rules per category; per-category
    results.jsonl and summary.json, a table in the paper's columns. Rerun to resume; `--raw` re-scores."""
    from rgbench.backends import BackendSpec
    from rgbench.layouts import generation_provenance
    from rgbench.registry import RegistryError
    from rgbench.runs import Run, RunError, default_run_id
    from rgbench.sharding import parse_shard
    from rgbench.t2i.evaluate import BACKENDS, T2IConfig, categories_of, evaluate_run
    from rgbench.t2i.rules import MODES
    from rgbench.weights import WeightsNotFound

    if images is None and raw is None:
        fail("give --images DIR (run the models and score) or --raw DIR (re-score an earlier run's raw/ folder)")
    if backend not in BACKENDS:
        fail(f"unknown --backend '{backend}'; known: {', '.join(BACKENDS)}")
    if mode not in MODES:
        fail(f"unknown --mode '{mode}'; known: {', '.join(MODES)}")
    if clip_backend not in ("clip", "open_clip"):
        fail(f"--clip-backend must be clip or open_clip, not {clip_backend!r}")
    chosen = prompts or _prompt_set_of(images) or "t2i"
    if chosen not in ("t2i", "toy-t2i"):
        fail(f"--prompts must be t2i or toy-t2i, not {chosen!r}")
    cfg = T2IConfig(images=str(images) if images else None, raw=str(raw) if raw else None, category=category,
                    prompts=chosen, backend=backend, vqa_model=vqa_model, clip_backend=clip_backend, clip_model=clip_model,
                    detector_model=detector_model, dtype=dtype, mode=mode, limit=limit, shard=shard, chunker=chunker)
    try:
        parse_shard(shard)
        categories_of(cfg)
    except ValueError as err:
        fail(str(err))
    name = Path(cfg.images).name if cfg.images else Path(cfg.raw).parent.name
    rid = run_id or default_run_id("eval-t2i", name, cfg)
    try:
        with Run.open(root, rid, cfg, kind="eval-t2i", seed=None, device=device or "auto",
                      provenance={"benchmark": "t2i", **generation_provenance(cfg.images)}) as run:
            summary = evaluate_run(run, cfg, BackendSpec(None, device, dtype, weights_dir, batch_size))
    except (RunError, RegistryError, ValueError, FileNotFoundError, ImportError, WeightsNotFound) as err:
        fail(str(err))
    table = Table("category", "score", "images", "failed", title=f"T2I-CompBench ({summary['mode']} mode)")
    for cat, entry in summary["categories"].items():
        mark = "" if entry["official_detector"] else " †"
        table.add_row(cat + mark, "–" if entry["score"] is None else f"{entry['score']:.4f}", str(entry["images"]),
                      str(entry["failed"]))
    console.print(table)
    if summary["non_official"]:
        warn("† scored with a GenEval detector instead of UniDet: not comparable with published numbers")
    console.print(f"results → {run.dir}/<category>/results.jsonl, summary.json, table.md; raw → {run.dir}/raw/",
                  highlight=False)


def _prompt_set_of(images: Path | None) -> str | None:
    """The prompt set an image folder was generated from (its generation.json), without a category."""
    from rgbench.layouts import generation_provenance

    name = str(generation_provenance(images).get("prompt_set", ""))
    return name.split(":")[0] or None


@analyze_app.command("cot-words")
def analyze_cot_words_cmd(
    sources: Annotated[list[Path], typer.Argument(help="cot.jsonl files, GRPO rollouts/step_*.jsonl files, or folders "
                      "holding them (a generation folder, a GRPO run).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("analysis/cot-words"),
    min_share: Annotated[float, typer.Option("--min-share", help="Keep words in at least this share of CoTs.")] = 0.2,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N CoTs (the paper used 1,000).")] = None,
    stopwords: Annotated[str, typer.Option("--stopwords", help="builtin (English list) or none.")] = "builtin",
    drop_function_words: Annotated[int, typer.Option("--drop-function-words", help="Also drop this many of the most "
                                   "common function words left.")] = 3,
) -> None:
    """The CoT word-frequency figure: share of CoTs containing each word, as CSV, PNG and SVG."""
    from rgbench.analysis.cot_words import analyze

    try:
        summary = analyze(sources, out, min_share, limit, stopwords, drop_function_words)
    except (ValueError, FileNotFoundError) as err:
        fail(str(err))
    table = Table("word", "share of CoTs", title=f"{summary['cots']} CoTs")
    for w in summary["words"]:
        table.add_row(w["word"], f"{w['share']:.1%}")
    console.print(table)
    console.print(f"→ {out}/cot_words.csv, cot_words.png, cot_words.svg, summary.json", highlight=False)


@analyze_app.command("plans")
def analyze_plans_cmd(
    folders: Annotated[list[Path], typer.Argument(help="Toy generation folders (rgbench generate, CoT mode).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: <label>.jsonl per folder, plans.md, plans.json.")] = Path("plans"),
    labels: Annotated[list[str] | None, typer.Option("--label", help="Name per folder [default: folder names].")] = None,
) -> None:
    """Do toy images follow their own plans? Per tag: plan parses, plan satisfies the prompt, image equals its plan,
    per planned object (cell, colour, shape, all three), image satisfies the prompt."""
    from rgbench.toy.plans import markdown, write_diagnosis

    try:
        summaries = write_diagnosis(folders, out, labels)
    except (FileNotFoundError, ValueError) as err:
        fail(str(err))
    for label, summary in summaries.items():
        console.print(markdown(summary, label), markup=False, highlight=False, soft_wrap=True)
    console.print(f"records → {out}/<label>.jsonl; tables → {out}/plans.md", highlight=False, soft_wrap=True)


@analyze_app.command("curves")
def analyze_curves_cmd(
    runs: Annotated[list[Path], typer.Argument(help="GRPO run folders (each with metrics.jsonl).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("analysis/curves"),
    labels: Annotated[list[str] | None, typer.Option("--label", help="A label per run, in order [default: folder names].")] = None,
    smooth: Annotated[int, typer.Option("--smooth", help="Trailing moving average over this many steps.")] = 5,
) -> None:
    """Reward, text / image entropy and the adaptive coefficients vs step, one line per run (PNG and SVG), and a
    table of each run's entropies against the adaptive targets (curves.md)."""
    from rgbench.analysis.curves import band_markdown, plot_curves, read_run
    from rgbench.results import write_atomic

    if labels and len(labels) != len(runs):
        fail(f"{len(labels)} --label for {len(runs)} runs")
    try:
        curves = [read_run(r, (labels or [None] * len(runs))[k]) for k, r in enumerate(runs)]
        for suffix in ("png", "svg"):
            plot_curves(curves, out / f"curves.{suffix}", smooth)
        table = band_markdown(curves)
        write_atomic(out / "curves.md", table)
    except (ValueError, FileNotFoundError) as err:
        fail(str(err))
    console.print(table, markup=False, highlight=False, soft_wrap=True)
    console.print(f"→ {out}/curves.png, curves.svg, curves.md ({len(curves)} runs)", highlight=False)


@app.command("tables")
def tables_cmd(
    specs: Annotated[list[Path], typer.Argument(help="Table specs (YAML: benchmark, rows of label + runs or quoted "
                     "values; see rgbench/analysis/tables.py).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("tables"),
    bars: Annotated[bool, typer.Option("--bars/--no-bars", help="Also draw per-task bars (PNG + SVG).")] = True,
) -> None:
    """Paper-style tables from evaluation runs: mean ± std over seeds, quoted reference rows marked; Markdown,
    CSV and LaTeX per spec, and a per-task bar chart."""
    import yaml

    from rgbench.analysis.bars import write_bars
    from rgbench.analysis.tables import build_rows, markdown, write_table_files

    for spec_path in specs:
        try:
            spec = yaml.safe_load(spec_path.read_text()) or {}
            kind, rows = build_rows(spec)
        except (ValueError, FileNotFoundError, KeyError, yaml.YAMLError) as err:
            fail(f"{spec_path}: {err}")
        title = str(spec.get("title", ""))
        write_table_files(out / spec_path.stem, kind, rows, title)
        if bars:
            write_bars(out / f"{spec_path.stem}-bars", kind, rows, title)
        console.print(markdown(kind, rows, title), markup=False, highlight=False, soft_wrap=True)
    console.print(f"→ {out}/", highlight=False)


@app.command("reproduce")
def reproduce_cmd(
    preset: Annotated[str, typer.Option("--preset", "-p", help="toy-quick (minutes), toy (the toy paper), paper "
                      "(the real plan; needs GPUs and weights).")] = "toy",
    seeds: Annotated[int | None, typer.Option("--seeds", help="Seeds per stage [default: the preset's].")] = None,
    overrides: SetOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder [default: results/reproduce-<preset>].")] = None,
    device: TrainDeviceOpt = None,
    check: Annotated[bool, typer.Option("--check", help="Check, without a GPU or loading a model, that every stage's "
                     "config, weights and data are here; print the training stages' torchrun commands.")] = False,
) -> None:
    """The whole paper: base → SFT → GRPO arms → generation + evaluation on three benchmarks → CoT words →
    tables → entropy curves. Every stage resumes; rerun the same command after an interruption."""
    from rgbench.catalog import load_catalog
    from rgbench.config import ConfigError, load_config
    from rgbench.policy.model import PolicyLoadError
    from rgbench.registry import RegistryError
    from rgbench.reproduce import reproduce
    from rgbench.runs import RunError, results_root
    from rgbench.weights import WeightsNotFound

    load_catalog()
    try:
        cfg = load_config("reproduce", preset, [*(overrides or []), *([f"seeds={seeds}"] if seeds else [])])
        root = out or results_root() / f"reproduce-{preset}"
        if check:
            from rgbench.preflight import preflight, report

            found = preflight(cfg, root)
            console.print(report(found, preset), markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1 if found.missing else 0)
        summary = reproduce(cfg, root, device, say=lambda m: console.print(m, highlight=False))
    except (ConfigError, RegistryError, RunError, PolicyLoadError, WeightsNotFound, ValueError, FileNotFoundError,
            ImportError) as err:
        fail(str(err))
    for bench, table in summary["tables"].items():
        console.print(Path(table).read_text(), markup=False, highlight=False, soft_wrap=True)
    console.print(f"→ {root}/summary.json, tables/, curves/, cot-words/, report/index.html", highlight=False)


@app.command("report")
def report_cmd(
    folder: Annotated[Path, typer.Argument(help="A reproduction folder (`rgbench reproduce --out`).")],
    gallery: Annotated[int, typer.Option("--gallery", help="GenEval images shown per model.")] = 12,
) -> None:
    """A static HTML report of a reproduction: tables, figures, and a gallery of images with prompt, CoT and
    verdict (folder/report/index.html)."""
    from rgbench.analysis.report import write_report

    try:
        page = write_report(folder, gallery)
    except (FileNotFoundError, KeyError, ValueError) as err:
        fail(f"{folder}: {err}")
    console.print(f"→ {page}", highlight=False)


@app.command("publish")
def publish_cmd(
    folder: Annotated[Path, typer.Argument(help="A finished reproduction folder (`rgbench reproduce --out`).")],
    dest: Annotated[Path, typer.Argument(help="Where to publish it, e.g. results/toy (an earlier publication there is replaced).")],
    command: Annotated[str, typer.Option("--command", help="The command that made the reproduction (recorded in "
                       "PROVENANCE.md).")] = "rgbench reproduce",
    max_file_mb: Annotated[float, typer.Option("--max-file-mb", help="Leave out files larger than this.")] = 5.0,
    raw: Annotated[bool, typer.Option("--raw", help="Also the per-item records (results, raw model outputs, "
                   "rollouts, CoTs).")] = False,
) -> None:
    """Copy a reproduction's tables, figures, report and per-run summaries (with --raw also per-item records; never
    weights or image dumps) into a folder to commit, with a PROVENANCE.md naming the command and commits."""
    from rgbench.publish import left_out_text, publish

    try:
        record = publish(folder, dest, command, max_file_mb, raw)
    except (FileNotFoundError, ValueError) as err:
        fail(str(err))
    console.print(f"→ {dest}: {record['files']} files ({record['bytes'] / 2**20:.1f} MiB); left out: "
                  f"{left_out_text(record)}", highlight=False, soft_wrap=True)


@train_app.command("sft")
def train_sft_cmd(
    config: ConfigOpt = None, overrides: SetOpt = None, device: TrainDeviceOpt = None, run_id: RunIdOpt = None,
    root: ResultsOpt = None, stop_after: StopAfterOpt = None,
) -> None:
    """Supervised fine-tuning (prompt → CoT → image, or --set train.cot=false for prompt → image); rerun to resume."""
    from rgbench.train.launch import train_run
    from rgbench.train.sft_data import RecordError
    from rgbench.train.sft_run import run_sft

    done = train_run("sft", config, overrides, device, run_id, root, lambda cfg: {"model": cfg.model, "data": cfg.data},
                  run_sft, (RecordError,), stop_after)
    if done is not None and not report_paused(*done):
        run_dir, summary = done
        console.print(f"{summary['steps']} steps, loss {summary['first_loss']:.3f} → {summary['final_loss']:.3f}; "
                      f"metrics → {run_dir}/metrics.jsonl; model → {summary['model']}", highlight=False)


def report_paused(run_dir: Path, summary: dict) -> bool:
    if not summary.get("paused"):
        return False
    console.print(f"paused at step {summary['steps']} of {summary['of']} (--stop-after); checkpoint → "
                  f"{summary['checkpoint']}; rerun the same command without --stop-after to continue", highlight=False)
    return True


@train_app.command("grpo")
def train_grpo_cmd(
    config: ConfigOpt = None, overrides: SetOpt = None, device: TrainDeviceOpt = None, run_id: RunIdOpt = None,
    root: ResultsOpt = None, stop_after: StopAfterOpt = None,
) -> None:
    """GRPO with a judge reward and an entropy control (presets: toy, toy-no-sft, toy-small-judge,
    toy-entropy-{none,fixed,adaptive}, paper); rerun to resume; also under torchrun (FSDP2)."""
    from rgbench.train.grpo_run import grpo_provenance, run_grpo
    from rgbench.train.launch import train_run

    def loud(message: str) -> None:
        warn(message, "LEAKAGE WARNING")

    done = train_run("grpo", config, overrides, device, run_id, root, grpo_provenance,
                  lambda run_dir, cfg, dev, ctx, stop_after: run_grpo(run_dir, cfg, dev, loud, ctx, stop_after),
                  stop_after=stop_after)
    if done is not None and not report_paused(*done):
        run_dir, summary = done
        console.print(f"{summary['steps']} steps, reward {summary['first_reward']} → {summary['final_reward']}; "
                      f"metrics → {run_dir}/metrics.jsonl; rollouts → {run_dir}/rollouts/; model → "
                      f"{summary['model']}", highlight=False)


@app.command("convert-janus")
def convert_janus_cmd(
    src: Annotated[Path, typer.Argument(help="Folder in deepseek's original Janus format (e.g. ReasonGen-R1).")],
    out: Annotated[Path, typer.Argument(help="Folder to write the transformers Janus checkpoint to.")],
    dtype: Annotated[str, typer.Option("--dtype", help="Save as bf16, fp16 or fp32 [default: as stored].")] = "",
) -> None:
    """Convert an original-format Janus checkpoint (ReasonGen-R1, ReasonGen-R1-SFT) to transformers' Janus."""
    import torch

    from rgbench.policy.convert import ConversionError, convert_janus
    from rgbench.policy.model import resolve_dtype

    try:
        target = resolve_dtype(dtype, torch.device("cpu")) if dtype else None
        convert_janus(src, out, target)
    except (ConversionError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    console.print(f"converted {src} → {out}; use it with --model {out}", highlight=False)


@app.command("env")
def env_cmd(
    weights_dir: Annotated[str | None, typer.Option("--weights-dir", help="Folder of local model weights.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Versions, device, which optional backends import, and where weights are looked for."""
    from rgbench.env import environment

    info = environment(weights_dir)
    if as_json:
        print(json.dumps(info, indent=2))
        return
    table = Table("package", "version", title="versions")
    for name, version in info["versions"].items():
        table.add_row(name, version or "[dim]not installed[/dim]")
    console.print(table)
    table = Table("key", "value", title="device")
    for key, value in info["device"].items():
        table.add_row(key, str(value))
    console.print(table)
    table = Table("backend", "status", "install", title="optional backends")
    for name, entry in info["optional_backends"].items():
        colour = "green" if entry["status"] == "ok" else "yellow"
        table.add_row(name, f"[{colour}]{escape(entry['status'])}[/{colour}]", escape(entry["install"]))
    console.print(table)
    table = Table("key", "value", title="weights (local only, never downloaded)")
    for key, value in info["weights"].items():
        table.add_row(key, escape(str(value)))
    console.print(table)


@runs_app.command("list")
def runs_list(root: ResultsOpt = None, as_json: JsonOpt = False) -> None:
    """One line per run: id, kind, status (complete / running / interrupted / failed), rows, created."""
    from rgbench.runs import list_runs, results_root

    infos = list_runs(root)
    if as_json:
        print(json.dumps([{**vars(i), "path": str(i.path)} for i in infos], indent=2))
        return
    if not infos:
        console.print(f"no runs in {results_root(root)}")
        return
    table = Table("run", "kind", "status", "rows", "created")
    for info in infos:
        table.add_row(info.run_id, info.kind, info.status, str(info.rows), info.created)
    console.print(table)


@runs_app.command("show")
def runs_show(run: Annotated[str, typer.Argument(help="Run id, unique id prefix, or path.")],
              root: ResultsOpt = None) -> None:
    """A run's provenance (meta.json), resolved config and summary."""
    from rgbench.results import read_json
    from rgbench.runs import RunError, find_run, run_status

    try:
        run_dir = find_run(run, root)
    except RunError as err:
        fail(str(err))
    meta = read_json(run_dir / "meta.json")
    console.rule(f"{meta['run_id']}  [{run_status(run_dir)}]")
    console.print(f"folder: {run_dir}")
    console.print_json(json.dumps({k: v for k, v in meta.items() if k != "attempts"}))
    console.print(f"attempts: {len(meta['attempts'])}")
    for a in meta["attempts"]:
        console.print(f"  {a['started']} → {a['ended'] or '…'}  {a['status']}  host={a['host']}  commit={a.get('commit')}")
    console.rule("config.yaml")
    console.print((run_dir / "config.yaml").read_text(), highlight=False)
    summary = run_dir / "summary.json"
    console.rule("summary.json")
    console.print_json(summary.read_text()) if summary.exists() else console.print("(no summary yet)")


@runs_app.command("rescore")
def runs_rescore(
    run: Annotated[str, typer.Argument(help="Run id, unique id prefix, or path of an evaluation run.")],
    option: Annotated[list[str] | None, typer.Option("--option", "-o", help="Scoring option key=value, e.g. mode=official.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output folder [default: <run>/rescored].")] = None,
    root: ResultsOpt = None,
) -> None:
    """Recompute an evaluation run's verdicts and summary from its raw model outputs; loads no model."""
    import yaml

    from rgbench.runs import RunError, find_run
    from rgbench.scoring import rescore_run

    opts = {key: yaml.safe_load(value) for key, value in parse_options(option).items()}
    try:
        summary = rescore_run(find_run(run, root), opts, out)
    except (RunError, FileNotFoundError, KeyError, ValueError) as err:
        fail(str(err))
    console.print_json(json.dumps(summary))


@config_app.command("list")
def config_list() -> None:
    """Config kinds and their shipped presets."""
    from rgbench.catalog import load_catalog
    from rgbench.config import CONFIG_SCHEMAS, presets

    load_catalog()
    table = Table("kind", "presets")
    for kind in CONFIG_SCHEMAS.names():
        table.add_row(kind, ", ".join(presets(kind)))
    console.print(table)


@config_app.command("show")
def config_show(kind: Annotated[str, typer.Argument(help="Config kind (see `rgbench config list`).")],
                config: ConfigOpt = None, overrides: SetOpt = None) -> None:
    """Print the resolved config (preset + --set overrides) as YAML."""
    from rgbench.catalog import load_catalog
    from rgbench.config import ConfigError, dump_yaml, load_config
    from rgbench.registry import RegistryError

    load_catalog()
    try:
        cfg = load_config(kind, config, overrides)
    except (ConfigError, RegistryError) as err:
        fail(str(err))
    console.print(dump_yaml(cfg), highlight=False)
