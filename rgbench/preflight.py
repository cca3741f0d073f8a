"""Before a reproduction starts: does this machine hold everything each stage needs, and how is each training stage
launched? `rgbench reproduce --preset paper --check` answers without a GPU and without loading any model:

* every training stage's config, resolved with exactly the overrides the stage uses, and whether its batch sizes
  split at the preset's process count (`processes:`; rgbench.train.topology);
* the weights of every model a stage loads (policies, reward judges, evaluation backends), looked up where
  `resolve_weights` looks (weights dir, Hugging Face cache), and whether earlier stages make the others;
* the data files: the SFT dataset, the RL prompt files, the release's janus_rl.sh (judge prompt), dpg_bench.csv;
* which training runs are already in the run store, and the torchrun command of each training stage (the same
  overrides and run id the reproduction reopens, so its config matches).

Each missing thing comes with how to get it (the loaders' own messages). Checks are keyed by what they check, so a
file or model needed by several stages is listed once, with the stages that need it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rgbench.registry import Registry
from rgbench.reproduce import ReproduceConfig, dpg_questions, launch_command, training_stages

# reward term name → (options → [(what, model id or folder, required files)]) of the weights it loads
REWARD_WEIGHTS: Registry[Callable[[dict[str, Any]], list[tuple[str, str, tuple[str, ...]]]]] = Registry("reward")
# (benchmark kind, backend) → [(what, model id, required files)] of the evaluation models
EVAL_WEIGHTS: Registry[Callable[[], list[tuple[str, str, tuple[str, ...]]]]] = Registry("evaluation backend")


@dataclass
class Check:
    what: str  # e.g. "weights deepseek-community/Janus-Pro-7B", "data ReasonGen-R1-SFT-230k"
    ok: bool
    detail: str  # where it was found, or why not and how to get it
    stages: list[str] = field(default_factory=list)  # the stages that need it


@dataclass
class Preflight:
    checks: list[Check]
    commands: list[str]  # one launch command per training stage, in order

    @property
    def missing(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


class _Checks:
    """Checks keyed by what they check: the first result stands, later stages are added to its list."""

    def __init__(self) -> None:
        self.by_what: dict[str, Check] = {}

    def add(self, what: str, stage: str, probe: Callable[[], str]) -> None:
        if what not in self.by_what:
            try:
                self.by_what[what] = Check(what, True, probe())
            except Exception as err:  # noqa: BLE001 - every loader error is a finding to report, not a crash
                self.by_what[what] = Check(what, False, str(err) or type(err).__name__)
        if stage not in self.by_what[what].stages:
            self.by_what[what].stages.append(stage)


def preflight(cfg: ReproduceConfig, root: Path) -> Preflight:
    """Everything the reproduction in `root` needs, checked; and the training stages' launch commands."""
    from rgbench.catalog import load_catalog
    from rgbench.config import load_config

    load_catalog()
    runs = root / "runs"
    checks = _Checks()
    commands = []
    made = {str(runs / s.run_id / "model"): s.stage for s in training_stages(cfg, runs)}
    for stage in training_stages(cfg, runs):
        processes = cfg.processes.get(stage.kind, 1)
        commands.append(launch_command(stage, processes, runs))
        try:
            run_cfg = load_config(stage.kind, stage.preset, stage.overrides)
        except Exception as err:  # noqa: BLE001 - a config that does not resolve is a finding
            checks.by_what[f"config {stage.stage}"] = Check(f"config {stage.stage}", False, str(err), [stage.stage])
            continue
        checks.add(f"batch sizes {stage.stage} on {processes} processes", stage.stage,
                   lambda c=run_cfg, s=stage, p=processes: split_text(s.kind, c, p))
        checks.add(f"run store {stage.run_id}", stage.stage, lambda s=stage: run_state(runs / s.run_id))
        _policy_check(checks, run_cfg.model, stage.stage, made)
        (_sft_checks if stage.kind == "sft" else _grpo_checks)(checks, run_cfg, stage.stage)
    _eval_checks(checks, cfg, made)
    return Preflight(list(checks.by_what.values()), commands)


def split_text(kind: str, cfg: Any, processes: int) -> str:
    from rgbench.train.topology import grpo_split, sft_split

    if kind == "sft":
        s = sft_split(cfg.train, processes)
        return f"batch {s.batch_size} = {s.micro_batch} per process × {processes} × accumulation {s.grad_accum}"
    g = grpo_split(cfg.train, processes)
    return (f"mini-batch {g.mini_batch_sequences} sequences = {g.micro_batches} micro-batches of {g.micro_batch} "
            f"per process × {processes}")


def run_state(run_dir: Path) -> str:
    from rgbench.runs import run_status

    if not (run_dir / "meta.json").is_file():
        return "not started"
    return f"{run_status(run_dir)} ({run_dir})"


def _weights(checks: _Checks, model: str, stage: str, required: tuple[str, ...] = ("config.json",)) -> None:
    from rgbench.weights import resolve_weights

    checks.add(f"weights {model}", stage, lambda: str(resolve_weights(model, required=required)))


def _policy_check(checks: _Checks, model: str, stage: str, made: dict[str, str]) -> None:
    from rgbench.policy.zoo import BUILT_IN, MODEL_IDS

    if model in made:
        checks.add(f"model {model}", stage, lambda: f"made by stage {made[model]}")
    elif model not in BUILT_IN:
        _weights(checks, MODEL_IDS.get(model, model), stage)


