"""`rgbench eval t2i`: category folders → model outputs (VQA per noun phrase, CLIP similarity, detections) →
the official formulas, resumable, re-scorable without a model.

    run = results/<run-id>/
      raw/vqa.jsonl         one record per (image, noun-phrase question): question, P(yes)
      raw/clip.jsonl        one record per image: the text compared and the cosine similarity
      raw/detections.jsonl  one record per image: width, height, objects [{label, score, box}] (GenEval's format)
      raw/images.jsonl      files that could not be read, with the reason (rewritten per run: a rerun retries them)
      raw/parsed.jsonl      one record per image: what scoring reads out of its prompt (noun chunks, CLIP text,
                            relation, the two objects per mode, numeracy's (object, count) pairs) and the chunker
      <category>/results.jsonl, <category>/summary.json   per image: score and details; per category: the mean
      summary.json, table.md                              every category, the paper's columns

What each category asks for (`asks_for`): color / shape / texture → VQA; non_spatial → CLIP; spatial / numeracy →
detections; complex → VQA, plus detections for its spatial prompts and CLIP for its action prompts. Scores are a
pure function of those records (`rgbench.t2i.rules`), rewritten atomically at the end of every run. The prompt is
parsed once, when the images are scored, and the parse is recorded, so re-scoring never re-parses: the same raw
folder scores the same whatever chunker is installed. Raw folders from before parse records are re-parsed, and
the summary says so (`parsed`, `warnings`).

The official 2D-spatial and numeracy detector (UniDet, detectron2, NC licence) has no port: rgbench uses a
GenEval detector backend, whose label space and calibration differ, so those scores (and complex, which uses
them) are marked non-official in every result and table. 3D spatial needs a depth model and is not supported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from rgbench.backends import BackendSpec
from rgbench.progress import Progress
from rgbench.prompt_sets import load_prompt_set
from rgbench.results import dumps_row, read_jsonl, write_atomic, write_json
from rgbench.runs import Run
from rgbench.sharding import parse_shard, select
from rgbench.t2i import phrases, rules
from rgbench.t2i.folder import Entry, parse_entry, scan_category, sort_entries

SCORER_VERSION = "t2i-rules-4"  # 2: float32 BLIP product, 0.1 detection cut, per-axis frame, recorded parses;
# 3: the built-in chunker tags like spaCy (word lexicon, context rules): toy prompts and unshipped ones parse anew;
# complex CLIP text drops the ADJ-tagged tokens (exact with spaCy's tags, as the official script);
# 4: without spaCy, prompts outside the shipped table parse with the numpy port of en_core_web_sm (spaCy's parses),
# not the built-in chunker (toy prompts keep it)
CATEGORIES = ("color", "shape", "texture", "spatial", "non_spatial", "numeracy", "complex")
TABLE_COLUMNS = (("color", "Color"), ("shape", "Shape"), ("texture", "Texture"), ("spatial", "2D-Spatial"),
                 ("non_spatial", "Non-Spatial"), ("numeracy", "Numeracy"), ("complex", "Complex"))
DETECTOR_CATEGORIES = ("spatial", "numeracy", "complex")  # not the official detector here
# --backend: the VQA model, CLIP and detector that go together.
BACKENDS: dict[str, dict[str, str | None]] = {
    "toy": {"vqa": "toy", "clip": None, "detector": "toy"},
    "hf": {"vqa": "blip_t2i", "clip": "clip", "detector": "mask2former"},
}


@dataclass
class T2IConfig:
    """What decides an evaluation's numbers (config.yaml of the run; a resume must match it)."""

    images: str | None = None
    raw: str | None = None  # re-score the raw/ folder of an earlier run instead of running models
    category: str = "all"
    prompts: str = "t2i"  # the prompt set whose val files the images come from: t2i or toy-t2i
    backend: str = "toy"
    vqa_model: str | None = None
    clip_backend: str = "clip"  # clip (transformers CLIPModel) or open_clip (optional extra)
    clip_model: str | None = None
    detector_model: str | None = None
    dtype: str = "auto"
    mode: str = "corrected"
    np_num: int = 8
    limit: int | None = None  # first N images per category (in index order)
    shard: str = "0/1"
    chunker: str = "auto"  # auto (official prompts: the shipped spaCy table, other prompts spaCy when installed,
    # else spacy-port; toy prompts: builtin), builtin, spacy, spacy-port (numpy port of en_core_web_sm)
    score_threshold: float = rules.SCORE_THRESHOLD  # detections kept: score strictly above (UniDet's hard-coded 0.1)


