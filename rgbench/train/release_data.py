"""ReasonGen-R1's training data as published, read in place (shared/spec/method.md §2–§3): no conversion step.

SFT: the Hugging Face dataset `Franklin0/ReasonGen-R1-SFT-230k` as the hub lays it out on disk (a folder of
parquet shards), a glob of shards, or a list of shard paths. The shards are read one at a time with pyarrow, and
only the selected rows' images are decoded, tokenized and cached as codes. The release's `HFSFTDataset`
(`verl/utils/dataset/sft_dataset.py`) trains on the split named `train`. When the dataset has only one split,
the release cuts it with `datasets`' `train_test_split(test_size=0.05, seed=42)`. `split_indices` rebuilds that
cut row for row.

RL: the release's `examples/rl_prompts/*_train.txt` files, read in the order given. Each line of a file is one
prompt (`readlines` + `strip`). Files are concatenated with no dedup and no "a photo of" removal (the policy
template adds "A photo of"). The release's `filter_overlong_prompts` drops a line when its tokens (the raw
line, newline included) + 10 exceed `max_prompt_length` (156 in `examples/janus_rl.sh`).
"""

from __future__ import annotations

import ast
import base64
import binascii
import glob
import io
import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rgbench.train.sft_data import PROMPT_STYLES, RecordError, SFTRecord, center_square, compact_codes

SFT_DATASET = "Franklin0/ReasonGen-R1-SFT-230k"
RELEASE_REPO = "https://github.com/Franklin-Zhang0/ReasonGen-R1"
SFT_HINT = (f"the release's SFT data is the Hugging Face dataset {SFT_DATASET}: download it with "
            f"`huggingface-cli download {SFT_DATASET} --repo-type dataset --local-dir ReasonGen-R1-SFT-230k` "
            "and point `data` at that folder (--set data=<folder>)")
RL_HINT = (f"the release's RL prompts are examples/rl_prompts/{{geneval,dpg,t2i}}_train.txt in {RELEASE_REPO}: "
           "clone it and point `prompt_dir` at <clone>/examples/rl_prompts (--set prompt_dir=<folder>)")

COLUMNS = ("image", "brief_caption", "detailed_caption", "augmented_prompts")  # the columns HFSFTDataset reads
TEST_SIZE, SPLIT_SEED = 0.05, 42  # HFSFTDataset's own split of a one-split dataset
LEGACY_LIST_STYLES = ("paraphrases", "varied_captions")  # may be stored as a Python list literal (the release evals it)
OVERLONG_MARGIN = 10  # the release's slack for the chat tokens around a prompt

# `datasets`' split inference for a local folder (data_files.py): sharded names first, then keywords
_SHARD_NAME = re.compile(r"^(?P<split>\w+(?:\.\w+)*)-\d{5}-of-\d{5}[^/]*$")  # data/<this> in a folder
_SPLIT_KEYWORDS = {"train": ("train", "training"), "validation": ("validation", "valid", "dev", "val"),
                   "test": ("test", "testing", "eval", "evaluation")}
_SEP = r"[-._ 0-9]"


# ---------------------------------------------------------------- the 95/5 split


