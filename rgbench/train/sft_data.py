"""SFT examples → token sequences with a part label per target (shared/spec/method.md §2).

One row, left-padded so that every row's image tokens sit in the same columns (as in generation):

    [pad…] BOS  chat(template(prompt))  CoT  <begin_of_image>  code_0 … code_{N-1}  <end_of_image>  EOS
    part:  –    –  (prompt: no loss)   COT  BOI               IMAGE …               TEXT            TEXT

`part[t]` says which loss weight the prediction of token t gets (it is predicted from position t − 1):
CoT tokens and the closing <end_of_image> / EOS are text (2.0 by default), the codes are image (1.0),
<begin_of_image> has its own weight (0.0 by default). With condition dropout the prompt and the CoT become pads
and only the codes are trained, so the unconditional branch CFG needs is learned. The release gives those pads
attention 0 (`masked`: positions collapse onto BOS), while generation's unconditional row attends to them at the
conditional row's positions (method.md §7.4); `attended` trains that row exactly as generation builds it.

Prompt augmentation follows the release: one of the caption styles in `augmented_prompts` uniformly (or with
the given weights); a list-valued style takes a random element; `tags` are joined with ","; `object_prompts`
become "a, b and c"; one trailing "." is removed.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rgbench.policy.templates import PromptFormat, chat, clean_prompt

NONE, COT, BOI, IMAGE, TEXT = 0, 1, 2, 3, 4  # part of each target token
PART_NAMES = {COT: "cot", BOI: "begin_of_image", IMAGE: "image", TEXT: "end_tokens"}

# The SFT user template of the release (no "A photo of"); the inference template differs (method.md §7).
SFT_FORMAT = PromptFormat(cot_template="{}. Output a richly detailed prompt: ", plain_template="A photo of {}.",
                          strip_photo_prefix=False)
PROMPT_STYLES = ("short_caption", "paraphrases", "tags", "varied_captions", "object_prompts")


@dataclass
class SFTExample:
    """One training item: the caption to condition on, its CoT ('' in no-CoT mode) and the image codes."""

    prompt: str
    cot: str
    codes: Sequence[int]


@dataclass
class Augmentation:
    """Which caption styles a record's prompt is drawn from, and with what weights (None = uniform)."""

    styles: tuple[str, ...] = PROMPT_STYLES
    weights: tuple[float, ...] | None = None


