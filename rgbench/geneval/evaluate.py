"""`rgbench eval geneval`: image folder → detections → official decisions → summary, resumable and shardable.

    run = results/<run-id>/
      raw/detections.jsonl   one record per image (public format, `rgbench.geneval.detections`), appended per batch
      results.jsonl          the official rows (filename, tag, prompt, correct, reason, metadata, details) + provenance
      failures.jsonl         files that could not be scored, each with its reason
      summary.json, table.md the aggregation (`rgbench.geneval.summary`) and the paper's table

Detection is the slow part and the only one that resumes (an image whose record is in raw/ is not detected
again); everything after it is a pure function of the records and is rewritten atomically at the end of every
run. `--detections FILE...` skips detection: records from one or more files (the shards of a run, or a file
from elsewhere) are scored as they are, which is also how shards are merged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from rgbench.devices import resolve_device
from rgbench.geneval.detection import (
    BackendSpec,
    ColorClassifier,
    Detector,
    build_color_classifier,
    build_detector,
)
from rgbench.geneval.detections import (
    DEFAULT_FLOOR,
    check_floor,
    color_candidates,
    failure_record,
    image_record,
    read_detections,
)
from rgbench.geneval.folder import Entry, read_metadata, scan_images
from rgbench.geneval.rules import MissingColor, ScoringOptions, score_image
from rgbench.geneval.summary import markdown_table, summarize
from rgbench.layouts import generation_provenance
from rgbench.progress import Progress
from rgbench.results import dumps_row, read_jsonl, write_atomic, write_json
from rgbench.runs import Run
from rgbench.sharding import parse_shard

SCORER_VERSION = "geneval-rules-1"  # bump when a rule, an option default or the aggregation changes
RESULTS_FILE = "results.jsonl"

# --backend: the detector and colour classifier that go together.
BACKENDS: dict[str, tuple[str, str]] = {
    "toy": ("toy", "toy"),
    "mask2former": ("mask2former", "clip"),  # transformers only: runs anywhere torch does
    "mmdet": ("mmdet", "open_clip"),  # the official stack (optional extras)
}


@dataclass
class GenEvalConfig:
    """What decides an evaluation's numbers (config.yaml of the run; a resume must match it)."""

    images: str | None = None
    detections: list[str] = field(default_factory=list)  # score these records instead of running a detector
    detector: str = "toy"
    detector_model: str | None = None
    colors: str = "toy"
    color_model: str | None = None
    dtype: str = "auto"
    options: dict[str, Any] = field(default_factory=dict)  # official --options (threshold, counting_threshold, ...)
    floor: float = DEFAULT_FLOOR  # detections below this score are not written
    limit: int | None = None  # first N prompt folders
    shard: str = "0/1"


@dataclass(frozen=True)
class Batching:
    """How much work goes into one call; changes speed (and float rounding), never a decision, so it is not part
    of the run's config and may differ between attempts of one run."""

    step: int = 16  # images loaded, detected and appended to raw/detections.jsonl per step
    detector: int | None = None  # images per detector forward; None: 8 on a GPU, 1 on a CPU (measured faster there)
    color: int = 16  # crops per CLIP forward (the official value)

    def detector_batch(self, device: str | None) -> int:
        if self.detector is not None:
            return self.detector
        return 8 if resolve_device(device).type == "cuda" else 1


@dataclass
class LoadedImage:
    detector_input: np.ndarray  # uint8 [H, W, 3] as the detector reads the file (no EXIF transpose)
    color_input: Image.Image  # EXIF-transposed RGB, what the official CLIP crops come from

    @classmethod
    def from_array(cls, image: Any) -> LoadedImage:
        """An in-memory image (no file, so no EXIF): both views are the same pixels."""
        pixels = np.asarray(image, dtype=np.uint8)  # [H, W, 3]
        return cls(pixels, Image.fromarray(pixels))


def load_image(path: Path) -> LoadedImage:
    """Both views of an image file; raises OSError/ValueError for unreadable or corrupt files."""
    with Image.open(path) as im:
        im.load()
        raw = np.asarray(im.convert("RGB"), dtype=np.uint8)
        colour = ImageOps.exif_transpose(im).convert("RGB")
    return LoadedImage(raw, colour)


def batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def detect_batch(entries: Sequence[Entry], images_dir: Path, detector: Detector, colors: ColorClassifier,
                 cfg: GenEvalConfig, options: ScoringOptions) -> list[dict[str, Any]]:
    """Detect a batch of image files and colour-classify the objects colour clauses may need → detections records."""
    backends = {"detector": detector.name, "color_classifier": colors.name}
    records: dict[int, dict[str, Any]] = {}
    loaded: list[tuple[int, Entry, LoadedImage]] = []
    for i, entry in enumerate(entries):
        try:
            loaded.append((i, entry, load_image(images_dir / entry.filename)))
        except (OSError, ValueError, SyntaxError) as err:  # PIL raises all three for broken files
            records[i] = failure_record(entry.filename, f"unreadable image: {err}", entry.metadata, backends)
    found = detect_images([(e.filename, e.metadata, im) for _, e, im in loaded], detector, colors, cfg.floor, options)
    records.update({i: record for (i, _, _), record in zip(loaded, found)})
    return [records[i] for i in range(len(entries))]