def split_indices(n: int, test_size: float = TEST_SIZE, seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) row indices exactly as `datasets.Dataset.train_test_split(test_size=…, seed=…)` picks them
    (shuffle on, no stratification): n_test = ceil(test_size · n) in float arithmetic, then a
    `np.random.default_rng(seed)` permutation. Its first n_test entries are the test rows and the rest the train
    rows, in permutation order."""
    n_test = math.ceil(test_size * n)
    if n == 0 or n - n_test <= 0:
        raise RecordError(f"cannot split {n} rows with test_size={test_size}: the train side would be empty")
    perm = np.random.default_rng(seed).permutation(n)  # [n]
    return perm[n_test:], perm[:n_test]


# ---------------------------------------------------------------- finding the shards


@dataclass
class Shard:
    path: Path
    name: str  # the path relative to the dataset root (keys and messages use it)
    rows: int


def _keyword_splits(names: list[str], in_dirs: bool) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for split, words in _SPLIT_KEYWORDS.items():
        pattern = re.compile(rf"(^|{_SEP})({'|'.join(words)})($|{_SEP})" if in_dirs
                             else rf"(^|{_SEP})({'|'.join(words)}){_SEP}")
        hits = [n for n in names if any(pattern.search(part) for part in
                                         (n.split("/")[:-1] if in_dirs else n.split("/")[-1:]))]
        if hits:
            out[split] = hits
    return out


def infer_splits(names: list[str]) -> dict[str, list[str]]:
    """Split name → shard names (relative paths, sorted), as `datasets.load_dataset(<folder>)` assigns them:
    `data/<split>-NNNNN-of-NNNNN*` names if there are any, else a train/validation/test keyword in a folder
    name, else in a file name, else every file is `train`."""
    names = sorted(names)
    sharded: dict[str, list[str]] = {}
    for n in names:
        m = _SHARD_NAME.match(n[len("data/"):]) if n.startswith("data/") else None
        if m:
            sharded.setdefault(m["split"], []).append(n)
    if sharded:
        return sharded
    return _keyword_splits(names, in_dirs=True) or _keyword_splits(names, in_dirs=False) or {"train": names}


def find_shards(source: str | Sequence[str]) -> tuple[Path, dict[str, list[Path]]]:
    """(root, split → shard paths) for a dataset folder, one parquet file, a glob, or a list of shard paths.
    A folder is searched recursively (hidden and `__` folders skipped) and its splits inferred from file names.
    A glob or a list is one split named `train`, unless all of its files carry `<split>-NNNNN-of-NNNNN` names."""
    if isinstance(source, str) and Path(source).expanduser().is_dir():
        root = Path(source).expanduser()
        files = [p for p in root.rglob("*.parquet") if p.is_file()
                 and not any(part.startswith((".", "__")) for part in p.relative_to(root).parts)]
        if not files:
            raise RecordError(f"{root}: no parquet files in this folder; {SFT_HINT}")
        names = {p.relative_to(root).as_posix(): p for p in files}
        return root, {split: [names[n] for n in group] for split, group in infer_splits(list(names)).items()}
    items = [source] if isinstance(source, str) else list(source)
    files = []
    for item in items:
        matches = sorted(glob.glob(str(Path(item).expanduser()))) if _is_glob(item) else [item]
        if not matches:
            raise RecordError(f"no parquet files match {item}; {SFT_HINT}")
        for match in map(Path, matches):
            if not match.is_file():
                raise RecordError(f"SFT data not found: {match}; {SFT_HINT}")
            files.append(match)
    root = Path(os.path.commonpath([str(p.resolve().parent) for p in files]))
    if all(_SHARD_NAME.match(p.name) for p in files):
        splits: dict[str, list[Path]] = {}
        for p in files:
            splits.setdefault(_SHARD_NAME.match(p.name)["split"], []).append(p)
        return root, splits
    return root, {"train": files}


def _is_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def open_shards(paths: list[Path], root: Path) -> list[Shard]:
    """Row counts from the parquet footers (no data read); the columns the release reads must all be there."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    shards = []
    for path in paths:
        name = path.resolve().relative_to(root.resolve()).as_posix()  # root is a parent of every shard
        try:
            pf = pq.ParquetFile(path)
        except (OSError, pa.ArrowInvalid) as err:
            raise RecordError(f"{path}: not a readable parquet file: {err}") from None
        missing = [c for c in COLUMNS if c not in pf.schema_arrow.names]
        if missing:
            raise RecordError(f"{path}: missing column(s) {missing}; the release's SFT rows have {list(COLUMNS)} "
                              f"(this shard has {pf.schema_arrow.names})")
        shards.append(Shard(path, name, pf.metadata.num_rows))
    return shards


# ---------------------------------------------------------------- rows → records


def image_bytes(value: Any, shard: Path, where: str) -> bytes:
    """The encoded image of one `image` cell: the `datasets` Image struct {bytes, path}, raw bytes, or a base64
    string (a data URL as the release's `preprocess_img` expects, or bare base64)."""
    if isinstance(value, dict):
        if value.get("bytes"):
            return value["bytes"]
        if value.get("path"):
            path = Path(value["path"]) if Path(value["path"]).is_absolute() else shard.parent / value["path"]
            if not path.is_file():
                raise RecordError(f"{where}: column 'image' has no bytes and its path {path} does not exist")
            return path.read_bytes()
        raise RecordError(f"{where}: column 'image' has neither bytes nor a path")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        try:
            return base64.b64decode(value.split(";base64,", 1)[-1], validate=True)
        except (binascii.Error, ValueError):
            raise RecordError(f"{where}: column 'image' is a string but not base64 image data") from None
    raise RecordError(f"{where}: column 'image' holds {type(value).__name__}, not an image")


