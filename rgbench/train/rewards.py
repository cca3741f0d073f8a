"""GRPO rewards: judges by name in a registry, weighted and combined into one score per (prompt, image).

A reward builder takes its options (model path, size, batch size, ...) and returns a `Judge`
(`rgbench.train.judges`): prompts (bare training prompts, "a photo of" removed) + images → verdicts, batched.
Heavy backends are registered lazily ("module:attr") and import their models only when built.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rgbench.registry import Registry
from rgbench.train.judges import Judge, Verdict

REWARDS: Registry[Callable[..., Judge]] = Registry("reward")


@REWARDS.register("toy-large")
def toy_large(**options: Any) -> Judge:
    """The toy world's exact rule check of image vs prompt (the counterpart of Qwen2.5-VL-7B)."""
    from rgbench.toy.judges import ToyJudge

    return ToyJudge("large", **options)


@REWARDS.register("toy-small")
def toy_small(**options: Any) -> Judge:
    """A measurably weaker toy judge: colours only, no relations, counts as "at least" (the 3B counterpart)."""
    from rgbench.toy.judges import ToyJudge

    return ToyJudge("small", **options)


REWARDS.register("qwen_vl", "rgbench.train.qwen_judge:build_qwen_judge")


@dataclass
class RewardTerm:
    name: str  # a REWARDS name
    weight: float = 1.0
    options: dict[str, Any] = field(default_factory=dict)


class CombinedReward:
    """Σ weight · score over the terms; each verdict keeps every term's score and text."""

    def __init__(self, terms: Sequence[RewardTerm]) -> None:
        if not terms:
            raise ValueError("at least one reward term is needed")
        self.terms = list(terms)
        self.judges = [REWARDS.get(t.name)(**t.options) for t in self.terms]
        self.name = "+".join(t.name if t.weight == 1 else f"{t.weight:g}*{t.name}" for t in self.terms)

    def judge(self, prompts: Sequence[str], images: Sequence[Any]) -> list[Verdict]:
        per_term = [judge.judge(prompts, images) for judge in self.judges]
        for term, verdicts in zip(self.terms, per_term):
            if len(verdicts) != len(prompts):
                raise RuntimeError(f"reward '{term.name}' returned {len(verdicts)} verdicts for {len(prompts)} images")
        out = []
        for i in range(len(prompts)):
            parts = {t.name: per_term[k][i].score for k, t in enumerate(self.terms)}
            score = sum(t.weight * parts[t.name] for t in self.terms)
            text = per_term[0][i].text if len(self.terms) == 1 else \
                " | ".join(f"[{t.name}] {per_term[k][i].text}" for k, t in enumerate(self.terms))
            out.append(Verdict(score, text, parts))
        return out


def build_reward(terms: Sequence[RewardTerm | dict[str, Any]]) -> CombinedReward:
    return CombinedReward([t if isinstance(t, RewardTerm) else RewardTerm(**t) for t in terms])


class ClipReward:
    """CLIP cosine similarity of the bare prompt and the image, times `scale` (a dense, never-binary reward)."""

    def __init__(self, model: str | None = None, scale: float = 1.0, device: str | None = None,
                 weights_dir: str | None = None, batch_size: int = 32) -> None:
        from rgbench.vlm.clip import load_clip_similarity

        self.scorer = load_clip_similarity(model, device, weights_dir, batch_size)
        self.scale, self.name = scale, self.scorer.name

    def judge(self, prompts: Sequence[str], images: Sequence[Any]) -> list[Verdict]:
        sims = self.scorer.similarity(prompts, images).tolist()
        return [Verdict(self.scale * s, f"cos={s:.4f}") for s in sims]


REWARDS.register("clip", ClipReward)


class GenEvalRuleReward:
    """GenEval's detector + official rules as a 0/1 reward for prompts in GenEval's templates (the prompt parsed
    into GenEval metadata by `rgbench.geneval.prompt_parse`). A prompt outside the templates, or naming a class the
    detector does not know, scores 0 with that reason. Backends: `toy` (toy detector + colours; toy shapes) or
    `mask2former` (Mask2Former + CLIP colours; COCO classes)."""

    def __init__(self, backend: str = "toy", detector_model: str | None = None, color_model: str | None = None,
                 device: str | None = None, weights_dir: str | None = None, batch_size: int = 8) -> None:
        from rgbench.backends import BackendSpec
        from rgbench.geneval.detection import build_color_classifier, build_detector
        from rgbench.geneval.evaluate import BACKENDS
        from rgbench.geneval.prompt_parse import GenEvalPromptParser
        from rgbench.geneval.rules import ScoringOptions

        det_name, color_name = BACKENDS[backend]
        self.detector = build_detector(det_name, BackendSpec(detector_model, device, "auto", weights_dir, batch_size))
        self.colors = build_color_classifier(color_name, BackendSpec(color_model, device, "auto", weights_dir, 16))
        plurals = None
        if backend == "toy":
            from rgbench.toy.world import PLURALS as plurals  # noqa: N811
        self.parser = GenEvalPromptParser(self.detector.classes, plurals)
        self.options = ScoringOptions.from_mapping({})
        self.name = f"geneval_rule:{backend}"

    def judge(self, prompts: Sequence[str], images: Sequence[Any]) -> list[Verdict]:
        from rgbench.geneval.evaluate import LoadedImage, detect_images
        from rgbench.geneval.rules import score_image

        metas = [self.parser.parse(p) for p in prompts]
        todo = [(f"{i}.png", meta, LoadedImage.from_array(im))
                for i, (meta, im) in enumerate(zip(metas, images)) if meta is not None]
        rows = {r["filename"]: score_image(r, meta, self.options, self.detector.classes)
                for r, (_, meta, _) in zip(detect_images(todo, self.detector, self.colors, 0.1, self.options), todo)}
        out = []
        for i, (prompt, meta) in enumerate(zip(prompts, metas)):
            if meta is None:
                out.append(Verdict(0.0, f"not a GenEval-template prompt with known classes: {prompt!r}"))
                continue
            row = rows[f"{i}.png"]
            out.append(Verdict(float(row["correct"]), f"[{meta['tag']}] {row['reason'] or 'correct'}"))
        return out


REWARDS.register("geneval_rule", GenEvalRuleReward)
