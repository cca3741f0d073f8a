"""The toy prompt sets, in the official formats, built deterministically from fixed seeds.

    rgbench toy build-data            # regenerates rgbench/toy/data/{geneval,dpg,t2i,train} byte for byte

* geneval/evaluation_metadata.jsonl: GenEval's schema (tag, include, exclude, prompt), all six tags.
* dpg/prompts/<item_id>.txt + dpg/dpg_bench.csv: DPG-Bench's question CSV schema with dependencies.
* t2i/dataset/<category>_val.txt: T2I-CompBench's layout (color, shape = sizes in the toy, texture, spatial,
  numeracy, complex with its spatial / action / spatialaction subsets).
* train/prompts.jsonl: training prompts in several styles, disjoint from every evaluation prompt.
* text/vocab.txt: the toy word tokenizer's vocabulary (rgbench.toy.text).
MANIFEST.json records each file's sha256; a test rebuilds the data and compares.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import random
from collections import Counter
from pathlib import Path

from rgbench.prompt_sets import normalize_prompt
from rgbench.toy.prompts import STYLES, noun_phrase
from rgbench.toy.sampler import random_spec
from rgbench.toy.spec import Relation, Spec, Want
from rgbench.toy.text import collect_vocabulary
from rgbench.toy.world import DATA_VERSION, PLURALS, T2I_CATEGORIES, WorldConfig

DATA_DIR = Path(__file__).parent / "data"
BUILT = ("geneval", "dpg", "t2i", "train")
GENEVAL_COUNTS = {"colors": 30, "position": 30, "color_attr": 60}
N_T2I, N_DPG, N_TRAIN = 50, 80, 5000
TRAIN_MIX = {"single_object": 1, "two_object": 2, "counting": 2, "colors": 2, "position": 3, "color_attr": 3,
             "dense": 3, "color": 1, "shape": 1, "texture": 1, "spatial": 1, "numeracy": 1, "complex": 2}
GENEVAL_TASK_STYLES = ("geneval", "caption", "tags", "objects")
# A training text may repeat (each time with its own seed, so its own scene) up to this many times: the small
# content spaces (single object, two objects, counting) would otherwise be nearly absent from TRAIN_MIX's draw,
# as GenEval-template prompts make up ~40% of the real RL/SFT prompt sets.
MAX_TEXT_REPEATS = 25




def holds_out_content(spec: Spec) -> bool:
    """Specs with attributes or relations are held out by content; bare shapes/counts only by wording."""
    return bool(spec.relations) or any(w.color or w.size or w.texture for w in spec.wants)


# ---------------------------------------------------------------- GenEval
def geneval_specs(world: WorldConfig, rng: random.Random) -> list[tuple[str, Spec]]:
    shapes, colors = world.shapes, world.colors
    out = [("single_object", Spec((Want(s),))) for s in shapes]
    for a, b in itertools.combinations(shapes, 2):
        out.append(("two_object", Spec((Want(a), Want(b))) if rng.random() < 0.5 else Spec((Want(b), Want(a)))))
    out += [("counting", Spec((Want(s, n),))) for s in shapes for n in (2, 3, 4)]
    combos = [(s, c) for s in shapes for c in colors]
    out += [("colors", Spec((Want(s, color=c),))) for s, c in rng.sample(combos, GENEVAL_COUNTS["colors"])]
    contents = [(a, b, axis) for a, b in itertools.combinations(shapes, 2) for axis in ("h", "v")]
    for a, b, axis in rng.sample(contents, GENEVAL_COUNTS["position"]):
        rel = rng.choice(["left of", "right of"] if axis == "h" else ["above", "below"])
        first, second = (a, b) if rng.random() < 0.5 else (b, a)
        out.append(("position", Spec((Want(first), Want(second)), (Relation(0, rel, 1),))))
    seen: set[str] = set()
    while sum(t == "color_attr" for t, _ in out) < GENEVAL_COUNTS["color_attr"]:
        spec = random_spec("color_attr", world, rng)
        if spec.key() not in seen:
            seen.add(spec.key())
            out.append(("color_attr", spec))
    return out


def geneval_record(tag: str, spec: Spec) -> dict:
    """GenEval metadata: include clauses (position: reference object first), exclude for counting."""
    clauses = [{"class": w.shape, "count": w.count, **({"color": w.color} if w.color else {})} for w in spec.wants]
    if spec.relations:
        r = spec.relations[0]
        clauses = [clauses[r.b], {**clauses[r.a], "position": [r.rel, 0]}]
    record: dict = {"tag": tag, "include": clauses}
    if tag == "counting":
        record["exclude"] = [{"class": spec.wants[0].shape, "count": spec.wants[0].count + 1}]
    record["prompt"] = STYLES["geneval"](spec, random.Random(0))
    return record


# ---------------------------------------------------------------- DPG
DPG_COLUMNS = ("item_id", "text", "keywords", "proposition_id", "dependency", "category_broad",
               "category_detailed", "tuple", "question_natural_language")


def dpg_questions(item_id: str, text: str, spec: Spec) -> list[dict]:
    """One row per proposition: global, entities, counts, attributes (children of their entity), relations."""
    rows: list[dict] = []

    def add(category: str, tup: str, question: str, deps: list[int]) -> int:
        pid = len(rows) + 1
        broad = category.split("-")[0].strip()
        rows.append({"item_id": item_id, "text": text, "keywords": ",".join(w.shape for w in spec.wants),
                     "proposition_id": pid, "dependency": ",".join(map(str, deps)) or "0",
                     "category_broad": broad, "category_detailed": category, "tuple": f"{category} ({tup})",
                     "question_natural_language": question})
        return pid

    add("global -", "flat gray background", "Is the background flat gray?", [])
    entity = {}
    for k, w in enumerate(spec.wants):
        entity[k] = add("entity - whole", w.shape, f"Is there {noun_phrase(Want(w.shape))}?", [])
        subject = f"the {PLURALS[w.shape]}" if w.count > 1 else f"the {w.shape}"
        verb = "Are" if w.count > 1 else "Is"
        if w.count > 1:
            add("other - count", f"{PLURALS[w.shape]}, =={w.count}", f"Are there {noun_phrase(Want(w.shape, w.count))}?",
                [entity[k]])
        for attr in ("color", "size", "texture"):
            value = getattr(w, attr)
            if value:
                add(f"attribute - {attr}", f"{w.shape}, {value}", f"{verb} {subject} {value}?", [entity[k]])
    for r in spec.relations:
        a, b = spec.wants[r.a].shape, spec.wants[r.b].shape
        phrase = {"left of": "to the left of", "right of": "to the right of"}.get(r.rel, r.rel)
        add("relation - spatial", f"{a}, {b}, {r.rel}", f"Is the {a} {phrase} the {b}?", [entity[r.a], entity[r.b]])
    return rows


# ---------------------------------------------------------------- build
def build_files(world: WorldConfig | None = None) -> dict[str, str]:
    """Every data file as relative path → text (deterministic)."""
    world = world or WorldConfig()
    files: dict[str, str] = {}
    eval_texts: set[str] = set()
    banned: set[str] = set()

    def note_eval(text: str, spec: Spec) -> None:
        eval_texts.add(normalize_prompt(text))
        if holds_out_content(spec):
            banned.add(spec.key())

    records = [geneval_record(tag, spec) for tag, spec in geneval_specs(world, random.Random(1001))]
    for (tag, spec), rec in zip(geneval_specs(world, random.Random(1001)), records):
        note_eval(rec["prompt"], spec)
    files["geneval/evaluation_metadata.jsonl"] = "".join(json.dumps(r) + "\n" for r in records)

    rng = random.Random(2002)
    csv_rows = []
    for k in range(N_DPG):
        spec = random_spec("dense", world, rng)
        text = STYLES["dense"](spec, rng)
        note_eval(text, spec)
        files[f"dpg/prompts/toy{k}.txt"] = text + "\n"
        csv_rows += dpg_questions(f"toy{k}", text, spec)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=DPG_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows)
    files["dpg/dpg_bench.csv"] = buf.getvalue()

    rng = random.Random(3003)
    for cat in T2I_CATEGORIES:
        lines = []
        while len(lines) < N_T2I:
            spec = random_spec(cat, world, rng)
            text = STYLES["t2i"](spec, rng)
            if text not in lines:
                lines.append(text)
                note_eval(text, spec)
        files[f"t2i/dataset/{cat}_val.txt"] = "\n".join(lines) + "\n"
    files["t2i/dataset/complex_val_spatial.txt"] = files["t2i/dataset/complex_val.txt"]
    files["t2i/dataset/complex_val_action.txt"] = ""
    files["t2i/dataset/complex_val_spatialaction.txt"] = ""
    files["t2i/dataset/new_objects.txt"] = "".join(f"{s} - {PLURALS[s]}\n" for s in world.shapes)

    files["train/prompts.jsonl"] = _train_file(world, eval_texts, banned)
    files["text/vocab.txt"] = "\n".join(collect_vocabulary(_prompt_texts(files, csv_rows), world)) + "\n"
    files["README.md"] = _readme(files)
    return files


def _prompt_texts(files: dict[str, str], csv_rows: list[dict]) -> list[str]:
    """Every prompt and question the toy sets hold (the words the text tokenizer must know)."""
    texts = [json.loads(line)["prompt"] for name in ("geneval/evaluation_metadata.jsonl", "train/prompts.jsonl")
             for line in files[name].splitlines()]
    texts += [t for name, t in files.items() if name.startswith(("dpg/prompts/", "t2i/dataset/"))]
    return texts + [row["question_natural_language"] for row in csv_rows]


def _train_file(world: WorldConfig, eval_texts: set[str], banned: set[str]) -> str:
    rng = random.Random(4004)
    tasks, weights = list(TRAIN_MIX), list(TRAIN_MIX.values())
    lines, repeats = [], Counter()
    while len(lines) < N_TRAIN:
        task = rng.choices(tasks, weights)[0]
        spec = random_spec(task, world, rng)
        style = "dense" if task == "dense" else "t2i" if task in T2I_CATEGORIES else rng.choice(GENEVAL_TASK_STYLES)
        if style in ("geneval", "caption") and (len(spec.relations) > 1 or (spec.relations and len(spec.wants) != 2)):
            style = "tags"
        text = STYLES[style](spec, rng)
        if spec.key() in banned or normalize_prompt(text) in eval_texts or repeats[text] >= MAX_TEXT_REPEATS:
            continue
        repeats[text] += 1
        lines.append(json.dumps({"id": f"train{len(lines)}", "task": task, "style": style, "prompt": text,
                                 "spec": spec.to_json(), "seed": rng.randrange(2**31)}) + "\n")
    return "".join(lines)


def _readme(files: dict[str, str]) -> str:
    n_geneval = files["geneval/evaluation_metadata.jsonl"].count("\n")
    return f"""# Toy prompt sets ({DATA_VERSION})

