"""`rgbench reproduce`: the paper's pipeline, stage by stage, resumable.

    base model → SFT (CoT) → GRPO arms (main, no-SFT, small judge, entropy none / fixed / adaptive)
      → generation + evaluation of every model on the three benchmarks → CoT words → tables → curves → summary

Everything lands under one folder (default `results/reproduce-<preset>/`):

    stages.jsonl        one row per finished stage (its outputs), so a rerun skips it
    runs/               training and evaluation runs (the run store: config, meta, metrics, summaries)
    gen/<model>-s<seed>/<benchmark>/   generated images + cot.jsonl in the official layouts
    tables/ curves/ cot-words/         the paper's tables (Markdown, CSV, LaTeX), entropy figure, word figure
    summary.json        what ran, where every number came from

Each stage calls the same library functions as the single commands (`train sft`, `train grpo`, `generate`,
`eval …`, `analyze …`, `tables`), and each of those resumes on its own, so a killed stage restarts where it
stopped. Presets (`rgbench/configs/reproduce/`): `toy-quick` (minutes, CI), `toy` (the toy paper), `paper`
(the real plan; documented, not runnable here).
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rgbench.results import JsonlLog, write_atomic, write_json
from rgbench.runs import git_state

BENCH_EVALS = {"toy-geneval": "geneval", "toy-dpg": "dpg", "toy-t2i": "t2i",
               "geneval": "geneval", "dpg": "dpg", "t2i": "t2i"}


@dataclass
class ArmSpec:
    """One GRPO arm: a preset, where it starts (the SFT model or the base) and extra --set overrides."""

    name: str
    preset: str
    start: str = "sft"  # sft | base
    overrides: list[str] = field(default_factory=list)


@dataclass
class EvalSpec:
    benchmarks: list[str] = field(default_factory=lambda: ["toy-geneval", "toy-dpg", "toy-t2i"])
    limit: int | None = None  # first N prompts of each benchmark (each T2I category)
    n: dict[str, int] = field(default_factory=lambda: {"geneval": 4, "dpg": 4, "t2i": 1})
    cfg: float = 5.0
    max_cot_tokens: int = 448
    batch_size: int = 64
    backends: dict[str, str] = field(default_factory=lambda: {"geneval": "toy", "dpg": "toy", "t2i": "toy"})


@dataclass
class AblationSpec:
    """One ablation table: which models (labels: base, sft or an arm name) it compares, shown as `rows` names them."""

    name: str
    title: str
    rows: dict[str, str] = field(default_factory=dict)  # model label → row label, in table order


@dataclass
class PlanSpec:
    """The plan diagnosis (toy only): do images follow their plans? Read from one benchmark's generations."""

    benchmark: str = ""  # e.g. toy-geneval; "" = no diagnosis
    gold: list[str] = field(default_factory=list)  # models (base, sft) also generated with gold plans: the probe


@dataclass
class ReproduceConfig:
    base_model: str = "toy-base"
    seeds: int = 1
    sft_preset: str = "toy"
    sft_overrides: list[str] = field(default_factory=list)
    sft_model: str = ""  # a shipped SFT model (e.g. toy-sft): no SFT stage, every seed's arms start from it
    arms: list[ArmSpec] = field(default_factory=list)
    eval: EvalSpec = field(default_factory=EvalSpec)
    main_arm: str = "main"  # whose CoTs the word figure counts
    entropy_arms: list[str] = field(default_factory=lambda: ["entropy-none", "entropy-fixed", "main"])
    dpg_questions: str = "toy"  # "toy" (the shipped toy CSV) or a path to dpg_bench.csv
    release_script: str = ""  # your copy of ReasonGen-R1's examples/janus_rl.sh, passed to every GRPO arm (the
    # paper preset's judge prompt is its RM_TEMPLATE; not shipped)
    cot_words_min_share: float = 0.2
    ablations: list[AblationSpec] = field(default_factory=list)
    plans: PlanSpec = field(default_factory=PlanSpec)
    # processes each training kind runs on (torchrun --nproc-per-node); the presets' batch sizes must split over
    # them (rgbench.train.topology), and `reproduce --check` prints the launch commands with them
    processes: dict[str, int] = field(default_factory=lambda: {"sft": 1, "grpo": 1})


