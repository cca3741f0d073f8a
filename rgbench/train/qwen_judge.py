"""ReasonGen-R1's GRPO reward: Qwen2.5-VL (7B by default, 3B for the ablation) judges each (prompt, image) pair.

Two modes, chosen by `mode`:
- "boxed" (the release's reward): the judge describes the image, lists what the prompt asks for, checks adherence
  and ends with \\boxed{1} (perfect match) or \\boxed{0}; greedy decoding up to `max_new_tokens`; the reward is 1.0
  exactly when the content of the last \\boxed{...} is the string "1" (mathruler's `extract_boxed_content`
  compared with '1', as the release does), else 0.0;
- "p_yes" (a soft variant, one forward pass per batch): a yes/no question; the reward is
  P(yes) / (P(yes) + P(no)) at the first answer token, where P(yes) sums "yes" and "Yes" and P(no) "no" and "No".

`JUDGE_TEMPLATE` is rgbench's own wording of the release's instructions, shown after the image; `template=` takes
any text holding `{prompt}`, or a `JudgeTemplate`. rgbench's templates are filled with `str.replace`, not
`str.format`, so the literal braces of \\boxed{1} need no escaping. The release's own prompt (its `RM_TEMPLATE`)
is never shipped: `rgbench.train.release_template` reads it from the user's copy of the release's script into a
`JudgeTemplate` that puts the image where the release does (at "<image>") and fills it with `str.format`, as the
release does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rgbench.train.judges import Verdict

if TYPE_CHECKING:
    from rgbench.vlm.qwen import ChatText, QwenVL

PROMPT_SLOT = "{prompt}"
BOXED = "\\boxed{"

JUDGE_TEMPLATE = """You are grading an image made by a text-to-image model. Its text prompt was:
"{prompt}"
The image shown above was generated from this prompt.

Go through these steps:
1. Describe the image in detail: every object, its colour, and where it sits in the layout. Describe only what \
you see; do not let the prompt shape the description.
2. List the key elements and instructions of the prompt: objects, how many of each, their colours, positions and \
relations.
3. Check adherence: is every required element present, and are the counts, colours and positions right? Be \
extremely strict: a single missing object or a wrong count, colour or position means the image does not match.

Reason through the steps first, then give the final answer: \\boxed{1} only if the image matches the prompt \
perfectly, \\boxed{0} otherwise. Put exactly one number inside the box."""

YES_NO_TEMPLATE = """The text prompt for this image was: "{prompt}"
Does the image show exactly what the prompt describes, with every object, count, colour and position right? \
Answer yes or no."""

YES_WORDS = ("yes", "Yes")  # single tokens in Qwen's vocabulary
NO_WORDS = ("no", "No")


# ---------------------------------------------------------------- pure pieces


def extract_boxed(text: str | None) -> str | None:
    """Content of the last \\boxed{...} (nested braces kept), None when there is none or it never closes.

    Like mathruler's `extract_boxed_content`: the last occurrence of "\\boxed{" wins, nothing is stripped.
    """
    start = -1 if text is None else text.rfind(BOXED)
    if start < 0:
        return None
    depth, begin = 1, start + len(BOXED)
    for i in range(begin, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[begin:i]
    return None  # unbalanced, e.g. a generation cut off by max_new_tokens


def boxed_reward(text: str | None) -> float:
    """1.0 when the last box holds exactly "1" (no stripping: " 1 ", "1.0", "\\text{1}" all give 0.0), else 0.0."""
    return 1.0 if extract_boxed(text) == "1" else 0.0


def fill(template: str, prompt: str) -> str:
    """The template with every {prompt} replaced by the bare training prompt (other braces untouched)."""
    return template.replace(PROMPT_SLOT, prompt)


def yes_share(probs: Any, n_yes: int) -> list[float]:
    """[B, Y + N] word probabilities (yes words first) → P(yes) / (P(yes) + P(no)) per row (0.5 when both are 0)."""
    yes = probs[:, :n_yes].sum(dim=-1)  # [B]
    no = probs[:, n_yes:].sum(dim=-1)  # [B]
    total = yes + no  # [B]
    return [0.5 if t == 0 else y / t for y, t in zip(yes.tolist(), total.tolist())]


def upscale(image: Any, min_pixels: int, max_pixels: int = 2048 * 2048) -> Any:
    """The release's image preparation for the judge (`process_image` in verl/workers/fsdp_workers.py): an image
    of fewer than `min_pixels` pixels (more than `max_pixels`) is resized by PIL to int(side · √(target / pixels))
    on each axis, then made RGB; Qwen's processor then applies its own pixel range. 384×384 → 512×512, which the
    7B processor's smart_resize (28-px grid) rounds to 504×504: 18×18 = 324 image tokens."""
    import math

    from PIL import Image

    def scaled(img: Image.Image, target: int) -> Image.Image:
        factor = math.sqrt(target / (img.width * img.height))
        # Pillow's default filter for resize() (bicubic since Pillow 7), which the release leaves unset
        return img.resize((int(img.width * factor), int(img.height * factor)), Image.Resampling.BICUBIC)

    image = image if isinstance(image, Image.Image) else Image.fromarray(image)
    if image.width * image.height > max_pixels:
        image = scaled(image, max_pixels)
    if image.width * image.height < min_pixels:
        image = scaled(image, min_pixels)
    return image.convert("RGB") if image.mode != "RGB" else image