@dataclass
class CategoryData:
    """One category's prompt file and the subsets complex prompts fall in."""

    prompts: list[str]
    subsets: dict[str, str] = field(default_factory=dict)  # complex: prompt → spatial | action | spatialaction


def category_data(prompt_set: str, category: str) -> CategoryData:
    items = load_prompt_set(f"{prompt_set}:{category}").items
    data = CategoryData([it.prompt for it in items])
    if category == "complex":
        folder = dataset_dir(prompt_set)
        for subset in ("spatialaction", "action", "spatial"):  # the official checks spatial first, then action
            path = folder / f"complex_val_{subset}.txt"
            for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
                if line.strip():
                    data.subsets[subset_key(line)] = subset
    return data


def subset_key(line: str) -> str:
    """The 3-in-1 matching key: the text before the first ".", lower-case."""
    return line.strip().split(".")[0].lower()


def dataset_dir(prompt_set: str) -> Path:
    from rgbench.prompt_sets import T2I_DATASETS

    name = prompt_set.split(":")[0]
    if name not in T2I_DATASETS:
        raise ValueError(f"unknown T2I prompt set '{prompt_set}'; known: {', '.join(T2I_DATASETS)}")
    return T2I_DATASETS[name]


@lru_cache(maxsize=2)
def vocabulary(prompt_set: str) -> dict[str, str]:
    return phrases.read_vocabulary((dataset_dir(prompt_set) / "new_objects.txt").read_text(encoding="utf-8"))


def _spacy_port() -> phrases.Chunker:
    from rgbench.t2i.spacy_port import NumpySpacyChunker

    return NumpySpacyChunker()


CHUNKERS: dict[str, Callable[[], phrases.Chunker]] = {
    "auto": phrases.default_chunker, "builtin": phrases.BuiltinChunker, "spacy": phrases.SpacyChunker,
    "spacy-port": _spacy_port}


def build_chunker(name: str, prompt_set: str = "t2i") -> phrases.Chunker:
    """The chunker a config names. `auto` on the toy prompts is the built-in chunker with the toy's vocabulary
    fixed (shapes are nouns; colours, sizes and textures adjectives), on every machine: the toy has no official
    parse, and spaCy, whose tags the built-in lexicon copies, mis-tags its shape words ("a diamond next to a
    square": square → ADJ)."""
    if name not in CHUNKERS:
        raise ValueError(f"unknown chunker '{name}'; known: {', '.join(CHUNKERS)}")
    if name == "auto" and prompt_set.startswith("toy"):
        return phrases.BuiltinChunker(fixed=toy_vocabulary())
    return CHUNKERS[name]()


def toy_vocabulary() -> dict[str, str]:
    """The toy world's words with their one part of speech."""
    from rgbench.toy import world

    adjectives = [*world.PALETTE, *world.SIZES, *world.TEXTURES]
    return {**{w: "ADJ" for w in adjectives}, **{w: "NOUN" for w in world.SHAPES}}


