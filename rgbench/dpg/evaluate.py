"""`rgbench eval dpg`: image folder + question file → VQA answers → question-graph scores, resumable and shardable.

    run = results/<run-id>/
      raw/answers.jsonl      one record per (item, tile, question) asked (public format, below), appended per batch
      raw/images.jsonl       one record per item whose image could not be used, with the reason (rewritten per run)
      results.jsonl          per item: tile scores, score, mode, provenance
      failures.jsonl         items that could not be scored, each with its reason
      summary.json, table.md overall and L1 / L2 categories (× 100), the paper's table

The answers record is public; its fields stay: {"item_id": "partiprompts10", "tile": 0, "proposition_id": 3,
"question": "Is the cabbage green?", "answer": "yes", "p_yes": 0.97} (+ "key", "backend"). Every question of
every tile is asked, whatever the mode, so one run's answers re-score in both modes (`--answers FILE ...`, which
is also how shards merge). Asking is the slow part and the only one that resumes; the scores are a pure function
of the answers (`rgbench.dpg.scoring`) and are rewritten atomically at the end of every run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from rgbench.backends import BackendSpec
from rgbench.dpg.questions import Item, official_file_warnings, read_questions
from rgbench.dpg.scoring import ItemFailure, items_for_mode, markdown_table, score_item, summarize
from rgbench.dpg.tiles import crop_tiles, layout_warning, tile_side
from rgbench.dpg.vqa import OFFICIAL_BACKENDS, SUBSTITUTE_NOTE, VQA, build_vqa
from rgbench.layouts import generation_provenance
from rgbench.progress import Progress
from rgbench.results import dumps_row, read_jsonl, write_atomic, write_json
from rgbench.runs import Run
from rgbench.sharding import parse_shard, select

SCORER_VERSION = "dpg-rules-1"  # bump when a rule, a mode or the aggregation changes
RESULTS_FILE = "results.jsonl"
ANSWER_FIELDS = ("item_id", "tile", "proposition_id", "question", "answer", "p_yes")


@dataclass
class DPGConfig:
    """What decides an evaluation's numbers (config.yaml of the run; a resume must match it)."""

    questions: str = ""
    images: str | None = None
    answers: list[str] = field(default_factory=list)  # score these answer files instead of asking a model
    backend: str = "toy"
    model: str | None = None
    dtype: str = "auto"
    mode: str = "corrected"
    pic_num: int = 4
    resolution: int | None = None  # tile side; None: inferred per image
    limit: int | None = None  # first N items of the question file
    shard: str = "0/1"


@dataclass
class FolderScan:
    paths: dict[str, Path]  # item id → its image file
    problems: dict[str, str]  # item id → why it has no usable file
    ignored: list[str]  # files that are no item's image (the official scorer logs them as failed and skips them)


