"""`rgbench toy ...`: build the toy data, fit its tokenizer, render prompts, show a contact sheet."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Annotated

import typer

toy_app = typer.Typer(no_args_is_help=True, help="The toy world: data, tokenizer, renders and contact sheets.")


def _world(config: str | None, overrides: list[str] | None):
    from rgbench.catalog import load_catalog
    from rgbench.config import load_config

    load_catalog()
    return load_config("toy-world", config or "default", overrides)


ConfigOpt = Annotated[str | None, typer.Option("--config", "-c", help="toy-world preset or YAML path.")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", "-s", help="Override, e.g. --set max_objects=3.")]


@toy_app.command("build-data")
def build_data(out: Annotated[Path | None, typer.Option("--out", help="Output folder [default: the package's data].")] = None,
               config: ConfigOpt = None, overrides: SetOpt = None) -> None:
    """Regenerate the toy GenEval / DPG / T2I-CompBench / train prompt sets (byte-identical for a version)."""
    from rgbench.toy.datasets import DATA_DIR, write_data

    man = write_data(out or DATA_DIR, _world(config, overrides))
    typer.echo(f"wrote {len(man['files'])} files ({man['version']}) to {out or DATA_DIR}")


@toy_app.command("fit-tokenizer")
def fit_tokenizer_cmd(out: Annotated[Path | None, typer.Option("--out", help="Output folder [default: the package's data].")] = None,
                      scenes: Annotated[int, typer.Option(help="Scenes to fit on.")] = 3000,
                      codebook: Annotated[int, typer.Option(help="Codebook size (k-means when patches exceed it).")] = 2048,
                      seed: int = 0, config: ConfigOpt = None, overrides: SetOpt = None) -> None:
    """Fit the toy patch tokenizer (the Janus VQ model's counterpart) and save it."""
    from rgbench.toy.tokenizer import DATA_DIR, fit_tokenizer

    tok = fit_tokenizer(_world(config, overrides), scenes, codebook, seed)
    tok.save(out or DATA_DIR)
    typer.echo(f"codebook {tok.codebook_size} codes ({'exact' if tok.meta['exact'] else 'k-means'}), "
               f"grid {tok.grid}, saved to {out or DATA_DIR}")


@toy_app.command("render")
def render_cmd(prompt: Annotated[str, typer.Argument(help='e.g. "a red circle left of a blue square".')],
               out: Annotated[Path, typer.Option("--out", "-o", help="PNG to write.")] = Path("toy.png"),
               seed: int = 0, scale: Annotated[int, typer.Option(help="Nearest-neighbour upscale factor.")] = 4,
               config: ConfigOpt = None, overrides: SetOpt = None) -> None:
    """Render one scene that satisfies a toy prompt, and print its CoT layout plan."""
    from rgbench.console import fail
    from rgbench.toy.cot import write_plan
    from rgbench.toy.render import render
    from rgbench.toy.sampler import scene_for
    from rgbench.toy.sheet import upscale
    from rgbench.toy.spec import PromptParseError, parse_prompt

    world = _world(config, overrides)
    try:
        spec = parse_prompt(prompt)
    except PromptParseError as err:
        fail(str(err))
    rng = random.Random(seed)
    scene = scene_for(spec, world, rng)
    upscale(render(scene, world), scale).save(out)
    typer.echo(f"CoT: {write_plan(scene, rng)}\nwrote {out}")


@toy_app.command("show")
def show_cmd(out: Annotated[Path, typer.Option("--out", "-o", help="PNG to write.")] = Path("toy_sheet.png"),
             n: Annotated[int, typer.Option(help="Number of scenes.")] = 12, seed: int = 0,
             config: ConfigOpt = None, overrides: SetOpt = None) -> None:
    """A contact sheet of scenes from every task, each with its prompt and CoT plan."""
    from rgbench.toy.sheet import contact_sheet, sample_examples

    world = _world(config, overrides)
    contact_sheet(sample_examples(n, seed, world), world).save(out)
    typer.echo(f"wrote {out}")


@toy_app.command("pretrain")
def pretrain_cmd(out: Annotated[Path | None, typer.Option("--out", help="Where the checkpoint goes [default: the package's toy-<stage>].")] = None,
                 stage: Annotated[str, typer.Option("--stage", help="base (prompt → image, from toy-init) | sft "
                                                    "(prompt → plan → image, from toy-base).")] = "base",
                 overrides: SetOpt = None,
                 root: Annotated[Path | None, typer.Option("--results", help="Run store root [default: results/].")] = None,
                 device: Annotated[str | None, typer.Option("--device", help="cpu, cuda.")] = None) -> None:
    """Train a shipped toy checkpoint with its SFT preset (`toy-base` or `toy-sft`) and install it under that
    name; rerun to resume."""
    from rgbench.console import fail
    from rgbench.toy.checkpoints import STAGES, checkpoint_dir, install_checkpoint
    from rgbench.train.launch import train_run
    from rgbench.train.sft_run import run_sft

    if stage not in STAGES:
        fail(f"unknown --stage '{stage}'; known: {', '.join(STAGES)}")
    preset, name = STAGES[stage]
    done = train_run("sft", preset, overrides, device, None, root,
                     lambda cfg: {"model": cfg.model, "data": cfg.data}, run_sft)
    if done is not None:  # rank 0 (or the only process)
        run_dir, summary = done
        target = install_checkpoint(run_dir, out or checkpoint_dir(stage))
        typer.echo(f"{summary['steps']} steps, loss {summary['first_loss']:.3f} → {summary['final_loss']:.3f}; "
                   f"{name} → {target}")