# ---------------------------------------------------------------- what scoring reads out of a prompt
@dataclass
class Parse:
    """One image's prompt as scoring reads it (raw/parsed.jsonl). Only the fields its category uses are set."""

    chunker: str  # the chunker that parsed it
    chunks: list[str] | None = None  # every noun chunk (attribute categories, complex); the mode picks the questions
    clip_text: str | None = None  # non-spatial, and complex prompts with an action
    relation: str | None = None  # spatial, and complex prompts with a relation: the first of RELATIONS_2D found
    objects: dict[str, list[str] | None] | None = None  # mode → the two objects (None: not two in the prompt)
    counted: list[tuple[str, int]] | None = None  # numeracy: (object, count) per number word
    subset: str | None = None  # complex: spatial, action or spatialaction (from the complex_val_* files)
    recorded: bool = True  # False: parsed now, because an older raw folder has no parse record

    def record(self, entry: Entry) -> dict[str, Any]:
        """The raw/parsed.jsonl record: the fields the category uses (a relation, even none, with the objects)."""
        fields = {"chunks": self.chunks, "clip_text": self.clip_text, "subset": self.subset, "objects": self.objects,
                  "counted": None if self.counted is None else [list(c) for c in self.counted]}
        kept = {k: v for k, v in fields.items() if v is not None}
        if self.objects is not None:
            kept["relation"] = self.relation
        return {"key": entry.filename, "filename": entry.filename, "category": entry.category, "prompt": entry.prompt,
                "chunker": self.chunker, **kept}

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> Parse:
        counted = rec.get("counted")
        return cls(rec["chunker"], rec.get("chunks"), rec.get("clip_text"), rec.get("relation"), rec.get("objects"),
                   None if counted is None else [(str(n), int(c)) for n, c in counted], rec.get("subset"))

    def pair(self, mode: str) -> tuple[str, str] | None:
        """The two objects the mode's rule compares (None: the prompt did not give two)."""
        found = (self.objects or {}).get(mode)
        return (found[0], found[1]) if found else None


def _parse_attribute(prompt: str, data: CategoryData, chunker: phrases.Chunker, prompt_set: str) -> Parse:
    return Parse(phrases.source_of(chunker, prompt), chunks=phrases.question_chunks(prompt, chunker))


def _parse_non_spatial(prompt: str, data: CategoryData, chunker: phrases.Chunker, prompt_set: str) -> Parse:
    return Parse(phrases.source_of(chunker, prompt), clip_text=prompt)


def _parse_spatial(prompt: str, data: CategoryData, chunker: phrases.Chunker, prompt_set: str) -> Parse:
    pairs = {m: phrases.spatial_objects(prompt, chunker, m) for m in rules.MODES}
    return Parse(phrases.source_of(chunker, prompt), relation=phrases.relation_2d(prompt),
                 objects={m: list(pair) if pair else None for m, pair in pairs.items()})


def _parse_numeracy(prompt: str, data: CategoryData, chunker: phrases.Chunker, prompt_set: str) -> Parse:
    counted = [(c.name, c.count) for c in phrases.numeracy_objects(prompt, vocabulary(prompt_set))]
    return Parse(phrases.source_of(chunker, prompt), counted=counted)


def _parse_complex(prompt: str, data: CategoryData, chunker: phrases.Chunker, prompt_set: str) -> Parse:
    subset = data.subsets.get(subset_key(prompt), "spatialaction")
    parse = Parse(phrases.source_of(chunker, prompt), chunks=phrases.question_chunks(prompt, chunker), subset=subset)
    if subset in ("action", "spatialaction"):
        parse.clip_text = complex_clip_text(prompt, chunker)
    if subset in ("spatial", "spatialaction"):
        tagged = chunker.tagged(prompt)
        parse.relation = phrases.relation_2d(prompt)
        parse.objects = {m: _listed(phrases.complex_objects(tagged, m)) for m in rules.MODES}
    return parse


def _listed(pair: tuple[str, str] | None) -> list[str] | None:
    return list(pair) if pair else None


PARSERS: dict[str, Callable[[str, CategoryData, phrases.Chunker, str], Parse]] = {
    "color": _parse_attribute, "shape": _parse_attribute, "texture": _parse_attribute,
    "non_spatial": _parse_non_spatial, "spatial": _parse_spatial, "numeracy": _parse_numeracy,
    "complex": _parse_complex}


def parse_prompt(entry: Entry, data: CategoryData, chunker: phrases.Chunker, prompt_set: str) -> Parse:
    """What scoring needs from the image's prompt (recorded in raw/parsed.jsonl)."""
    return PARSERS[entry.category](entry.prompt, data, chunker, prompt_set)


# ---------------------------------------------------------------- what each image needs from the models
@dataclass
class Asks:
    """The model calls one image needs."""

    chunks: list[str] = field(default_factory=list)  # every noun chunk is asked; the mode picks at scoring
    clip_text: str | None = None
    detect: bool = False


def asks_for(parse: Parse) -> Asks:
    """A parse → the model calls: VQA per noun chunk, CLIP on its text, detections when it names objects."""
    return Asks(chunks=list(parse.chunks or []), clip_text=parse.clip_text,
                detect=parse.objects is not None or parse.counted is not None)


