"""Toy VQA and judges, answering from the perceived scene (the counterparts of BLIP / mPLUG and Qwen2.5-VL).

* `ToyVQA` answers the toy question templates: DPG's natural-language questions ("Is the circle red?",
  "Are there two circles?", "Is the circle to the left of the square?") and T2I's noun-phrase questions
  ("a red circle?"). P(yes) follows the detector's confidence: 0.98 when a confident object supports yes.
* `ToyJudge("large")` is the exact rule check of image vs prompt; `ToyJudge("small")` is measurably weaker:
  it checks shapes and colours and that each group has at least its count, but ignores extra objects,
  sizes, textures and relations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rgbench.toy.spec import (
    COUNT_WORDS,
    PromptParseError,
    Seen,
    _match_object,
    _match_relation,
    check,
    holds,
    parse_prompt,
    tokenize,
)
from rgbench.toy.vision import perceive
from rgbench.toy.world import PALETTE, SIZES, TEXTURES, WorldConfig

P_LOW, P_HIGH = 0.02, 0.98


def answer_question(seen: list[Seen], question: str, cell_px: int) -> float:
    """P(yes) of one toy question about one perceived scene."""
    words = tokenize(question)
    if "background" in words:  # the toy canvas is always flat gray
        return P_HIGH if "gray" in words else P_LOW
    phrases, rel, trailing = [], None, {}
    i = 0
    while i < len(words):
        found, n = _match_relation(words, i)
        if found:
            rel, i = found, i + n
            continue
        phrase = _match_object(words, i)
        if phrase is not None:
            phrases.append(phrase[0])
            i += phrase[1]
            continue
        w = words[i]
        slot = "color" if w in PALETTE else "size" if w in SIZES else "texture" if w in TEXTURES else None
        if slot and phrases:
            trailing[slot] = w
        i += 1
    if not phrases:
        return P_LOW

    def matching(phrase, extra):
        det, attrs, shape, _ = phrase
        attrs = {**attrs, **extra}
        return [o for o in seen if o.shape == shape and all(getattr(o, k) == v for k, v in attrs.items())]

    if rel is not None and len(phrases) >= 2:
        pairs = [(a, b) for a in matching(phrases[0], {}) for b in matching(phrases[1], {}) if holds(rel, a.box, b.box, cell_px)]
        return min(P_HIGH, max(min(a.score, b.score) for a, b in pairs)) if pairs else P_LOW
    det, _, shape, plural = phrases[0]
    objs = matching(phrases[0], trailing)
    if det not in (None, "a", "an", "one", "the") or (plural and det is None):
        want = COUNT_WORDS.get(det, 2)
        return P_HIGH if len(objs) == want else P_LOW
    if det == "the" and trailing:  # "is the circle red?": every circle must be red
        all_of_shape = [o for o in seen if o.shape == shape]
        return P_HIGH if all_of_shape and len(objs) == len(all_of_shape) else P_LOW
    return min(P_HIGH, max(o.score for o in objs)) if objs else P_LOW


class ToyVQA:
    """Toy VQA behind the VQA interface (`ask`; also `p_yes` / `answer`)."""

    name = "toy"

    def __init__(self, world: WorldConfig | None = None) -> None:
        self.world = world or WorldConfig()

    def p_yes(self, images: Sequence[Any], questions: Sequence[str]) -> list[float]:
        """Each distinct image object is perceived once (a tile is asked many questions)."""
        unique = {id(image): image for image in images}
        scenes = dict(zip(unique, perceive(list(unique.values()), self.world)))
        return [answer_question(scenes[id(image)], q, self.world.cell_px) for image, q in zip(images, questions)]

    def answer(self, images: Sequence[Any], questions: Sequence[str]) -> list[str]:
        return ["yes" if p > 0.5 else "no" for p in self.p_yes(images, questions)]

    def ask(self, images: Sequence[Any], questions: Sequence[str]) -> list[tuple[str, float | None]]:
        return [("yes" if p > 0.5 else "no", p) for p in self.p_yes(images, questions)]


def build_toy_vqa(spec: Any = None) -> ToyVQA:
    """VQA_MODELS factory (the toy needs no weights)."""
    return ToyVQA()


class ToyJudge:
    """Prompt + image → 0/1, with a short response ending in \\boxed{1} or \\boxed{0} like the VLM judge."""

    def __init__(self, size: str = "large", world: WorldConfig | None = None) -> None:
        if size not in ("large", "small"):
            raise ValueError(f"toy judge size must be 'large' or 'small', not {size!r}")
        self.size = size
        self.name = f"toy-{size}"
        self.world = world or WorldConfig()

    def judge(self, prompts: Sequence[str], images: Sequence[Any]):
        from rgbench.train.judges import Verdict

        out = []
        for prompt, seen in zip(prompts, perceive(images, self.world)):
            try:
                spec = parse_prompt(prompt)
            except PromptParseError as err:
                out.append(Verdict(0.0, f"cannot read the prompt ({err}) \\boxed{{0}}"))
                continue
            if self.size == "large":
                ok, reason = check(seen, spec, self.world.cell_px)
            else:
                ok, reason = check(seen, spec, self.world.cell_px, attributes=("color",), use_relations=False,
                                   exact_counts=False)
            seen_text = ", ".join(f"{o.color} {o.shape}" for o in seen) or "nothing"
            out.append(Verdict(float(ok), f"I see: {seen_text}. {reason or 'Everything matches.'} \\boxed{{{int(ok)}}}"))
        return out
