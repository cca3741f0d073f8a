"""In-run validation for GRPO: the policy's toy-GenEval score, generated and scored in memory (no files).

The official run validates every 25 steps on prompts drawn from the benchmarks themselves (method.md §3); here the
validation set is the toy GenEval set, scored by the same detector and official rules as `rgbench eval geneval`.
"""

from __future__ import annotations

from typing import Any

from rgbench.policy.generate import GenerationOptions, generate
from rgbench.policy.model import Policy


def toy_geneval_validation(policy: Policy, cot: bool = True, cfg_weight: float = 5.0, max_cot_tokens: int = 448,
                           samples: int = 1, limit: int | None = None, seed: int = 0, batch: int = 64) -> dict[str, Any]:
    """Overall and per-task accuracy of `samples` images per toy-GenEval prompt (first `limit` prompts)."""
    from rgbench.backends import BackendSpec
    from rgbench.geneval.detection import build_color_classifier, build_detector
    from rgbench.geneval.evaluate import LoadedImage, detect_images
    from rgbench.geneval.rules import ScoringOptions, score_image
    from rgbench.geneval.summary import summarize
    from rgbench.prompt_sets import load_prompt_set

    items = load_prompt_set("toy-geneval").items[:limit]
    rows_in = [(it, k) for it in items for k in range(samples)]
    options, opts = ScoringOptions.from_mapping({}), GenerationOptions(cot=cot, cfg_weight=cfg_weight,
                                                                 max_cot_tokens=max_cot_tokens)
    detector, colors = build_detector("toy", BackendSpec()), build_color_classifier("toy", BackendSpec())
    was_training = policy.training
    policy.eval()
    rows = []
    for s in range(0, len(rows_in), batch):
        chunk = rows_in[s:s + batch]
        out = generate(policy, [it.prompt for it, _ in chunk], [(seed, f"validation:{it.key}", k) for it, k in chunk], opts)
        images = [(f"{it.key}/samples/{k:04d}.png", it.record, LoadedImage.from_array(img))
                  for (it, k), img in zip(chunk, out.images)]
        for record, (_, meta, _) in zip(detect_images(images, detector, colors, 0.1, options), images):
            rows.append(score_image(record, meta, options))
    policy.train(was_training)
    summary = summarize(rows)
    return {"overall": summary["overall"], **{t: v["accuracy"] for t, v in summary["tasks"].items()}}