def complex_clip_text(prompt: str, chunker: phrases.Chunker) -> str:
    """The official `--complex` CLIP text (CLIPScore_eval/CLIP_similarity.py): the prompt's tokens without those
    tagged ADJ, joined with single spaces (so "swan." becomes "swan ."). Exact with spaCy's tags (the shipped
    table, spaCy itself or its numpy port); the built-in chunker's tagger approximates them."""
    return " ".join(token for token, pos in chunker.tagged(prompt) if pos != "ADJ")


# ---------------------------------------------------------------- asking the models
class Models:
    """The backends, built on first use (a toy run never imports torch models it does not need)."""

    def __init__(self, cfg: T2IConfig, spec: BackendSpec) -> None:
        self.cfg, self.spec = cfg, spec
        self._built: dict[str, Any] = {}
        if cfg.backend not in BACKENDS:
            raise ValueError(f"unknown --backend '{cfg.backend}'; known: {', '.join(BACKENDS)}")

    def get(self, kind: str) -> Any:
        if kind not in self._built:
            self._built[kind] = self._build(kind)
        return self._built[kind]

    def _build(self, kind: str) -> Any:
        name = BACKENDS[self.cfg.backend][kind]
        s = self.spec
        if kind == "vqa":
            from rgbench.dpg.vqa import build_vqa

            return build_vqa(name, BackendSpec(self.cfg.vqa_model, s.device, self.cfg.dtype, s.weights_dir, s.batch_size))
        if kind == "clip":
            if name is None:
                raise ValueError(f"the {self.cfg.backend} backend has no CLIP model (the toy world has no actions): "
                                 "non-spatial and complex action prompts need --backend hf")
            from rgbench.vlm.clip import load_clip_similarity, load_open_clip_similarity

            if self.cfg.clip_backend == "open_clip":
                return load_open_clip_similarity(self.cfg.clip_model, s.device, s.batch_size)
            return load_clip_similarity(self.cfg.clip_model, s.device, s.weights_dir, s.batch_size)
        from rgbench.geneval.detection import build_detector

        return build_detector(name, BackendSpec(self.cfg.detector_model, s.device, self.cfg.dtype, s.weights_dir, 1))


def ask_images(run: Run, todo: Sequence[tuple[Entry, Asks]], images: Path, models: Models,
               step: int = 16) -> dict[str, str]:
    """Run the models each image needs and append their records (images already recorded are skipped); returns
    the files that could not be read now (a rerun retries them)."""
    vqa_log, clip_log, det_log = run.raw("vqa"), run.raw("clip"), run.raw("detections")
    bad: dict[str, str] = {}
    with Progress(total=len(todo), desc="t2i", unit="img") as bar:
        for start in range(0, len(todo), step):
            chunk = [(e, a, _load(images / e.filename, bad, e)) for e, a in todo[start:start + step]]
            chunk = [(e, a, im) for e, a, im in chunk if im is not None]
            _ask_vqa(chunk, vqa_log, models)
            _ask_clip(chunk, clip_log, models)
            _detect(chunk, det_log, models)
            bar.advance(len(todo[start:start + step]))
    return bad


def _load(path: Path, bad: dict[str, str], entry: Entry) -> np.ndarray | None:
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (OSError, ValueError, SyntaxError) as err:  # PIL raises all three for broken files
        bad[entry.filename] = f"unreadable image: {err}"
        return None


def _ask_vqa(chunk: list, log: Any, models: Models) -> None:
    pairs = [(e, k, c, im) for e, a, im in chunk for k, c in enumerate(a.chunks) if f"{e.filename}#{k}" not in log]
    if not pairs:
        return
    vqa = models.get("vqa")
    got = vqa.ask([im for _, _, _, im in pairs], [phrases.question(c) for _, _, c, _ in pairs])
    n_chunks = {e.filename: len(a.chunks) for e, a, _ in chunk}
    log.append({"key": f"{e.filename}#{k}", "filename": e.filename, "k": k, "chunk": c,
                "question": phrases.question(c), "p_yes": p, "answer": text, "n_chunks": n_chunks[e.filename],
                "backend": vqa.name}
               for (e, k, c, _), (text, p) in zip(pairs, got))