@dataclass
class Model:
    label: str  # base, sft, or an arm name (gold-<label>: that model with gold plans)
    path: str
    cot: bool  # the base model has no CoT
    plans: str = "sampled"  # sampled | gold (the toy's plan writer replaces the CoT)


class Stages:
    """stages.jsonl: which stages finished (keyed), with their outputs; says each stage's place in the plan."""

    def __init__(self, root: Path, say: Callable[[str], None], planned: list[str] | None = None) -> None:
        self.log = JsonlLog(root / "stages.jsonl", key="stage")
        self.say = say
        self.planned = planned or []

    def place(self, stage: str) -> str:
        return f"[{self.planned.index(stage) + 1}/{len(self.planned)}] " if stage in self.planned else ""

    def run(self, stage: str, fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
        """fn(*args) unless the stage is recorded as done; returns its outputs."""
        done = {r["stage"]: r for r in self.log.rows()}
        if stage in done:
            self.say(f"{self.place(stage)}✓ {stage} (done)")
            return done[stage]["outputs"]
        self.say(f"{self.place(stage)}→ {stage}")
        start = time.perf_counter()
        outputs = fn(*args)
        seconds = time.perf_counter() - start
        self.log.append([{"stage": stage, "outputs": outputs, "seconds": round(seconds, 2), "git": git_state()}])
        self.say(f"{self.place(stage)}✓ {stage} ({seconds:.0f} s)")
        return outputs


def plan(cfg: ReproduceConfig) -> list[str]:
    """Every stage of a reproduction, in the order it runs."""
    stages = []
    labels = ["base", "sft", *[arm.name for arm in cfg.arms]]
    for seed in range(cfg.seeds):
        stages += ([] if cfg.sft_model else [f"s{seed}/sft"]) + [f"s{seed}/grpo/{arm.name}" for arm in cfg.arms]
        stages += [f"s{seed}/{step}/{label}/{bench}" for label in labels for bench in cfg.eval.benchmarks
                   for step in ("generate", "evaluate")]
        if cfg.plans.benchmark:
            stages += [f"s{seed}/plans/{label}" for label in labels if label != "base"]
            for label in cfg.plans.gold:
                stages += [f"s{seed}/generate/gold-{label}/{cfg.plans.benchmark}", f"s{seed}/plans/gold-{label}"]
    analysis = ["analysis/cot-words", "analysis/curves", "analysis/tables"]
    return stages + analysis + (["analysis/plans"] if cfg.plans.benchmark else [])


# ---------------------------------------------------------------- stage bodies
@dataclass
class TrainingStage:
    """One training stage of a seed: which preset, with which --set overrides, into which run."""

    stage: str  # "s0/sft", "s0/grpo/main"
    kind: str  # sft | grpo
    preset: str
    overrides: list[str]
    run_id: str
    arm: str = ""  # the GRPO arm's name ("" for SFT)

    def model(self, runs: Path) -> str:
        return str(runs / self.run_id / "model")


def training_stages(cfg: ReproduceConfig, runs: Path, seeds: range | None = None) -> list[TrainingStage]:
    """The training stages of the given seeds (default: all), in the order they run."""
    stages = []
    for seed in seeds if seeds is not None else range(cfg.seeds):
        sft_model = cfg.sft_model
        if not sft_model:
            sft = TrainingStage(f"s{seed}/sft", "sft", cfg.sft_preset, sft_overrides(cfg, seed), f"sft-s{seed}")
            stages.append(sft)
            sft_model = sft.model(runs)
        for arm in cfg.arms:
            start = sft_model if arm.start == "sft" else cfg.base_model
            stages.append(TrainingStage(f"s{seed}/grpo/{arm.name}", "grpo", arm.preset,
                                        arm_overrides(cfg, arm, start, seed), f"grpo-{arm.name}-s{seed}", arm.name))
    return stages


def launch_command(stage: TrainingStage, processes: int, runs: Path) -> str:
    """The shell command that trains one stage into the reproduction's run store (torchrun above one process)."""
    head = f"torchrun --nproc-per-node {processes} -m rgbench" if processes > 1 else "rgbench"
    sets = " ".join(f"--set {shlex.quote(o)}" for o in stage.overrides)
    return f"{head} train {stage.kind} -c {stage.preset} {sets} --results {runs} --run-id {stage.run_id}"


def train(stage: TrainingStage, runs: Path, device: str | None, processes: int = 1) -> str:
    """Train in this process into runs/<run_id> (resumes); returns the exported model folder. A run finished
    elsewhere with the same config (e.g. under torchrun with `launch_command`'s command) is taken as it is, without
    loading its model; a stage written for several processes is never trained here: the error gives its command."""
    from rgbench.catalog import load_catalog
    from rgbench.config import dump_yaml, load_config
    from rgbench.runs import Run, run_status

    load_catalog()
    cfg = load_config(stage.kind, stage.preset, stage.overrides)
    done = runs / stage.run_id
    if (done / "summary.json").is_file() and (done / "config.yaml").is_file() and \
            (done / "config.yaml").read_text() == dump_yaml(cfg) and run_status(done) == "complete":
        return stage.model(runs)
    if processes > 1:
        raise ValueError(f"stage {stage.stage} is written for {processes} processes and its run is not complete; "
                         f"train it with\n  {launch_command(stage, processes, runs)}\nthen rerun this command "
                         f"(`rgbench reproduce --check` lists every stage's command)")
    if stage.kind == "sft":
        from rgbench.train.sft_run import run_sft as runner
        provenance = {"model": cfg.model}
    else:
        from rgbench.train.grpo_run import grpo_provenance
        from rgbench.train.grpo_run import run_grpo as runner
        provenance = grpo_provenance(cfg)
    with Run.open(runs, stage.run_id, cfg, kind=f"train-{stage.kind}", seed=cfg.train.seed, device=device or "auto",
                  provenance={**provenance, "world_size": 1}) as run:
        summary = runner(run.dir, cfg, device)
        run.write_summary(summary)
    return stage.model(runs)


def generate(model: Model, benchmark: str, out: Path, spec: EvalSpec, seed: int, device: str | None) -> str:
    from rgbench.generation import GenerateSettings, environment_provenance, generate_to_folder
    from rgbench.policy.generate import GenerationOptions
    from rgbench.prompt_sets import load_prompt_set

    prompt_set = load_prompt_set(benchmark)
    n = spec.n[BENCH_EVALS[benchmark]]
    opts = GenerationOptions(cot=model.cot, cfg_weight=spec.cfg, max_cot_tokens=spec.max_cot_tokens)
    settings = GenerateSettings(model.path, prompt_set.name, prompt_set.version, n, seed, opts, plans=model.plans)
    policy = cached_policy(model.path, device)
    limit = None if BENCH_EVALS[benchmark] == "t2i" else spec.limit
    items = prompt_set.items
    if BENCH_EVALS[benchmark] == "t2i" and spec.limit is not None:  # the first N of each category
        from rgbench.prompt_sets import PromptSet

        items = [it for it in items if sum(o.group == it.group and o.index < it.index for o in items) < spec.limit]
        prompt_set = PromptSet(prompt_set.name, prompt_set.version, prompt_set.layout, items)
    generate_to_folder(policy, prompt_set, out, settings, batch_size=spec.batch_size, limit=limit,
                       provenance=environment_provenance(), progress=False)
    return str(out)


@lru_cache(maxsize=1)
def cached_policy(path: str, device: str | None) -> Any:
    """The last policy opened (a model's benchmarks are generated one after another)."""
    from rgbench.policy.zoo import open_policy

    return open_policy(path, device=device)


def evaluate(benchmark: str, images: Path, runs: Path, run_id: str, cfg: ReproduceConfig) -> str:
    """Score one generation folder with the preset's backends; returns the run folder."""
    from rgbench.runs import Run

    kind = BENCH_EVALS[benchmark]
    ecfg, run_eval, samples_file = EVALUATORS[kind](benchmark, images, cfg)
    with Run.open(runs, run_id, ecfg, kind=f"eval-{kind}", seed=None, provenance={"benchmark": kind},
                  samples_file=samples_file) as run:
        run_eval(run, ecfg)
    return str(runs / run_id)


def geneval_evaluator(benchmark: str, images: Path, cfg: ReproduceConfig) -> tuple[Any, Callable, str]:
    from rgbench.geneval.evaluate import BACKENDS, RESULTS_FILE, GenEvalConfig, evaluate_run

    detector, colors = BACKENDS[cfg.eval.backends["geneval"]]
    return GenEvalConfig(images=str(images), detector=detector, colors=colors), evaluate_run, RESULTS_FILE


def dpg_evaluator(benchmark: str, images: Path, cfg: ReproduceConfig) -> tuple[Any, Callable, str]:
    from rgbench.dpg.evaluate import RESULTS_FILE, DPGConfig, evaluate_run

    ecfg = DPGConfig(questions=dpg_questions(cfg), images=str(images), pic_num=cfg.eval.n["dpg"],
                     backend=cfg.eval.backends["dpg"])
    return ecfg, evaluate_run, RESULTS_FILE


def t2i_evaluator(benchmark: str, images: Path, cfg: ReproduceConfig) -> tuple[Any, Callable, str]:
    from rgbench.t2i.evaluate import T2IConfig, evaluate_run

    ecfg = T2IConfig(images=str(images), prompts="toy-t2i" if benchmark.startswith("toy") else "t2i",
                     backend=cfg.eval.backends["t2i"])
    return ecfg, evaluate_run, "samples.jsonl"  # its per-category results.jsonl live in subfolders


EVALUATORS: dict[str, Callable[[str, Path, ReproduceConfig], tuple[Any, Callable, str]]] = {
    "geneval": geneval_evaluator, "dpg": dpg_evaluator, "t2i": t2i_evaluator}


def dpg_questions(cfg: ReproduceConfig) -> str:
    if cfg.dpg_questions == "toy":
        return str(Path(__file__).parent / "toy" / "data" / "dpg" / "dpg_bench.csv")
    return cfg.dpg_questions


# ---------------------------------------------------------------- the pipeline
def models_of(cfg: ReproduceConfig, outputs: dict[str, str]) -> list[Model]:
    return [Model("base", cfg.base_model, cot=False), Model("sft", outputs["sft"], cot=True),
            *[Model(arm.name, outputs[arm.name], cot=True) for arm in cfg.arms]]


def reproduce(cfg: ReproduceConfig, root: Path, device: str | None = None,
              say: Callable[[str], None] = print) -> dict[str, Any]:
    """Run every stage not yet done; returns the final summary (also written to root/summary.json)."""
    check_judge_templates(cfg)
    stages = Stages(root, say, plan(cfg))
    evals: dict[str, dict[str, list[str]]] = {}  # model label → benchmark → eval run folders (one per seed)
    arm_runs: dict[str, list[str]] = {}
    for seed in range(cfg.seeds):
        run_seed(cfg, seed, root, stages, device, evals, arm_runs)
    words = stages.run("analysis/cot-words", cot_words, cfg, root)
    curve_out = stages.run("analysis/curves", curves, cfg, arm_runs, root)
    tables = stages.run("analysis/tables", write_tables, cfg, evals, root)
    figures = [out["figure"] for out in (curve_out, words) if "figure" in out] + tables["figures"]
    extra = {"entropy": curve_out["table"]} if "table" in curve_out else {}
    if cfg.plans.benchmark:
        extra.update(stages.run("analysis/plans", plan_tables, root)["tables"])
    summary = {"config": cfg_dict(cfg), "evaluations": evals, "grpo_runs": arm_runs,
               "tables": {**tables["tables"], **extra},
               "figures": figures,
               "stages": [r["stage"] for r in stages.log.rows()], "report": str(root / "report" / "index.html")}
    write_json(root / "summary.json", summary)
    from rgbench.analysis.report import write_report

    write_report(root)  # cheap, and always from the current summary
    return summary


def run_seed(cfg: ReproduceConfig, seed: int, root: Path, stages: Stages, device: str | None,
             evals: dict[str, dict[str, list[str]]], arm_runs: dict[str, list[str]]) -> None:
    """One seed: SFT, the arms, then every model on every benchmark."""
    runs = root / "runs"
    outputs = {"sft": cfg.sft_model}
    for stage in training_stages(cfg, runs, range(seed, seed + 1)):
        model = stages.run(stage.stage, train_stage, stage, runs, device, cfg.processes.get(stage.kind, 1))["model"]
        outputs[stage.arm or "sft"] = model
        if stage.arm:
            arm_runs.setdefault(stage.arm, []).append(str(runs / stage.run_id))
    for model in models_of(cfg, outputs):
        for bench in cfg.eval.benchmarks:
            gen = root / "gen" / f"{model.label}-s{seed}" / bench
            stages.run(f"s{seed}/generate/{model.label}/{bench}", generate_stage, model, bench, gen, cfg.eval, seed,
                       device)
            rid = f"eval-{bench}-{model.label}-s{seed}"
            run = stages.run(f"s{seed}/evaluate/{model.label}/{bench}", evaluate_stage, bench, gen, runs, rid,
                             cfg)["run"]
            evals.setdefault(model.label, {}).setdefault(bench, []).append(run)
    if cfg.plans.benchmark:
        diagnose_seed(cfg, seed, root, stages, device, models_of(cfg, outputs))


def sft_overrides(cfg: ReproduceConfig, seed: int) -> list[str]:
    """The --set overrides of one seed's SFT stage."""
    return [f"model={cfg.base_model}", f"train.seed={seed}", *cfg.sft_overrides]


def arm_overrides(cfg: ReproduceConfig, arm: ArmSpec, start: str, seed: int) -> list[str]:
    """The --set overrides of one GRPO arm's training stage."""
    script = [f"release_script={cfg.release_script}"] if cfg.release_script else []
    return [f"model={start}", f"train.seed={seed}", *script, *arm.overrides]


def check_judge_templates(cfg: ReproduceConfig) -> None:
    """Every GRPO arm can read its judge template (the paper arms need `release_script`); fails before any stage."""
    from rgbench.catalog import load_catalog
    from rgbench.config import load_config
    from rgbench.train.grpo_run import judge_templates

    load_catalog()
    for arm in cfg.arms:
        judge_templates(load_config("grpo", arm.preset, arm_overrides(cfg, arm, cfg.base_model, 0)))


def diagnose_seed(cfg: ReproduceConfig, seed: int, root: Path, stages: Stages, device: str | None,
                  models: list[Model]) -> None:
    """The plan diagnosis of every CoT model's generations, then the gold-plan probe of the chosen models."""
    bench, by_label = cfg.plans.benchmark, {m.label: m for m in models}
    for model in models:
        if model.cot:
            stages.run(f"s{seed}/plans/{model.label}", plans_stage, root / "gen" / f"{model.label}-s{seed}" / bench,
                       root / "plans" / f"s{seed}", model.label)
    for label in cfg.plans.gold:
        gold = Model(f"gold-{label}", by_label[label].path, cot=True, plans="gold")
        gen = root / "gen" / f"{gold.label}-s{seed}" / bench
        stages.run(f"s{seed}/generate/{gold.label}/{bench}", generate_stage, gold, bench, gen, cfg.eval, seed, device)
        stages.run(f"s{seed}/plans/{gold.label}", plans_stage, gen, root / "plans" / f"s{seed}", gold.label)


def plans_stage(images: Path, out: Path, label: str) -> dict[str, Any]:
    """One generation folder's plan diagnosis → out/<label>.jsonl; returns its summary."""
    from rgbench.toy.plans import diagnose_folder, summarize, write_records

    records = diagnose_folder(images)
    write_records(out / f"{label}.jsonl", records)
    return {"records": str(out / f"{label}.jsonl"), "all": summarize(records)["all"]}


def seed_folders(folder: Path) -> list[Path]:
    """The per-seed folders s0, s1, … (not the tables beside them: sft.md, small-judge.md)."""
    return sorted(p for p in folder.glob("s*") if p.is_dir() and p.name[1:].isdigit())


def plan_tables(root: Path) -> dict[str, Any]:
    """Every model's plan diagnosis, records pooled over seeds: plans/<label>.md (a table per model, tags as
    rows), plans/plans.md (all of them) and plans/plans.json."""
    from rgbench.results import read_jsonl
    from rgbench.toy.plans import markdown, summarize

    by_label: dict[str, list[dict]] = {}
    folders = seed_folders(root / "plans")
    for path in sorted(p for folder in folders for p in folder.glob("*.jsonl")):
        by_label.setdefault(path.stem, []).extend(read_jsonl(path))
    order = sorted(by_label, key=lambda label: (not label.startswith("gold-"), label != "sft", label))
    seeds = len(folders)
    summaries, tables, texts = {}, {}, []
    for label in order:
        summaries[label] = summarize(by_label[label])
        title = f"Plans of {label} (toy GenEval, {seeds} seed{'s' * (seeds != 1)} pooled)"
        texts.append(markdown(summaries[label], title))
        write_atomic(root / "plans" / f"{label}.md", texts[-1])
        tables[f"plans-{label}"] = str(root / "plans" / f"{label}.md")
    write_atomic(root / "plans" / "plans.md", "\n".join(texts))
    write_json(root / "plans" / "plans.json", summaries)
    return {"tables": tables, "table": str(root / "plans" / "plans.md")}


def train_stage(*args: Any) -> dict[str, Any]:
    return {"model": train(*args)}


def generate_stage(*args: Any) -> dict[str, Any]:
    return {"images": generate(*args)}


def evaluate_stage(*args: Any) -> dict[str, Any]:
    return {"run": evaluate(*args)}


def cfg_dict(cfg: ReproduceConfig) -> dict[str, Any]:
    from rgbench.config import to_dict

    return to_dict(cfg)


def cot_words(cfg: ReproduceConfig, root: Path) -> dict[str, Any]:
    from rgbench.analysis.cot_words import analyze

    sources = sorted(str(p) for p in (root / "gen").glob(f"{cfg.main_arm}-s*/*/cot.jsonl"))
    if not sources:
        return {"skipped": f"no generation of the '{cfg.main_arm}' arm"}
    summary = analyze(sources, root / "cot-words", cfg.cot_words_min_share)
    return {"folder": str(root / "cot-words"), "cots": summary["cots"], "words": len(summary["words"]),
            "figure": str(root / "cot-words" / "cot_words.png")}


def curves(cfg: ReproduceConfig, arm_runs: dict[str, list[str]], root: Path) -> dict[str, Any]:
    from rgbench.analysis.curves import band_markdown, mean_curve, plot_curves, read_run

    chosen = {name: arm_runs[name] for name in cfg.entropy_arms if arm_runs.get(name)}
    if not chosen:
        return {"skipped": "no entropy arms ran"}
    curves_ = [mean_curve([read_run(run) for run in runs], name + (f" (mean of {len(runs)} seeds)" if len(runs) > 1
                                                                  else "")) for name, runs in chosen.items()]
    for suffix in ("png", "svg"):
        plot_curves(curves_, root / "curves" / f"entropy.{suffix}")
    write_atomic(root / "curves" / "entropy.md", band_markdown(curves_, title="Entropy against the adaptive targets"))
    return {"figure": str(root / "curves" / "entropy.png"), "table": str(root / "curves" / "entropy.md"),
            "runs": chosen}


def write_tables(cfg: ReproduceConfig, evals: dict[str, dict[str, list[str]]], root: Path) -> dict[str, Any]:
    """One table (+ per-task bars) per benchmark with every model, then the ablation tables; mean ± std over
    seeds, in the paper's row order."""
    from rgbench.analysis.bars import write_bars
    from rgbench.analysis.tables import ablation_rows, build_rows, write_table_files

    tables, figures = {}, []
    for bench in cfg.eval.benchmarks:
        rows = [{"label": label, "runs": by_bench[bench]} for label, by_bench in evals.items() if bench in by_bench]
        spec = {"title": f"{bench}: base, SFT and the GRPO arms", "rows": rows}
        kind, built = build_rows(spec)
        write_atomic(root / "tables" / f"{bench}.yaml", _yaml(spec))
        tables[bench] = write_table_files(root / "tables" / bench, kind, built, spec["title"])
        figures.append(write_bars(root / "tables" / f"{bench}-bars", kind, built, spec["title"]))
    for ablation in cfg.ablations:
        entries = [(row_label, evals[label]) for label, row_label in ablation.rows.items() if label in evals]
        if entries:
            tables[f"ablation-{ablation.name}"] = write_table_files(
                root / "tables" / f"ablation-{ablation.name}", "ablation", ablation_rows(entries), ablation.title)
    return {"tables": tables, "figures": figures}


def _yaml(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False)
