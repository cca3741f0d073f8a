"""VQA backends built on the shared model adapters (`rgbench.vlm`), registered in `rgbench.dpg.vqa.VQA_MODELS`.

qwen_vl: each question is asked as one user turn (image, then the question and QWEN_SUFFIX), greedy decoding of a
few tokens for the answer text, and P(yes) from the first answer token's distribution: (P(yes) + P(Yes)) over
(P(yes) + P(Yes) + P(no) + P(No)). An instruct VLM answers "Yes." where mPLUG answers "yes", so use the
`corrected` mode's answer matching (or P(yes)) with it; the official mode's exact match would count "Yes." as no.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rgbench.backends import BackendSpec

QWEN_SUFFIX = " Please answer yes or no."
QWEN_DEFAULT = "7B"
BLIP_DEFAULT = "capfilt-large"
MPLUG_ID = "damo/mplug_visual-question-answering_coco_large_en"
YES_NO = ("yes", "Yes", "no", "No")


class QwenVQA:
    """Qwen2.5-VL as a yes/no VQA model."""

    def __init__(self, qwen: Any, batch_size: int = 8, max_new_tokens: int = 8) -> None:
        self.qwen, self.batch_size, self.max_new_tokens = qwen, batch_size, max_new_tokens
        self.name = qwen.name

    def ask(self, images: Sequence[Any], questions: Sequence[str]) -> list[tuple[str, float | None]]:
        texts = [q + QWEN_SUFFIX for q in questions]
        answers = self.qwen.generate(texts, images, max_new_tokens=self.max_new_tokens, batch_size=self.batch_size)
        probs = self.qwen.next_token_probs(texts, images, YES_NO, batch_size=self.batch_size)  # [B, 4]
        yes, no = probs[:, :2].sum(-1), probs[:, 2:].sum(-1)  # [B]
        p_yes = (yes / (yes + no).clamp_min(1e-12)).tolist()
        return [(a.strip(), p) for a, p in zip(answers, p_yes)]


def build_qwen_vqa(spec: BackendSpec) -> QwenVQA:
    from rgbench.vlm.qwen import load_qwen_vl

    qwen = load_qwen_vl(spec.model or QWEN_DEFAULT, spec.device, spec.dtype, spec.weights_dir)
    return QwenVQA(qwen, spec.batch_size)


def build_blip_vqa(spec: BackendSpec) -> Any:
    from rgbench.vlm.blip import load_blip_vqa

    return load_blip_vqa(spec.model or BLIP_DEFAULT, spec.device, spec.dtype, spec.weights_dir, spec.batch_size)


def build_blip_t2i(spec: BackendSpec) -> Any:
    from rgbench.vlm.blip import BlipT2IScorer

    return BlipT2IScorer(build_blip_vqa(spec))


class MplugVQA:
    """The official DPG-Bench VQA model through ModelScope's pipeline (answer text only, one pair per call)."""

    name = "mplug"

    def __init__(self, pipe: Any) -> None:
        self.pipe = pipe

    def ask(self, images: Sequence[Any], questions: Sequence[str]) -> list[tuple[str, float | None]]:
        from rgbench.vlm.qwen import as_rgb

        return [(str(self.pipe({"image": as_rgb(im), "question": q})["text"]), None) for im, q in zip(images, questions)]


def build_mplug_vqa(spec: BackendSpec) -> MplugVQA:
    """Needs the optional `modelscope` stack and a local snapshot of the model (nothing is downloaded)."""
    try:
        from modelscope.pipelines import pipeline
        from modelscope.utils.constant import Tasks
    except ImportError as err:
        raise ImportError(
            "the mplug backend (DPG-Bench's official VQA model) needs ModelScope and its fairseq stack, which are "
            f"not installed here ({err}); install them on a machine that has them (pip install 'rgbench[mplug]'), "
            "or use --backend qwen_vl / blip, which give a different, clearly labelled metric") from None
    from rgbench.weights import resolve_weights

    folder = resolve_weights(spec.model or MPLUG_ID, spec.weights_dir, required=("configuration.json",))
    return MplugVQA(pipeline(Tasks.visual_question_answering, model=str(folder)))