def _ask_clip(chunk: list, log: Any, models: Models) -> None:
    todo = [(e, a.clip_text, im) for e, a, im in chunk if a.clip_text is not None and e.filename not in log]
    if not todo:
        return
    clip = models.get("clip")
    sims = clip.similarity([t for _, t, _ in todo], [im for _, _, im in todo]).tolist()
    log.append({"key": e.filename, "filename": e.filename, "text": t, "similarity": s, "backend": clip.name}
               for (e, t, _), s in zip(todo, sims))


def _detect(chunk: list, log: Any, models: Models) -> None:
    todo = [(e, im) for e, a, im in chunk if a.detect and e.filename not in log]
    if not todo:
        return
    detector = models.get("detector")
    found = detector.detect([im for _, im in todo])
    log.append({"key": e.filename, "filename": e.filename, "width": im.shape[1], "height": im.shape[0],
                "objects": [d.to_record() for d in dets], "backend": detector.name}
               for (e, im), dets in zip(todo, found))


# ---------------------------------------------------------------- scoring (pure)
@dataclass
class Raw:
    vqa: dict[str, list[dict]]  # filename → its question records
    clip: dict[str, dict]
    detections: dict[str, dict]
    failures: dict[str, str]
    parsed: dict[str, dict] = field(default_factory=dict)  # filename → its parse record


def index_raw(vqa: list[dict], clip: list[dict], detections: list[dict], failures: list[dict],
              parsed: list[dict] | None = None) -> Raw:
    by_file: dict[str, list[dict]] = defaultdict(list)
    for row in vqa:
        by_file[row["filename"]].append(row)
    return Raw(dict(by_file), {r["filename"]: r for r in clip}, {r["filename"]: r for r in detections},
               {r["key"]: r["error"] for r in failures}, {r["filename"]: r for r in parsed or []})


def found_objects(record: Mapping[str, Any], threshold: float = rules.SCORE_THRESHOLD) -> list[rules.Found]:
    """The detections UniDet would keep (score > threshold), boxes moved to its frame axis by axis."""
    sx, sy = rules.unidet_scales((record["width"], record["height"]))
    found = [rules.Found(o["label"], o["score"], _scaled(o["box"], sx, sy)) for o in record["objects"]]
    return rules.confident(found, threshold)


def _scaled(box: Sequence[float], sx: float, sy: float) -> rules.Box:
    return box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy


def parse_of(entry: Entry, data: CategoryData, raw: Raw, cfg: T2IConfig, chunker: phrases.Chunker) -> Parse:
    """The recorded parse of the image's prompt; parsed now (recorded=False) when the raw folder predates them."""
    if entry.filename in raw.parsed:
        return Parse.from_record(raw.parsed[entry.filename])
    parse = parse_prompt(entry, data, chunker, cfg.prompts)
    parse.recorded = False
    return parse


Scored = tuple[float, dict[str, Any]]


def _score_attribute(entry: Entry, parse: Parse, raw: Raw, cfg: T2IConfig) -> Scored:
    return _attribute(entry.filename, parse, raw, cfg)


def _score_non_spatial(entry: Entry, parse: Parse, raw: Raw, cfg: T2IConfig) -> Scored:
    sim = raw.clip[entry.filename]["similarity"]
    return sim, {"text": raw.clip[entry.filename]["text"], "similarity": sim}


def _score_spatial(entry: Entry, parse: Parse, raw: Raw, cfg: T2IConfig) -> Scored:
    found = found_objects(raw.detections[entry.filename], cfg.score_threshold)
    return rules.spatial_score(parse.pair(cfg.mode), parse.relation, found, cfg.mode)


def _score_numeracy(entry: Entry, parse: Parse, raw: Raw, cfg: T2IConfig) -> Scored:
    found = found_objects(raw.detections[entry.filename], cfg.score_threshold)
    return rules.numeracy_score(list(parse.counted or []), found)


