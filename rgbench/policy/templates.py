"""Prompt wrapping as ReasonGen-R1's code does it (shared/spec/method.md §1): strip "a photo of", fill a
template, apply the deepseek chat format with an empty system prompt, strip every part."""

from __future__ import annotations

import re
from dataclasses import dataclass

_PHOTO = re.compile(r"^\s*a photo of\s+", re.IGNORECASE)


@dataclass
class PromptFormat:
    """How a benchmark prompt becomes the user turn (defaults: the release's inference and RL format)."""

    cot_template: str = "A photo of {}. Output a richly detailed prompt: "  # user turn when a CoT is written
    plain_template: str = "A photo of {}."  # user turn without a CoT (the Janus-Pro baseline), then <begin_of_image>
    strip_photo_prefix: bool = True  # drop a leading "a photo of" before templating (get_prompt in the benchmark scripts)
    system_prompt: str = ""  # deepseek system prompt; empty in ReasonGen-R1
    user_role: str = "<|User|>"
    assistant_role: str = "<|Assistant|>"
    separator: str = "\n\n"


def clean_prompt(prompt: str, fmt: PromptFormat) -> str:
    """The prompt without a leading "a photo of" (any case), stripped.

    The release's `get_prompt` deletes "A photo of" / "a photo of" anywhere in the text (the T2I script of its
    history: "A photo of " / "a photo of "). Only the leading one is removed here, on purpose: on every prompt the
    release evaluates the two agree (the 553 GenEval prompts start with it and hold it once; no DPG-Bench or
    T2I-CompBench val prompt, nor the RL validation files, contains it). They differ only on a training prompt of
    T2I-CompBench's non-spatial file, "A person is holding a camera and taking a photo of a landmark.", which the
    anywhere-removal would turn into "…taking a landmark."; the release's RL dataset does not call get_prompt at
    all, so it never met that prompt stripped either."""
    text = prompt.strip()
    return _PHOTO.sub("", text).strip() if fmt.strip_photo_prefix else text


def chat(user: str, fmt: PromptFormat) -> str:
    """'<|User|>: {user}\\n\\n<|Assistant|>:' (system prompt first when set); parts stripped as conversation.py does."""
    parts = [fmt.system_prompt.strip()] if fmt.system_prompt.strip() else []
    parts.append(f"{fmt.user_role}: {user.strip()}")
    return (fmt.separator.join(parts) + fmt.separator + f"{fmt.assistant_role}:").strip()


def wrap(prompt: str, fmt: PromptFormat, cot: bool) -> str:
    """The context string the policy continues (BOS and <begin_of_image> are added as ids, not text)."""
    template = fmt.cot_template if cot else fmt.plain_template
    return chat(template.format(clean_prompt(prompt, fmt)), fmt)