def _sft_checks(checks: _Checks, cfg: Any, stage: str) -> None:
    from rgbench.train.sft_run import check_data

    checks.add(f"data {cfg.data}", stage, lambda: check_data(cfg) or "found")


def _grpo_checks(checks: _Checks, cfg: Any, stage: str) -> None:
    from rgbench.train.grpo_run import judge_templates, read_prompts

    checks.add(f"prompts {cfg.prompts}" + (f" in {cfg.prompt_dir}" if cfg.prompt_dir else ""), stage,
               lambda: f"{len(read_prompts(cfg.prompts, cfg.prompt_dir))} lines")
    checks.add(f"judge templates of {[t.name for t in cfg.rewards]}", stage,
               lambda: "; ".join(f"{r['name']}: {r['source']}" for r in judge_templates(cfg)[1]) or "rgbench's own")
    for term in cfg.rewards:
        if term.name in REWARD_WEIGHTS:
            for _what, model, required in REWARD_WEIGHTS.get(term.name)(dict(term.options)):
                _weights(checks, model, stage, required)


def _eval_checks(checks: _Checks, cfg: ReproduceConfig, made: dict[str, str]) -> None:
    from rgbench.reproduce import BENCH_EVALS

    stage = "evaluation"
    if cfg.base_model not in made:
        _policy_check(checks, cfg.base_model, "generation (base)", made)
    for bench in cfg.eval.benchmarks:
        kind = BENCH_EVALS[bench]
        backend = cfg.eval.backends.get(kind, "toy")
        key = f"{kind}:{backend}"
        if key in EVAL_WEIGHTS:
            for _what, model, required in EVAL_WEIGHTS.get(key)():
                _weights(checks, model, f"{stage} {bench}", required)
        if kind == "dpg":
            checks.add(f"questions {cfg.dpg_questions}", f"{stage} {bench}", lambda: dpg_file(cfg))


def dpg_file(cfg: ReproduceConfig) -> str:
    from rgbench.dpg.questions import read_questions

    path = dpg_questions(cfg)
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path} not found: DPG-Bench's question file (dpg_bench.csv, from the ELLA "
                                f"repository's dpg_bench folder) is not shipped; put it there or --set "
                                f"dpg_questions=<path>")
    return f"{len(read_questions(path))} items"


# ---------------------------------------------------------------- which weights a reward or a backend loads


def _qwen(options: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    from rgbench.vlm.qwen import QWEN_IDS, REQUIRED_FILES

    model = str(options.get("model") or options.get("size", "7B"))
    return [("judge", QWEN_IDS.get(model, model), REQUIRED_FILES)]


def _clip_reward(options: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    from rgbench.vlm.clip import DEFAULT_SIMILARITY_CLIP

    return [("clip", str(options.get("model") or DEFAULT_SIMILARITY_CLIP), ("config.json", "tokenizer_config.json"))]


def _geneval_weights() -> list[tuple[str, str, tuple[str, ...]]]:
    from rgbench.geneval.clip_colors import DEFAULT_CLIP
    from rgbench.geneval.mask2former import DEFAULT_MODEL

    return [("detector", DEFAULT_MODEL, ("config.json",)), ("colours", DEFAULT_CLIP, ("config.json", "tokenizer_config.json"))]


def _dpg_qwen_weights() -> list[tuple[str, str, tuple[str, ...]]]:
    from rgbench.dpg.backends import QWEN_DEFAULT

    return _qwen({"size": QWEN_DEFAULT})


def _t2i_hf_weights() -> list[tuple[str, str, tuple[str, ...]]]:
    from rgbench.dpg.backends import BLIP_DEFAULT
    from rgbench.geneval.mask2former import DEFAULT_MODEL
    from rgbench.vlm.blip import BLIP_IDS, REQUIRED_FILES
    from rgbench.vlm.clip import DEFAULT_SIMILARITY_CLIP

    return [("vqa", BLIP_IDS[BLIP_DEFAULT], REQUIRED_FILES),
            ("clip", DEFAULT_SIMILARITY_CLIP, ("config.json", "tokenizer_config.json")),
            ("detector", DEFAULT_MODEL, ("config.json",))]


def _geneval_rule(options: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    return _geneval_weights() if options.get("backend") == "mask2former" else []


REWARD_WEIGHTS.register("qwen_vl")(_qwen)
REWARD_WEIGHTS.register("geneval_rule")(_geneval_rule)
REWARD_WEIGHTS.register("clip")(_clip_reward)
EVAL_WEIGHTS.register("geneval:mask2former")(_geneval_weights)
EVAL_WEIGHTS.register("dpg:qwen_vl")(_dpg_qwen_weights)
EVAL_WEIGHTS.register("t2i:hf")(_t2i_hf_weights)


def report(pre: Preflight, preset: str) -> str:
    """The check as text: what is missing (with how to get it), what was found, then the training commands."""
    lines = [f"{preset}: {len(pre.checks)} checks, {len(pre.missing)} missing"]
    for check in sorted(pre.checks, key=lambda c: c.ok):  # missing first, each group in the order of the stages
        lines.append(f"{'✓' if check.ok else '✗'} {check.what} [{', '.join(check.stages)}]")
        lines += [f"    {line}" for line in check.detail.splitlines()]
    lines.append("training stages, in order (run from this directory; then rerun `rgbench reproduce` with the same "
                 "preset and settings, which reopens each finished run):")
    lines += [f"  {command}" for command in pre.commands]
    return "\n".join(lines)