def detect_images(images: Sequence[tuple[str, dict[str, Any] | None, LoadedImage]], detector: Detector,
                  colors: ColorClassifier, floor: float, options: ScoringOptions) -> list[dict[str, Any]]:
    """(filename, metadata, image) triples → detections records (also for images that never touch a disk)."""
    if not images:
        return []
    backends = {"detector": detector.name, "color_classifier": colors.name}
    found = detector.detect([im.detector_input for _, _, im in images])
    kept = [[d for d in dets if d.score >= floor] for dets in found]
    wanted = [color_candidates(dets, meta, options.max_objects) for dets, (_, meta, _) in zip(kept, images)]
    pairs = [(im.color_input, dets[j]) for dets, want, (_, _, im) in zip(kept, wanted, images) for j in want]
    answers = iter(colors.classify(pairs) if pairs else [])
    out = []
    for dets, want, (name, meta, im) in zip(kept, wanted, images):
        height, width = im.detector_input.shape[:2]
        out.append(image_record(name, (width, height), dets, {j: next(answers) for j in want}, floor, meta, backends))
    return out


def detect_folder(run: Run, cfg: GenEvalConfig, options: ScoringOptions, detector: Detector,
                  colors: ColorClassifier, step: int = 16) -> tuple[list[dict[str, Any]], list[str]]:
    """Detect every image of the (limited, sharded) folder not yet in raw/detections.jsonl; returns all records
    of this folder selection and the top-level folders that are not prompt folders."""
    images_dir = Path(cfg.images)
    scan = scan_images(images_dir, cfg.limit, parse_shard(cfg.shard))
    forget_failures(run.dir / "raw" / "detections.jsonl")  # re-checked below: a file fixed since is then scored
    log = run.raw("detections", key="filename")
    backends = {"detector": detector.name, "color_classifier": colors.name}
    log.append(failure_record(e.filename, e.error, e.metadata, backends)
               for e in scan.entries if e.error and e.filename not in log)
    todo = [e for e in scan.entries if not e.error and e.filename not in log]
    with Progress(total=len(todo), desc="geneval detect", unit="img") as bar:
        for batch in batches(todo, step):
            log.append(detect_batch(batch, images_dir, detector, colors, cfg, options))
            bar.advance(len(batch))
    mine = {e.filename for e in scan.entries}
    return [r for r in log.rows() if r["filename"] in mine], scan.ignored


def forget_failures(path: Path) -> int:
    """Drop the failure records (unreadable image, missing metadata, ...) from a detections log before a resumed
    run, so each is examined again; returns how many were dropped. Detections of readable images stay."""
    if not path.is_file():
        return 0
    rows = read_jsonl(path)
    kept = [r for r in rows if not r.get("error")]
    if len(kept) < len(rows):
        write_atomic(path, "".join(dumps_row(r) + "\n" for r in kept))
    return len(rows) - len(kept)


@lru_cache(maxsize=1)
def _object_names() -> tuple[str, ...]:
    path = Path(__file__).parent / "data" / "object_names.txt"
    return tuple(line.strip() for line in path.read_text().splitlines() if line.strip())


def metadata_lookup(images: str | Path | None) -> Callable[[str], tuple[dict[str, Any] | None, str | None]]:
    """filename → its prompt folder's metadata (the official layout), or the reason there is none."""
    def lookup(filename: str) -> tuple[dict[str, Any] | None, str | None]:
        if images is None:
            return None, "the record carries no metadata and no --images folder was given to find it in"
        return read_metadata(Path(images) / filename.split("/", 1)[0])
    return lookup