def decode_pixels(data: bytes, side: int, where: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            return center_square(im, side)  # [side, side, 3] uint8
    except (OSError, UnidentifiedImageError, ValueError) as err:
        raise RecordError(f"{where}: column 'image' cannot be decoded: {err}") from None


def prompt_styles(value: Any, where: str) -> dict[str, Any] | None:
    """`augmented_prompts` as a dict. The legacy string form of paraphrases / varied_captions (a Python list
    literal, which the release `eval`s) is parsed into a list."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RecordError(f"{where}: column 'augmented_prompts' holds {type(value).__name__}, not a struct")
    styles = dict(value)
    for style in LEGACY_LIST_STYLES:
        if isinstance(styles.get(style), str):
            try:
                styles[style] = list(ast.literal_eval(styles[style]))
            except (ValueError, SyntaxError, TypeError):
                raise RecordError(f"{where}: augmented_prompts.{style} is a string but not a list literal") from None
    return styles


def text_field(row: dict[str, Any], column: str, where: str) -> str:
    value = row[column]
    if not isinstance(value, str):
        raise RecordError(f"{where}: column '{column}' holds {type(value).__name__}, not a string")
    return value


@dataclass
class ReadReport:
    """What a read of the release's dataset found; written to the run's summary."""

    source: str
    splits: dict[str, int]  # split → rows
    split: str  # the split the records come from
    split_rule: str  # "dataset" (its own split) or the train_test_split call that made it
    records: int = 0
    tokenized: int = 0  # images decoded and tokenized in this read (the rest came from the codes cache)
    cache: str = ""
    missing_prompt_styles: dict[str, int] = field(default_factory=dict)  # style → rows without it (never drawn)


def select_rows(splits: dict[str, list[Shard]], split: str) -> tuple[list[Shard], np.ndarray, str]:
    """(shards, global row indices in the release's order, rule) of one split of the release's dataset."""
    if len(splits) == 1:
        shards = next(iter(splits.values()))
        train, test = split_indices(sum(s.rows for s in shards))
        if split not in ("train", "test"):
            raise RecordError(f"split '{split}' does not exist; a one-split dataset is cut into train and test")
        return shards, (train if split == "train" else test), \
            f"train_test_split(test_size={TEST_SIZE}, seed={SPLIT_SEED})"
    if split not in splits:
        raise RecordError(f"the dataset has splits {sorted(splits)}, not '{split}'")
    shards = splits[split]
    return shards, np.arange(sum(s.rows for s in shards)), "dataset"


@dataclass
class Selection:
    """Which rows of the release's dataset a read takes, and where their codes are cached."""

    root: Path
    splits: dict[str, list[Shard]]
    shards: list[Shard]  # the chosen split's shards
    order: np.ndarray  # [R] global row indices, in the release's order
    rule: str
    cache: Path

    def starts(self) -> np.ndarray:
        return np.cumsum([0] + [s.rows for s in self.shards])  # [S + 1]

    def parts(self) -> list[Path]:
        """Codes written by the ranks of a distributed first read (`tokenize_share`), not yet merged."""
        return sorted(self.cache.parent.glob(f"{self.cache.name}.part*"))


def select(source: str | Sequence[str], image_tokenizer: Any, split: str = "train", limit: int | None = None,
           cache: str | Path | None = None) -> Selection:
    root, paths = find_shards(source)
    splits = {name: open_shards(group, root) for name, group in paths.items()}
    shards, order, rule = select_rows(splits, split)
    order = order[:limit]
    if not order.size:
        raise RecordError(f"{source}: split '{split}' has no rows")
    tag = f"{image_tokenizer.image_size}px-{'x'.join(map(str, image_tokenizer.grid))}-k{image_tokenizer.codebook_size}"
    return Selection(root, splits, shards, order, rule, Path(cache or root / f"rgbench-codes-{tag}.jsonl"))


def read_cache(files: Sequence[Path]) -> dict[str, np.ndarray]:
    from rgbench.results import read_jsonl

    return {r["key"]: compact_codes(r["codes"]) for path in files if path.is_file() for r in read_jsonl(path)}


def read_release_sft(source: str | Sequence[str], image_tokenizer: Any, split: str = "train",
                     limit: int | None = None, cache: str | Path | None = None, batch_size: int = 16,
                     write_cache: bool = True, known: dict[str, np.ndarray] | None = None
                     ) -> tuple[list[SFTRecord], ReadReport]:
    """The release's SFT rows of one split → SFTRecords in the release's order (first `limit` of them).
    Images are centre-cropped, tokenized with `image_tokenizer` and their codes appended to `cache` (default
    `<root>/rgbench-codes-<tokenizer>.jsonl`; `write_cache=False` only reads it), which later reads reuse; codes
    that ranks of a distributed read wrote to part files (`tokenize_share`) count as cached. `known`: the cache
    as `tokenize_share` already read it (then only the part files are read again). Bad input raises RecordError
    naming the shard, row and column."""
    from rgbench.results import JsonlLog

    sel = select(source, image_tokenizer, split, limit, cache)
    report = ReadReport(str(source if isinstance(source, str) else list(source)),
                        {k: sum(s.rows for s in v) for k, v in sel.splits.items()}, split, sel.rule)
    log = JsonlLog(sel.cache, key="key") if write_cache else None
    report.cache = str(sel.cache)
    cached = {**known, **read_cache(sel.parts())} if known is not None else read_cache([sel.cache, *sel.parts()])
    records = dict(_read_rows(sel, np.sort(sel.order), image_tokenizer, cached, log, report, batch_size))
    report.records = len(sel.order)
    return [records[int(g)] for g in sel.order], report


def _read_rows(sel: Selection, wanted: np.ndarray, image_tokenizer: Any, cached: dict[str, np.ndarray], log: Any,
               report: ReadReport, batch_size: int) -> Iterator[tuple[int, SFTRecord]]:
    """(global row, SFTRecord) of the `wanted` rows (sorted), shard by shard."""
    starts = sel.starts()
    for i, shard in enumerate(sel.shards):
        local = wanted[(wanted >= starts[i]) & (wanted < starts[i + 1])] - starts[i]
        if len(local):
            for row, record in _read_shard(shard, set(local.tolist()), image_tokenizer, cached, log, report,
                                           batch_size):
                yield int(starts[i]) + row, record


def tokenize_share(source: str | Sequence[str], image_tokenizer: Any, rank: int, world: int, split: str = "train",
                   limit: int | None = None, cache: str | Path | None = None, batch_size: int = 16
                   ) -> tuple[int, dict[str, np.ndarray]]:
    """Under torchrun, before the read: this rank's share of the selected rows the cache lacks (every world-th
    of them, in the release's order) tokenized into the part file `<cache>.part<rank>`, so a first read of the
    218k images costs each of N ranks 1/N of the work; returns how many it tokenized and the cache as it read it
    (for `read_release_sft(known=…)`). `merge_cache_parts` folds the parts into the cache once every rank has
    read them."""
    from rgbench.results import JsonlLog

    sel = select(source, image_tokenizer, split, limit, cache)
    cached = read_cache([sel.cache, *sel.parts()])
    starts = sel.starts()
    shard_of = np.searchsorted(starts, sel.order, side="right") - 1  # [R]
    missing = [int(g) for g, i in zip(sel.order, shard_of) if f"{sel.shards[i].name}:{g - starts[i]}" not in cached]
    mine = np.sort(np.array(missing[rank::world], dtype=np.int64))
    report = ReadReport(str(source), {}, split, sel.rule)
    log = JsonlLog(sel.cache.with_name(f"{sel.cache.name}.part{rank}"), key="key")
    for _ in _read_rows(sel, mine, image_tokenizer, cached, log, report, batch_size):
        pass
    return report.tokenized, cached


def merge_cache_parts(source: str | Sequence[str], image_tokenizer: Any, split: str = "train",
                      cache: str | Path | None = None) -> int:
    """Append the ranks' part files to the codes cache and delete them (rank 0, after every rank has read);
    returns the rows added."""
    from rgbench.results import JsonlLog, read_jsonl

    sel = select(source, image_tokenizer, split, None, cache)
    log, added = JsonlLog(sel.cache, key="key"), 0
    for part in sel.parts():
        added += log.append(read_jsonl(part))
        part.unlink()
    return added


def _read_shard(shard: Shard, rows: set[int], image_tokenizer: Any, cached: dict[str, np.ndarray], log: Any,
                report: ReadReport, batch_size: int):
    """Yield (row in shard, SFTRecord) for the selected rows; uncached images are tokenized `batch_size` at once."""
    import pyarrow.parquet as pq

    keys = {r: f"{shard.name}:{r}" for r in rows}
    need_images = any(keys[r] not in cached for r in rows)
    columns = list(COLUMNS) if need_images else [c for c in COLUMNS if c != "image"]
    pending: list[tuple[int, str, dict, np.ndarray]] = []
    offset = 0

    def flush():
        pixels = np.stack([p for *_, p in pending])  # [B, side, side, 3]
        codes = image_tokenizer.encode(pixels)  # [B, N]
        if log is not None:
            log.append([{"key": key, "codes": c.tolist()} for (_, key, _, _), c in zip(pending, codes)])
        report.tokenized += len(pending)
        out = [(row, _record(key, fields, c.tolist(), report)) for (row, key, fields, _), c in zip(pending, codes)]
        pending.clear()
        return out

    for batch in pq.ParquetFile(shard.path).iter_batches(batch_size=256, columns=columns):
        table = batch.to_pylist()
        for j, cells in enumerate(table):
            row = offset + j
            if row not in rows:
                continue
            where = f"{shard.path} row {row}"
            fields = {"prompt": text_field(cells, "brief_caption", where),
                      "cot": text_field(cells, "detailed_caption", where),
                      "styles": prompt_styles(cells["augmented_prompts"], where)}
            if keys[row] in cached:
                yield row, _record(keys[row], fields, cached[keys[row]], report)
                continue
            data = image_bytes(cells["image"], shard.path, where)
            pending.append((row, keys[row], fields, decode_pixels(data, image_tokenizer.image_size, where)))
            if len(pending) >= batch_size:
                yield from flush()
        offset += len(table)
    if pending:
        yield from flush()


def _record(key: str, fields: dict[str, Any], codes: list[int], report: ReadReport) -> SFTRecord:
    styles = fields["styles"] or {}
    for style in PROMPT_STYLES:
        if not styles.get(style):
            report.missing_prompt_styles[style] = report.missing_prompt_styles.get(style, 0) + 1
    return SFTRecord(key, fields["prompt"], fields["cot"], compact_codes(codes), fields["styles"])


def is_release_source(source: str | Sequence[str]) -> bool:
    """Does `data` name the release's parquet dataset (a folder, a .parquet file or glob, or a list of them)?"""
    if not isinstance(source, str):
        return True
    path = Path(source).expanduser()
    return path.is_dir() or source.endswith(".parquet") or (_is_glob(source) and ".parquet" in source)


# ---------------------------------------------------------------- RL prompt files


@dataclass
class PromptLine:
    id: str
    prompt: str
    raw: str  # the line as read, newline included (what the release's overlong filter tokenizes)


def read_prompt_files(paths: Sequence[str], folder: str = "") -> list[PromptLine]:
    """Prompt files, one prompt per line, in the order given (the release's train_files list). Each prompt is its
    line stripped. Blank lines are skipped. The release would keep them as empty prompts, and its files have none.
    With several files a prompt's id is `<file stem>:<line index>` (the stem is the release's data_source),
    with one file it is the line index."""
    files = [Path(folder).expanduser() / p if folder and not Path(p).is_absolute() else Path(p).expanduser()
             for p in paths]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise ValueError(f"prompt file(s) not found: {', '.join(missing)}; {RL_HINT}")
    stems = [f.name.removesuffix(".txt") for f in files]
    if len(set(stems)) < len(stems):
        raise ValueError(f"prompt files with the same name would share prompt ids: {[str(f) for f in files]}")
    lines = []
    for f, stem in zip(files, stems):
        with f.open(encoding="utf-8") as handle:  # readlines keeps the newline, as the release's filter sees it
            for i, raw in enumerate(handle.readlines()):
                if raw.strip():
                    lines.append(PromptLine(f"{stem}:{i}" if len(files) > 1 else str(i), raw.strip(), raw))
    return lines


def drop_overlong(lines: Sequence[PromptLine], encode: Callable[[str], list[int]],
                  max_prompt_length: int) -> tuple[list[PromptLine], int]:
    """The release's filter_overlong_prompts: drop a line whose tokens (raw line, no special tokens) + 10 exceed
    max_prompt_length. Returns (kept, number dropped)."""
    kept = [ln for ln in lines if len(encode(ln.raw)) + OVERLONG_MARGIN <= max_prompt_length]
    return kept, len(lines) - len(kept)