def _score_complex(entry: Entry, parse: Parse, raw: Raw, cfg: T2IConfig) -> Scored:
    attribute, details = _attribute(entry.filename, parse, raw, cfg)
    spatial = clip = None
    subset = parse.subset or "spatialaction"
    if subset in ("spatial", "spatialaction"):
        found = found_objects(raw.detections[entry.filename], cfg.score_threshold)
        spatial, sd = rules.spatial_score(parse.pair(cfg.mode), parse.relation, found, cfg.mode)
        details["spatial"] = {"score": spatial, **sd}
    if subset in ("action", "spatialaction"):
        clip = raw.clip[entry.filename]["similarity"]
        details["clip"] = clip
    return rules.complex_score(subset, attribute, spatial, clip), {"subset": subset, "attribute": attribute, **details}


SCORERS: dict[str, Callable[[Entry, Parse, Raw, T2IConfig], Scored]] = {
    "color": _score_attribute, "shape": _score_attribute, "texture": _score_attribute,
    "non_spatial": _score_non_spatial, "spatial": _score_spatial, "numeracy": _score_numeracy,
    "complex": _score_complex}


def score_entry(entry: Entry, parse: Parse, raw: Raw, cfg: T2IConfig) -> Scored:
    """One image's score and details; KeyError when a record it needs is missing."""
    return SCORERS[entry.category](entry, parse, raw, cfg)


def _attribute(name: str, parse: Parse, raw: Raw, cfg: T2IConfig) -> Scored:
    """BLIP-VQA: the product over the kept noun chunks' P(yes). A prompt with no noun chunk asks nothing and
    scores 1.0, as the official does (each empty question's factor is set to 1)."""
    rows = sorted(raw.vqa.get(name, []), key=lambda r: r["k"])
    expected = rows[0]["n_chunks"] if rows else (len(parse.chunks) if parse.chunks is not None else None)
    if expected is None or len(rows) != expected:
        raise KeyError(f"{len(rows)} of {expected if expected is not None else '?'} VQA answers recorded")
    asked = [rows[i] for i in phrases.kept_chunks([r["chunk"] for r in rows], cfg.mode, cfg.np_num)]
    p = [r["p_yes"] for r in asked]
    return rules.attribute_score(p, cfg.np_num), {"questions": [r["question"] for r in asked], "p_yes": p}


def score_category(entries: Sequence[Entry], data: CategoryData, raw: Raw, cfg: T2IConfig,
                   chunker: phrases.Chunker, provenance: Mapping[str, Any]) -> tuple[list[dict], list[dict]]:
    rows, failures = [], []
    for e in entries:
        if e.error or e.filename in raw.failures:
            failures.append({"filename": e.filename, "error": e.error or raw.failures[e.filename]})
            continue
        parse = parse_of(e, data, raw, cfg, chunker)
        try:
            score, details = score_entry(e, parse, raw, cfg)
        except KeyError as err:
            failures.append({"filename": e.filename, "error": f"missing model output: {err}"})
            continue
        rows.append({"filename": e.filename, "category": e.category, "prompt": e.prompt, "index": e.index,
                     "score": score, "details": details, "parsed": {"chunker": parse.chunker, "recorded": parse.recorded},
                     "provenance": dict(provenance)})
    return rows, failures


# ---------------------------------------------------------------- the run
def categories_of(cfg: T2IConfig) -> list[str]:
    if cfg.category == "all":
        return [c for c in CATEGORIES if (dataset_dir(cfg.prompts) / f"{c}_val.txt").is_file()]
    if cfg.category == "3d_spatial":
        raise ValueError("3d_spatial needs a depth model (DPT) that rgbench does not run yet")
    if cfg.category not in CATEGORIES:
        from rgbench.registry import did_you_mean

        raise ValueError(f"unknown --category '{cfg.category}'{did_you_mean(cfg.category, CATEGORIES)}; "
                         f"known: {', '.join(CATEGORIES)}, all")
    return [cfg.category]


RAW_LOGS = ("vqa", "clip", "detections", "images", "parsed")  # parsed: absent from raw folders before parse records
VQA_CATEGORIES = ("color", "shape", "texture", "complex")


def read_raw(raw_dir: Path) -> Raw:
    return index_raw(*(read_jsonl(raw_dir / f"{n}.jsonl") for n in RAW_LOGS))