def scan_folder(images: Path, items: Sequence[str]) -> FolderScan:
    """The official naming: `<item_id>.<ext>` (key = the name up to the first "."), one file per item."""
    if not images.is_dir():
        raise FileNotFoundError(f"image folder not found: {images}")
    wanted = set(items)
    by_key: dict[str, list[Path]] = defaultdict(list)
    ignored = []
    for path in sorted(images.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        key = path.name.split(".", 1)[0]
        if key in wanted:
            by_key[key].append(path)
        else:
            ignored.append(path.name)
    paths, problems = {}, {}
    for item_id in items:
        found = by_key.get(item_id, [])
        if not found:
            problems[item_id] = f"no image named {item_id}.<ext> in {images}"
        elif len(found) > 1:
            problems[item_id] = f"several images for one item: {', '.join(p.name for p in found)}"
        else:
            paths[item_id] = found[0]
    return FolderScan(paths, problems, ignored)


def answer_key(item_id: str, tile: int, pid: int) -> str:
    return f"{item_id}/{tile}/{pid}"


def load_tiles(path: Path, cfg: DPGConfig) -> tuple[list[Image.Image], str | None]:
    """The item's tiles and a layout warning; OSError / ValueError for unreadable files."""
    with Image.open(path) as im:
        im.load()
        side = tile_side(im.size, cfg.pic_num, cfg.resolution)
        return crop_tiles(im, cfg.pic_num, side), layout_warning(im.size, cfg.pic_num, side)


def pending_pairs(item: Item, tiles: list[Image.Image], done: Any) -> Iterator[tuple[dict[str, Any], Image.Image]]:
    for t, tile in enumerate(tiles):
        for q in item.questions:
            key = answer_key(item.item_id, t, q.proposition_id)
            if key not in done:
                yield {"key": key, "item_id": item.item_id, "tile": t, "proposition_id": q.proposition_id,
                       "question": q.question}, tile


def ask_folder(run: Run, cfg: DPGConfig, items: Mapping[str, Item], vqa: VQA,
               batch: int = 64) -> tuple[list[str], dict[str, str]]:
    """Ask every question of every selected item's tiles not yet in raw/answers.jsonl; returns warnings and the
    items whose image is missing or unreadable now (a rerun retries them: an image added later gets scored)."""
    answers = run.raw("answers")
    scan = scan_folder(Path(cfg.images), list(items))
    failures = dict(scan.problems)
    warnings = [f"{len(scan.ignored)} file(s) are no item's image and were not scored: {', '.join(scan.ignored[:5])}"
                f"{' …' if len(scan.ignored) > 5 else ''}"] if scan.ignored else []
    todo = [i for i in scan.paths
            if any(answer_key(i, t, q.proposition_id) not in answers for t in range(cfg.pic_num) for q in items[i].questions)]
    queue: list[tuple[dict[str, Any], Image.Image]] = []

    def flush() -> None:
        if queue:
            got = vqa.ask([tile for _, tile in queue], [row["question"] for row, _ in queue])
            answers.append({**row, "answer": text, "p_yes": p, "backend": vqa.name} for (row, _), (text, p) in zip(queue, got))
            queue.clear()

    with Progress(total=len(todo), desc="dpg ask", unit="img") as bar:
        for item_id in todo:
            try:
                tiles, warning = load_tiles(scan.paths[item_id], cfg)
            except (OSError, ValueError, SyntaxError) as err:  # PIL raises all three for broken files
                failures[item_id] = f"unreadable image {scan.paths[item_id].name}: {err}"
                bar.advance(1)
                continue
            if warning:
                warnings.append(f"{item_id}: {warning}")
            queue += pending_pairs(items[item_id], tiles, answers)
            if len(queue) >= batch:
                flush()
            bar.advance(1)
        flush()
    return warnings, failures


def group_answers(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[tuple[int, int], str]]:
    """Answer records → item id → (tile, proposition id) → answer (a later duplicate must agree)."""
    out: dict[str, dict[tuple[int, int], str]] = defaultdict(dict)
    for row in rows:
        missing = [f for f in ANSWER_FIELDS if f not in row]
        if missing:
            raise ValueError(f"answer record lacks {', '.join(missing)}: {row}")
        slot = (int(row["tile"]), int(row["proposition_id"]))
        previous = out[row["item_id"]].get(slot)
        if previous is not None and previous != row["answer"]:
            raise ValueError(f"two different answers for item {row['item_id']} tile {slot[0]} proposition {slot[1]}")
        out[row["item_id"]][slot] = str(row["answer"])
    return out


def score_answers(items: Mapping[str, Item], answers: Sequence[Mapping[str, Any]], image_failures: Mapping[str, str],
                  cfg: DPGConfig, provenance: Mapping[str, Any]) -> tuple[list[dict], list[dict], dict[str, Any]]:
    """Answers (+ the items whose image failed) → (result rows, failures, summary): pure, no model."""
    by_item = group_answers(answers)
    scored_items = items_for_mode(items, cfg.mode)
    rows, failures, scores = [], [], []
    for item_id, item in scored_items.items():
        if item_id in image_failures:
            failures.append({"item_id": item_id, "error": image_failures[item_id]})
            continue
        try:
            s = score_item(item, by_item.get(item_id, {}), cfg.pic_num, cfg.mode)
        except ItemFailure as err:
            failures.append({"item_id": item_id, "error": str(err)})
            continue
        scores.append(s)
        rows.append({"item_id": item_id, "prompt": item.text, "tile_scores": s.tile_scores, "score": s.score,
                     "mode": cfg.mode, "provenance": dict(provenance)})
    summary = summarize(scores, failures, cfg.mode, expected=len(items))
    return rows, failures, summary


def selected_items(cfg: DPGConfig) -> dict[str, Item]:
    items = read_questions(cfg.questions)
    chosen = select(list(items), cfg.limit, parse_shard(cfg.shard))
    return {i: items[i] for i in chosen}


def question_file_warnings(cfg: DPGConfig) -> list[str]:
    """The whole question file checked against the shipped DPG-Bench prompts (count and texts)."""
    from rgbench.prompt_sets import load_prompt_set

    prompts = {item.key: item.prompt for item in load_prompt_set("dpg").items}
    return official_file_warnings(read_questions(cfg.questions), prompts)


def read_answer_files(paths: Sequence[str | Path]) -> tuple[list[dict], dict[str, str]]:
    """Answer records from files (shards merge), plus image failures from each file's sibling images.jsonl."""
    rows, failures = [], {}
    for path in map(Path, paths):
        if not path.is_file():
            raise FileNotFoundError(f"answers file not found: {path}")
        rows += read_jsonl(path)
        sibling = path.parent / "images.jsonl"
        failures.update({r["item_id"]: r["error"] for r in read_jsonl(sibling)})
    return rows, failures


def evaluate_run(run: Run, cfg: DPGConfig, spec: BackendSpec | None = None, batch: int = 64) -> dict[str, Any]:
    """Run (or resume) one evaluation into an open run folder; returns the summary."""
    items = selected_items(cfg)
    warnings: list[str] = []
    if cfg.answers:
        answers, image_failures = read_answer_files(cfg.answers)
        answers = [a for a in answers if a["item_id"] in items]
        write_atomic(run.dir / "raw" / "answers.jsonl", "".join(dumps_row(r) + "\n" for r in answers))
        write_atomic(run.dir / "raw" / "images.jsonl", "".join(
            dumps_row({"item_id": i, "error": e}) + "\n" for i, e in image_failures.items() if i in items))
        backends = sorted({str(a.get("backend", "unknown")) for a in answers})
    else:
        if cfg.images is None:
            raise ValueError("give an image folder (--images) or answer files (--answers)")
        spec = spec or BackendSpec()
        vqa = build_vqa(cfg.backend, BackendSpec(cfg.model, spec.device, cfg.dtype, spec.weights_dir, spec.batch_size))
        warnings, image_failures = ask_folder(run, cfg, items, vqa, batch)
        write_atomic(run.dir / "raw" / "images.jsonl", "".join(
            dumps_row({"item_id": i, "error": e}) + "\n" for i, e in image_failures.items()))
        answers = run.raw("answers").rows()
        backends = [vqa.name]
    provenance = {"run_id": run.run_id, **generation_provenance(cfg.images)}
    warnings = question_file_warnings(cfg) + warnings
    return write_outputs(run.dir, cfg, items, answers, image_failures, backends, warnings,
                         provenance, {"provenance": run.provenance})


def write_outputs(out: Path, cfg: DPGConfig, items: Mapping[str, Item], answers: Sequence[Mapping[str, Any]],
                  image_failures: Mapping[str, str], backends: Sequence[str], warnings: list[str],
                  provenance: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """results.jsonl, failures.jsonl, summary.json and table.md, each written atomically."""
    official = bool(backends) and all(b.split("-")[0] in OFFICIAL_BACKENDS for b in backends)
    provenance = {**provenance, "scorer_version": SCORER_VERSION, "mode": cfg.mode, "vqa": list(backends),
                  "questions": cfg.questions, "pic_num": cfg.pic_num, "resolution": cfg.resolution}
    rows, failures, summary = score_answers(items, answers, image_failures, cfg, provenance)
    if not official:
        warnings = [*warnings, f"VQA backend {', '.join(backends) or '(none)'}: {SUBSTITUTE_NOTE}"]
    summary.update({"scorer_version": SCORER_VERSION, "vqa": list(backends), "official_vqa": official,
                    "warnings": warnings, **extra})
    write_atomic(out / RESULTS_FILE, "".join(dumps_row(r) + "\n" for r in rows))
    write_atomic(out / "failures.jsonl", "".join(dumps_row(f) + "\n" for f in failures))
    write_json(out / "summary.json", summary)
    label = provenance.get("model") or Path(cfg.images or out.name).name
    write_atomic(out / "table.md", markdown_table(summary, str(label)))
    return summary


class DPGBenchmark:
    """DPG-Bench's scoring side in BENCHMARKS: `rgbench runs rescore RUN -o mode=official` re-scores a run from
    raw/answers.jsonl (and raw/images.jsonl) with no model."""

    name = "dpg"
    version = SCORER_VERSION
    raw_logs = ("answers",)
    samples_file = RESULTS_FILE

    def rescore(self, run_dir: Path, options: dict[str, Any], out: Path) -> dict[str, Any]:
        import yaml

        unknown = set(options) - {"mode"}
        if unknown:
            raise ValueError(f"DPG re-scoring takes only mode=official|corrected, not {', '.join(sorted(unknown))}")
        cfg = DPGConfig(**yaml.safe_load((run_dir / "config.yaml").read_text()))
        cfg.mode = options.get("mode", cfg.mode)
        answers, image_failures = read_answer_files([run_dir / "raw" / "answers.jsonl"])
        backends = sorted({str(a.get("backend", "unknown")) for a in answers})
        return write_outputs(out, cfg, selected_items(cfg), answers, image_failures, backends, [],
                             {"rescored_from": str(run_dir)}, {"rescored_from": str(run_dir)})


BENCHMARK = DPGBenchmark()