def score_records(records: Sequence[Mapping[str, Any]], options: ScoringOptions, images: str | Path | None = None,
                  provenance: Mapping[str, Any] | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Detections records → (official rows, failures). Pure apart from reading metadata files for records that
    do not carry their metadata."""
    check_floor(records, min(options.threshold, options.counting_threshold))
    lookup = metadata_lookup(images)
    rows, failures = [], []
    for record in records:
        if record.get("error"):
            failures.append({"filename": record["filename"], "error": record["error"]})
            continue
        metadata, why = (record["metadata"], None) if record.get("metadata") else lookup(record["filename"])
        if metadata is None:
            failures.append({"filename": record["filename"], "error": f"no metadata: {why}"})
            continue
        try:
            row = score_image(record, metadata, options, _object_names())
        except MissingColor as err:
            failures.append({"filename": record["filename"], "error": f"missing colour: {err}"})
            continue
        backends = {k: record[k] for k in ("detector", "color_classifier") if k in record}
        rows.append({**row, "provenance": {**(provenance or {}), **backends}})
    rows.sort(key=lambda r: r["filename"])
    return rows, failures


def prompt_set_of(rows: Sequence[Mapping[str, Any]]) -> tuple[str, list[str] | None]:
    """Which prompt set the scored metadata come from (GenEval's 553, the toy set, or custom) and its prompts."""
    from rgbench.prompt_sets import load_prompt_set

    seen = {r["metadata"] for r in rows}
    for name in ("geneval", "toy-geneval"):
        prompt_set = load_prompt_set(name)
        expected = [json.dumps(item.record) for item in prompt_set.items]
        if seen and seen <= set(expected):
            return prompt_set.version, expected
    return "custom", None


def write_outputs(out: Path, rows: list[dict[str, Any]], failures: list[dict[str, Any]], label: str,
                  extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """results.jsonl, failures.jsonl, summary.json and table.md, each written atomically."""
    version, expected = prompt_set_of(rows)
    for row in rows:
        row["provenance"] = {**row.get("provenance", {}), "benchmark_version": version}
    summary = {**summarize(rows, failures, expected), "benchmark_version": version, "scorer_version": SCORER_VERSION,
               **(extra or {})}
    write_atomic(out / RESULTS_FILE, "".join(dumps_row(r) + "\n" for r in rows))
    write_atomic(out / "failures.jsonl", "".join(dumps_row(f) + "\n" for f in failures))
    write_json(out / "summary.json", summary)
    write_atomic(out / "table.md", markdown_table(summary, label))
    return summary


def evaluate_run(run: Run, cfg: GenEvalConfig, spec: BackendSpec | None = None,
                 batching: Batching = Batching()) -> dict[str, Any]:
    """Run (or resume) one evaluation into an open run folder; returns the summary."""
    options = ScoringOptions.from_mapping(cfg.options)
    ignored: list[str] = []
    if cfg.detections:
        records = read_detections(cfg.detections)
    else:
        if cfg.images is None:
            raise ValueError("give an image folder (--images) or detections files (--detections)")
        spec = spec or BackendSpec(dtype=cfg.dtype)
        detector = build_detector(cfg.detector, BackendSpec(cfg.detector_model, spec.device, cfg.dtype,
                                                            spec.weights_dir, batching.detector_batch(spec.device)))
        colors = build_color_classifier(cfg.colors, BackendSpec(cfg.color_model, spec.device, cfg.dtype,
                                                                spec.weights_dir, batching.color))
        records, ignored = detect_folder(run, cfg, options, detector, colors, batching.step)
    provenance = {"run_id": run.run_id, "scorer_version": SCORER_VERSION, "options": options.as_dict(),
                  **generation_provenance(cfg.images)}
    if cfg.detections:  # keep the scored records with the run, so it can be re-scored on its own
        write_atomic(run.dir / "raw" / "detections.jsonl", "".join(dumps_row(r) + "\n" for r in records))
    rows, failures = score_records(records, options, cfg.images, provenance)
    label = provenance.get("model") or Path(cfg.images or run.run_id).name
    return write_outputs(run.dir, rows, failures, str(label), {"options": options.as_dict(), "ignored_folders": ignored,
                                                               "provenance": run.provenance})


class GenEvalBenchmark:
    """GenEval's scoring side in BENCHMARKS (what `rgbench runs rescore` uses)."""

    name = "geneval"
    version = SCORER_VERSION
    raw_logs = ("detections",)
    samples_file = RESULTS_FILE

    def score(self, raw: dict[str, list[dict[str, Any]]], options: dict[str, Any]) -> list[dict[str, Any]]:
        rows, failures = score_records(raw["detections"], ScoringOptions.from_mapping(options))
        return rows + [{**f, "failed": True} for f in failures]

    def summarize(self, rows: list[dict[str, Any]], options: dict[str, Any]) -> dict[str, Any]:
        scored = [r for r in rows if not r.get("failed")]
        return summarize(scored, [r for r in rows if r.get("failed")], prompt_set_of(scored)[1])

    def rescore(self, run_dir: Path, options: dict[str, Any], out: Path) -> dict[str, Any]:
        """Re-score a run from raw/detections.jsonl alone into `out` (results, failures, summary, table)."""
        opts = ScoringOptions.from_mapping(options)
        rows, failures = score_records(read_detections([run_dir / "raw" / "detections.jsonl"]), opts,
                                       None, {"rescored_from": str(run_dir), "options": opts.as_dict()})
        return write_outputs(out, rows, failures, run_dir.name, {"options": opts.as_dict(), "rescored_from": str(run_dir)})


BENCHMARK = GenEvalBenchmark()