def entries_from_raw(raw: Raw, category: str, data: CategoryData) -> list[Entry]:
    """The category's images as the raw records name them (re-scoring needs no image folder)."""
    names = set(raw.vqa) | set(raw.clip) | set(raw.detections) | set(raw.failures) | set(raw.parsed)
    known = set(data.prompts)
    return sort_entries([parse_entry(n, category, known) for n in names if n.split("/", 1)[0] == category])


def evaluate_run(run: Run, cfg: T2IConfig, spec: BackendSpec | None = None) -> dict[str, Any]:
    """Run (or resume) an evaluation of the chosen categories into an open run folder; returns the summary."""
    if cfg.images is None and cfg.raw is None:
        raise ValueError("give an image folder (--images) or an earlier run's raw folder (--raw)")
    chunker = build_chunker(cfg.chunker, cfg.prompts)
    cats = {cat: category_data(cfg.prompts, cat) for cat in categories_of(cfg)}
    if cfg.raw is not None:
        for name in RAW_LOGS:  # keep the scored records with the run, so it re-scores on its own
            src = Path(cfg.raw) / f"{name}.jsonl"
            write_atomic(run.dir / "raw" / f"{name}.jsonl", src.read_text() if src.is_file() else "")
        raw = read_raw(run.dir / "raw")
        per_category = {cat: (entries_from_raw(raw, cat, data), data) for cat, data in cats.items()}
    else:
        images, per_category, bad = Path(cfg.images), {}, {}
        models = Models(cfg, spec or BackendSpec())
        for cat, data in cats.items():
            entries = select(scan_category(images, cat, data.prompts), cfg.limit, parse_shard(cfg.shard))
            parses = record_parses(run, [e for e in entries if not e.error], data, chunker, cfg.prompts)
            bad |= ask_images(run, [(e, asks_for(parses[e.filename])) for e in entries if not e.error], images, models)
            per_category[cat] = (entries, data)
        write_atomic(run.dir / "raw" / "images.jsonl", "".join(
            dumps_row({"key": k, "error": e}) + "\n" for k, e in bad.items()))
        raw = read_raw(run.dir / "raw")
    provenance = {"run_id": run.run_id, "scorer_version": SCORER_VERSION, "mode": cfg.mode, "chunker": chunker.name,
                  "backend": cfg.backend, "prompts": cfg.prompts, "score_threshold": cfg.score_threshold}
    return write_outputs(run.dir, cfg, per_category, raw, chunker, provenance, run.provenance)


def record_parses(run: Run, entries: Sequence[Entry], data: CategoryData, chunker: phrases.Chunker,
                  prompt_set: str) -> dict[str, Parse]:
    """Parse each image's prompt once into raw/parsed.jsonl (a resumed run keeps the parses it recorded, so
    they match the questions already asked); returns every entry's recorded parse."""
    log = run.raw("parsed")
    log.append(parse_prompt(e, data, chunker, prompt_set).record(e) for e in entries if e.filename not in log)
    wanted = {e.filename for e in entries}
    return {r["filename"]: Parse.from_record(r) for r in log.rows() if r["filename"] in wanted}


def write_outputs(out: Path, cfg: T2IConfig, per_category: Mapping[str, tuple[list[Entry], CategoryData]], raw: Raw,
                  chunker: phrases.Chunker, provenance: Mapping[str, Any], run_provenance: Any) -> dict[str, Any]:
    summary: dict[str, Any] = {"scorer_version": SCORER_VERSION, "mode": cfg.mode, "chunker": chunker.name,
                               "backend": cfg.backend, "score_threshold": cfg.score_threshold, "categories": {},
                               "provenance": run_provenance, "warnings": [],
                               "non_official": [c for c in per_category if c in DETECTOR_CATEGORIES]}
    for cat, (entries, data) in per_category.items():
        rows, failures = score_category(entries, data, raw, cfg, chunker, provenance)
        entry = category_entry(cat, rows, failures)
        if entry["parsed"]["reparsed"]:
            summary["warnings"].append(
                f"{cat}: {entry['parsed']['reparsed']} prompts re-parsed with the {chunker.name} chunker (the raw "
                "folder predates parse records); another chunker may give other objects or questions")
        write_atomic(out / cat / "results.jsonl", "".join(dumps_row(r) + "\n" for r in rows))
        write_atomic(out / cat / "failures.jsonl", "".join(dumps_row(f) + "\n" for f in failures))
        write_json(out / cat / "summary.json", {**entry, "category": cat, **provenance})
        summary["categories"][cat] = entry
    write_json(out / "summary.json", summary)
    write_atomic(out / "table.md", markdown_table(summary, Path(cfg.images or out.name).name))
    return summary