def check_template(template: str, option: str) -> str:
    if template == "release":
        raise ValueError(f"{option} 'release' is read from the release's script: set the GRPO config's "
                         "release_script (rgbench.train.release_template resolves it)")
    if PROMPT_SLOT not in template:
        raise ValueError(f"the {option} must contain {PROMPT_SLOT}, where the training prompt goes")
    return template


@dataclass(frozen=True)
class JudgeTemplate:
    """A judge prompt: text holding {prompt}, how the prompt is filled in and where the image goes."""

    text: str
    image_marker: str = ""  # "" = the image before the whole text (rgbench's layout); else the image stands here
    fill_by_format: bool = False  # True: str.format(prompt=...) as the release ({{ }} → { }); False: str.replace
    source: str = "rgbench"  # where the text came from (provenance)

    def __post_init__(self) -> None:
        check_template(self.text, "template")
        if self.image_marker and self.text.count(self.image_marker) != 1:
            raise ValueError(f"the template must hold the image marker {self.image_marker} exactly once, "
                             f"not {self.text.count(self.image_marker)} times")
        if self.fill_by_format:
            try:
                self.chat_text("")
            except (IndexError, KeyError, ValueError) as err:
                raise ValueError(f"str.format cannot fill it ({type(err).__name__}: {err}); literal braces must be "
                                 "doubled") from None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def chat_text(self, prompt: str) -> ChatText:
        """The user turn's text for one prompt: a string (the image goes first) or (before, after) the image."""
        pieces = self.text.split(self.image_marker) if self.image_marker else [self.text]
        filled = [piece.format(prompt=prompt) if self.fill_by_format else fill(piece, prompt) for piece in pieces]
        return filled[0] if len(filled) == 1 else (filled[0], filled[1])


def as_template(template: str | JudgeTemplate, option: str) -> JudgeTemplate:
    return template if isinstance(template, JudgeTemplate) else JudgeTemplate(check_template(template, option))


# ---------------------------------------------------------------- the judge


class QwenVLJudge:
    """A `Judge` (rgbench.train.judges) backed by Qwen2.5-VL; see the module docstring for the two modes."""

    def __init__(self, size: str = "7B", model: str | None = None, mode: str = "boxed", batch_size: int = 8,
                 device: str | None = None, dtype: str = "auto", weights_dir: str | Path | None = None,
                 upscale_to: int | None = 512 * 512, min_pixels: int | None = None, max_pixels: int | None = None,
                 max_new_tokens: int = 1024,
                 template: str | JudgeTemplate = JUDGE_TEMPLATE,
                 yes_no_template: str | JudgeTemplate = YES_NO_TEMPLATE,
                 vlm: QwenVL | None = None) -> None:
        modes: dict[str, Callable[[Sequence[str], Sequence[Any]], list[Verdict]]] = {
            "boxed": self._judge_boxed, "p_yes": self._judge_p_yes}
        if mode not in modes:
            raise ValueError(f"unknown judge mode '{mode}'; choose {' or '.join(modes)}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be ≥ 1, got {batch_size}")
        self._judge = modes[mode]
        self.mode, self.batch_size, self.max_new_tokens = mode, batch_size, max_new_tokens
        self.template = as_template(template, "template")
        self.yes_no_template = as_template(yes_no_template, "yes_no_template")
        if vlm is None:
            from rgbench.vlm.qwen import load_qwen_vl

            vlm = load_qwen_vl(model or size, device=device, dtype=dtype, weights_dir=weights_dir,
                               min_pixels=min_pixels, max_pixels=max_pixels)
        self.vlm = vlm
        self.name = vlm.name  # "qwen_vl-<model or size>"
        self.upscale_to = upscale_to

    def judge(self, prompts: Sequence[str], images: Sequence[Any]) -> list[Verdict]:
        """One verdict per (bare training prompt, image) pair."""
        if len(prompts) != len(images):
            raise ValueError(f"{len(prompts)} prompts but {len(images)} images")
        if self.upscale_to is not None:
            images = [upscale(image, self.upscale_to) for image in images]
        return self._judge(prompts, images) if prompts else []

    def _judge_boxed(self, prompts: Sequence[str], images: Sequence[Any]) -> list[Verdict]:
        texts = [self.template.chat_text(prompt) for prompt in prompts]
        answers = self.vlm.generate(texts, images, max_new_tokens=self.max_new_tokens, batch_size=self.batch_size)
        return [Verdict(boxed_reward(answer), answer) for answer in answers]

    def _judge_p_yes(self, prompts: Sequence[str], images: Sequence[Any]) -> list[Verdict]:
        texts = [self.yes_no_template.chat_text(prompt) for prompt in prompts]
        probs = self.vlm.next_token_probs(texts, images, [*YES_WORDS, *NO_WORDS], batch_size=self.batch_size)  # [B, 4]
        return [Verdict(p, f"P(yes)={p:.3f}") for p in yes_share(probs, len(YES_WORDS))]


def build_qwen_judge(**options: Any) -> QwenVLJudge:
    """REWARDS["qwen_vl"]: options as QwenVLJudge's (size, model, mode, batch_size, min_pixels, template, ...);
    `template: release` is replaced by the release's template before this is called (grpo_run)."""
    return QwenVLJudge(**options)