Generated by `rgbench toy build-data` from fixed seeds; do not edit by hand. MANIFEST.json holds the hashes.

| set | files | size |
|---|---|---|
| toy GenEval | geneval/evaluation_metadata.jsonl (GenEval's schema, six tags) | {n_geneval} prompts |
| toy DPG | dpg/prompts/toy*.txt + dpg/dpg_bench.csv (DPG-Bench's CSV schema) | {N_DPG} prompts |
| toy T2I-CompBench | t2i/dataset/<category>_val.txt | {N_T2I} prompts per category |
| train | train/prompts.jsonl (prompt, style, spec, seed) | {N_TRAIN} prompts |
| text vocabulary | text/vocab.txt (every word above, of CoT plans and of the prompt templates) | {files["text/vocab.txt"].count(chr(10))} words |

Held out from training:
* by **content** (no training prompt asks for the same thing in any wording, and no training scene shows it):
  every evaluation prompt with a colour, size, texture or relation — GenEval colors, position and color_attr,
  all of DPG, T2I color / shape / texture / spatial / complex;
* by **wording only** (the content space is too small to hold any out): GenEval single_object, two_object and
  counting, T2I numeracy. Their exact texts (ignoring case, "a photo of" and a final period) never appear in
  training.

The toy T2I "shape" category binds sizes (large / small): toy shapes are the object classes themselves.
The toy T2I set has no non-spatial (action) prompts; complex prompts are all attribute + spatial.
"""


def manifest(files: dict[str, str]) -> dict:
    return {"version": DATA_VERSION,
            "files": {p: hashlib.sha256(t.encode()).hexdigest() for p, t in sorted(files.items())}}


def write_data(out: Path = DATA_DIR, world: WorldConfig | None = None) -> dict:
    """Write every data file and MANIFEST.json under `out`; returns the manifest."""
    files = build_files(world)
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    man = manifest(files)
    (out / "MANIFEST.json").write_text(json.dumps(man, indent=2) + "\n")
    return man


def load_train(path: Path = DATA_DIR / "train" / "prompts.jsonl") -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]