def category_entry(cat: str, rows: Sequence[Mapping[str, Any]], failures: Sequence[Any]) -> dict[str, Any]:
    """A category's line of the summary: the mean score over images, how many were scored / failed, how many had
    no question to ask (VQA categories: scored 1.0, as the official does), and how their prompts were parsed."""
    scores = [r["score"] for r in rows]
    prompts = {r["prompt"] for r in rows}
    entry: dict[str, Any] = {
        "score": sum(scores) / len(scores) if scores else None, "images": len(rows), "prompts": len(prompts),
        "images_per_prompt": len(rows) / len(prompts) if prompts else None, "failed": len(failures),
        "official_detector": cat not in DETECTOR_CATEGORIES}
    if cat in VQA_CATEGORIES:
        entry["no_question"] = sum(not r["details"]["questions"] for r in rows)
    recorded = sum(r["parsed"]["recorded"] for r in rows)
    entry["parsed"] = {"recorded": recorded, "reparsed": len(rows) - recorded}
    return entry


def markdown_table(summary: Mapping[str, Any], label: str) -> str:
    """The paper's columns; † marks a detector-based score (GenEval's detector, not UniDet)."""
    cats = summary["categories"]
    cols = [(key, title + (" †" if key in DETECTOR_CATEGORIES else "")) for key, title in TABLE_COLUMNS if key in cats]
    cells = ["–" if cats[k]["score"] is None else f"{cats[k]['score']:.4f}" for k, _ in cols]
    return (f"| Model | {' | '.join(t for _, t in cols)} |\n|---|{'---|' * len(cols)}\n| {label} | {' | '.join(cells)} |\n\n"
            f"T2I-CompBench, mode `{summary['mode']}`, chunker `{summary['chunker']}`, detections kept above score "
            f"{summary['score_threshold']}. † scored with a GenEval detector backend instead of UniDet (no port; NC "
            "licence): not comparable with published numbers.\n")


RESCORE_OPTIONS: dict[str, Callable[[Any], Any]] = {"mode": str, "np_num": int, "score_threshold": float}


class T2IBenchmark:
    """T2I-CompBench's scoring side in BENCHMARKS: `rgbench runs rescore RUN -o mode=official` re-scores a run
    from its raw/ records with no model and no image folder (also -o np_num=…, -o score_threshold=…)."""

    name = "t2i"
    version = SCORER_VERSION
    raw_logs = RAW_LOGS

    def rescore(self, run_dir: Path, options: dict[str, Any], out: Path) -> dict[str, Any]:
        import yaml

        unknown = set(options) - set(RESCORE_OPTIONS)
        if unknown:
            raise ValueError(f"T2I re-scoring takes {', '.join(o + '=' for o in RESCORE_OPTIONS)}; "
                             f"not {', '.join(sorted(unknown))}")
        cfg = T2IConfig(**yaml.safe_load((run_dir / "config.yaml").read_text()))
        for name, cast in RESCORE_OPTIONS.items():
            setattr(cfg, name, cast(options.get(name, getattr(cfg, name))))
        if cfg.mode not in rules.MODES:
            raise ValueError(f"unknown mode '{cfg.mode}'; known: {', '.join(rules.MODES)}")
        chunker = build_chunker(cfg.chunker, cfg.prompts)
        raw = read_raw(run_dir / "raw")
        per_category = {cat: (entries_from_raw(raw, cat, data), data)
                        for cat, data in ((c, category_data(cfg.prompts, c)) for c in categories_of(cfg))}
        provenance = {"rescored_from": str(run_dir), "scorer_version": SCORER_VERSION, "mode": cfg.mode,
                      "chunker": chunker.name, "backend": cfg.backend, "prompts": cfg.prompts,
                      "score_threshold": cfg.score_threshold}
        return write_outputs(out, cfg, per_category, raw, chunker, provenance, {"rescored_from": str(run_dir)})


BENCHMARK = T2IBenchmark()