def join_objects(names: Sequence[str]) -> str:
    """["a", "b", "c"] → "a, b and c"."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def styled_prompt(record: Mapping[str, Any], style: str, rng: random.Random) -> str:
    value = record["augmented_prompts"][style]
    if style == "tags":
        text = ",".join(value)
    elif style == "object_prompts":
        text = join_objects(value)
    elif isinstance(value, list):
        text = rng.choice(value)
    else:
        text = str(value)
    text = text.strip()
    return text[:-1] if text.endswith(".") else text


def augment_prompt(record: Mapping[str, Any], aug: Augmentation, rng: random.Random) -> str:
    """A record's prompt under the release's augmentation; a record with no augmented prompts uses `prompt`."""
    options = record.get("augmented_prompts") or {}
    styles = [s for s in aug.styles if options.get(s)]
    if not styles:
        return str(record["prompt"]).strip()
    weights = None if aug.weights is None else [aug.weights[aug.styles.index(s)] for s in styles]
    return styled_prompt(record, rng.choices(styles, weights=weights)[0], rng)


@dataclass
class Encoded:
    """One row before padding: text ids up to and including <begin_of_image>, their parts and mask, the codes."""

    text_ids: list[int]
    text_parts: list[int]
    text_mask: list[int]
    codes: list[int]


DROPOUT_PADS = ("masked", "attended")  # how a condition-dropped row's pads are seen (module docstring)


def encode_example(example: SFTExample, tokenizer: Any, ids: Any, fmt: PromptFormat, cot: bool,
                   drop_condition: bool, dropout_pads: str = "masked") -> Encoded:
    """Tokenize prompt and CoT separately (no special tokens), as HFSFTDataset does."""
    template = fmt.cot_template if cot else fmt.plain_template
    user = template.format(clean_prompt(example.prompt, fmt))  # as generation wraps it (policy.templates.wrap)
    prompt_ids = tokenizer.encode(chat(user, fmt), add_special_tokens=False)
    cot_ids = tokenizer.encode(example.cot, add_special_tokens=False) if cot and example.cot else []
    if drop_condition:
        cond = [ids.pad] * (len(prompt_ids) + len(cot_ids))
        seen = {"masked": 0, "attended": 1}[dropout_pads]
        return Encoded([ids.bos, *cond, ids.boi], [NONE] * (len(cond) + 1) + [NONE], [1] + [seen] * len(cond) + [1],
                       [int(c) for c in example.codes])
    return Encoded([ids.bos, *prompt_ids, *cot_ids, ids.boi], [NONE] * (1 + len(prompt_ids)) + [COT] * len(cot_ids) + [BOI],
                   [1] * (len(prompt_ids) + len(cot_ids) + 2), [int(c) for c in example.codes])


@dataclass
class Batch:
    """Left-padded rows: text part [B, Lt] (ends with <begin_of_image>), codes [B, N], and the closing
    <end_of_image>, EOS; parts of every target token [B, Lt + N + 2] (column t = token t)."""

    text_ids: torch.Tensor  # [B, Lt]
    text_mask: torch.Tensor  # [B, Lt]
    codes: torch.Tensor  # [B, N]
    tail_ids: torch.Tensor  # [B, 2]: <end_of_image>, EOS
    parts: torch.Tensor  # [B, Lt + N + 2]

    def to(self, device: torch.device) -> Batch:
        return Batch(*(t.to(device) for t in (self.text_ids, self.text_mask, self.codes, self.tail_ids, self.parts)))


def collate(rows: Sequence[Encoded], ids: Any) -> Batch:
    lt = max(len(r.text_ids) for r in rows)
    n = len(rows[0].codes)
    if any(len(r.codes) != n for r in rows):
        raise ValueError("every image in a batch must have the same number of codes")
    text_ids = torch.full((len(rows), lt), ids.pad, dtype=torch.long)  # [B, Lt]
    text_mask = torch.zeros((len(rows), lt), dtype=torch.long)  # [B, Lt]
    parts = torch.full((len(rows), lt + n + 2), NONE, dtype=torch.long)  # [B, Lt + N + 2]
    for i, r in enumerate(rows):
        k = len(r.text_ids)
        text_ids[i, lt - k:] = torch.tensor(r.text_ids)
        text_mask[i, lt - k:] = torch.tensor(r.text_mask)
        parts[i, lt - k:lt] = torch.tensor(r.text_parts)
        trained = any(p != NONE for p in r.text_parts)  # a condition-dropped row trains its codes only
        parts[i, lt:lt + n] = IMAGE
        parts[i, lt + n:] = TEXT if trained else NONE
    codes = torch.tensor([r.codes for r in rows], dtype=torch.long)  # [B, N]
    tail = torch.tensor([[ids.eoi, ids.eos]] * len(rows), dtype=torch.long)  # [B, 2]
    return Batch(text_ids, text_mask, codes, tail, parts)


# ---------------------------------------------------------------- records on disk


def compact_codes(codes: Sequence[int]) -> np.ndarray:
    """Image codes as one small array (uint16 when they fit, as Janus's 16,384 do): about 1.2 KB per 576-code image
    where a list of Python ints takes about 20 KB — 0.25 GB instead of ~4.5 GB for the release's 218k records, in
    every training process."""
    array = np.asarray(codes, dtype=np.int64)  # [N]
    small = array.size == 0 or (array.min() >= 0 and array.max() < 2**16)
    return array.astype(np.uint16 if small else np.int32)


@dataclass
class SFTRecord:
    """One training record: a caption (with optional caption styles to draw from), its CoT and image codes."""

    key: str
    prompt: str
    cot: str
    codes: Sequence[int]  # a list, or `compact_codes`' array for datasets read from disk
    augmented_prompts: dict[str, Any] | None = None

    def example(self, aug: Augmentation, rng: random.Random) -> SFTExample:
        record = {"prompt": self.prompt, "augmented_prompts": self.augmented_prompts}
        return SFTExample(augment_prompt(record, aug, rng), self.cot, self.codes)


class RecordError(ValueError):
    """A training record that cannot be used; the message names the file and line."""


def center_square(image: Any, side: int) -> np.ndarray:
    """PIL image → uint8 [side, side, 3]: centre crop to a square, then PIL's default resize (the test-split
    preprocessing of the release; its train split random-crops, which a token cache cannot hold)."""

    image = image.convert("RGB")
    w, h = image.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    return np.asarray(image.crop((left, top, left + s, top + s)).resize((side, side)), dtype=np.uint8)


def read_records(path: str | Path, image_tokenizer: Any = None, cache: str | Path | None = None) -> list[SFTRecord]:
    """JSONL records → SFTRecords. Fields: `id` (or line number), `prompt` (or `brief_caption`), `cot` (or
    `detailed_caption`), optional `augmented_prompts`, and either `codes` (cached image tokens) or `image` (a path,
    relative to the file). Images are tokenized once with `image_tokenizer` and their codes appended to `cache`
    (default `<path>.codes.jsonl`), which later reads reuse."""
    from rgbench.results import JsonlLog, read_jsonl

    path = Path(path)
    rows = read_jsonl(path)
    if not rows:
        raise RecordError(f"{path}: no records")
    cache_log = JsonlLog(cache or path.with_suffix(".codes.jsonl"), key="key") if any("codes" not in r for r in rows) else None
    cached = {r["key"]: r["codes"] for r in cache_log.rows()} if cache_log else {}
    out = []
    for lineno, row in enumerate(rows, 1):
        where = f"{path}:{lineno}"
        key = str(row.get("id", lineno))
        prompt, cot = row.get("prompt", row.get("brief_caption")), row.get("cot", row.get("detailed_caption", ""))
        if not isinstance(prompt, str) or not isinstance(cot, str):
            raise RecordError(f"{where}: needs a string 'prompt' (or 'brief_caption') and 'cot' (or 'detailed_caption')")
        codes = row.get("codes", cached.get(key))
        if codes is None:
            codes = _tokenize(path.parent / str(row.get("image", "")), image_tokenizer, where)
            cache_log.append([{"key": key, "codes": codes}])
        out.append(SFTRecord(key, prompt, cot, [int(c) for c in codes], row.get("augmented_prompts")))
    return out


def _tokenize(image_path: Path, image_tokenizer: Any, where: str) -> list[int]:
    from PIL import Image

    if image_tokenizer is None:
        raise RecordError(f"{where}: the record has no 'codes' and no image tokenizer was given to make them")
    if not image_path.is_file():
        raise RecordError(f"{where}: image {image_path} does not exist")
    try:
        with Image.open(image_path) as im:
            pixels = center_square(im, image_tokenizer.image_size)
    except OSError as err:
        raise RecordError(f"{where}: cannot read {image_path}: {err}") from None
    return image_tokenizer.encode(pixels[None])[0].tolist()
