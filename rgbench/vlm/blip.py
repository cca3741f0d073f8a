"""BLIP VQA (transformers' `BlipForQuestionAnswering`) behind a small adapter: (image, question) → answer, P(yes).

Not the official metric. DPG-Bench's official VQA model is mPLUG-large through ModelScope
(damo/mplug_visual-question-answering_coco_large_en), which lowercases each question and counts a question as passed
when the generated answer is exactly "yes". BLIP (Salesforce/blip-vqa-base, or -capfilt-large: also ViT-B/16, the
name is its CapFilt-L pre-training data) is a clearly labelled substitute: a different model, so a
different metric, whose numbers must not be mixed with official DPG scores.

Loading never downloads: `resolve_weights` finds a local folder (a key of BLIP_IDS, a hub id or a path) and
`offline()` keeps transformers off the network.

Preprocessing (the folder's preprocessor_config.json, read by `BlipImageProcessorPil`, the PIL backend, so results
do not depend on whether torchvision is installed): convert to RGB, resize to exactly size["height"] × size["width"]
(square for BLIP, no aspect-ratio preservation or crop) with PIL bicubic, rescale by 1/255, normalise with the CLIP
mean (0.48145466, 0.4578275, 0.40821073) and std (0.26862954, 0.26130258, 0.27577711). Those are
`BlipImageProcessorPil`'s defaults in transformers 5.24 (the tests check them against a hand computation); the
side and any override come from the folder's config (384 × 384 is the default; `processor.image_processor.size`
shows a loaded folder's). Questions are tokenized as given (no lowercasing, no prompt), not truncated:
BLIP's tokenizer is uncased BERT WordPiece, so case cannot matter, and mPLUG's lowercasing is a no-op here. As in
transformers' port, the question starts with [CLS]; the original BLIP code replaces it with its [ENC] token
(huggingface/transformers#22732).

Decoding: the answer decoder starts from [DEC] (text_config.bos_token_id) and runs plain greedy search
(do_sample=False, num_beams=1, no repetition penalty) for at most MAX_NEW_TOKENS = 10 tokens, stopping at [SEP];
the decoded text has special tokens dropped and is stripped. The original BLIP VQA code
(salesforce/BLIP models/blip_vqa.py) generates with 3 beams, max_length 10, min_length 1; greedy is chosen here
because P(yes) comes from the same first decoding step and the answers are short yes/no words.

P(yes) = P(yes) / (P(yes) + P(no)) from the decoder's first answer token after [DEC]: softmax over the full
vocabulary, then renormalised over the two words (computed in log space, so it is exact even when both are tiny).
The logits are the model's raw ones (`generate(output_logits=True)`), not `output_scores`, which are after the
logits processors; with the greedy settings above no processor changes them, but raw logits keep P(yes) a property
of the model alone.

Batching: every batch holds questions of one token length, so no question is ever padded. In transformers 5.24
BLIP's cross-attention ignores its mask (`BlipTextAttention.forward` hands the cross-attention mask to
`BlipTextSelfAttention` as `attention_mask`, which that module replaces by its `encoder_attention_mask` argument, then
None), and `BlipForQuestionAnswering.generate` passes an all-ones question mask anyway (as the original BLIP generate
code does), so in a padded batch the answer decoder attends to the padding and a question's answer would depend on
what else is in its batch. With equal-length batches each pair's answer and P(yes) are what `generate` gives for that
pair alone, whatever the batch size.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rgbench.devices import resolve_device
from rgbench.vlm.qwen import as_rgb, chunks, word_token_ids

if TYPE_CHECKING:
    import torch
    from transformers import BatchFeature

BLIP_IDS = {"base": "Salesforce/blip-vqa-base", "capfilt-large": "Salesforce/blip-vqa-capfilt-large"}
REQUIRED_FILES = ("config.json", "tokenizer_config.json", "preprocessor_config.json")
MAX_NEW_TOKENS = 10  # answer tokens after [DEC]; VQA answers are a word or two
# Plain greedy decoding, whatever the checkpoint's generation settings.
GREEDY = {"do_sample": False, "num_beams": 1, "temperature": None, "top_p": None, "top_k": None,
          "repetition_penalty": 1.0}


class BlipVQA:
    """A loaded BlipForQuestionAnswering (eval mode) + processor, answering batches of (image, question) pairs."""

    def __init__(self, model: Any, processor: Any, device: torch.device, name: str = "blip", batch_size: int = 16,
                 max_new_tokens: int = MAX_NEW_TOKENS, yes_no: tuple[str, str] = ("yes", "no")) -> None:
        self.model, self.processor, self.device, self.name = model, processor, device, name
        self.tokenizer = processor.tokenizer
        self.batch_size, self.max_new_tokens = batch_size, max_new_tokens
        self.yes_no_ids = single_token_ids(self.tokenizer, yes_no)  # ValueError unless both are whole tokens
        text = model.config.text_config
        self.start_id, self.stop_id, self.pad_id = text.bos_token_id, text.sep_token_id, text.pad_token_id

    def inputs(self, images: Sequence[Any], questions: Sequence[str]) -> BatchFeature:
        """Pixel values (model dtype) and right-padded question ids / mask, on the model's device."""
        if len(images) != len(questions):
            raise ValueError(f"{len(images)} images but {len(questions)} questions; pass one image per question")
        batch = self.processor(images=[as_rgb(image) for image in images], text=list(questions), padding=True,
                               return_tensors="pt").to(self.device)
        batch["pixel_values"] = batch["pixel_values"].to(self.model.dtype)  # [B, 3, S, S]
        return batch

    def ask(self, images: Sequence[Any], questions: Sequence[str]) -> list[tuple[str, float]]:
        """(greedy answer, P(yes)) per pair, both from one generate call per batch."""
        answers, p_yes = self.decode(images, questions, self.max_new_tokens)
        return list(zip(answers, p_yes))

    def answer(self, images: Sequence[Any], questions: Sequence[str]) -> list[str]:
        """Greedy answer text per pair (special tokens dropped, stripped)."""
        return self.decode(images, questions, self.max_new_tokens)[0]

    def p_yes(self, images: Sequence[Any], questions: Sequence[str]) -> list[float]:
        """P(yes) / (P(yes) + P(no)) of the first answer token per pair (one decoder step)."""
        return self.decode(images, questions, 1)[1]

    def decode(self, images: Sequence[Any], questions: Sequence[str],
               max_new_tokens: int) -> tuple[list[str], list[float]]:
        """Greedy answers of up to max_new_tokens tokens and the first step's P(yes), in input order.

        Each batch holds up to `batch_size` questions of one token length, so no question is padded (see the
        module docstring); transformers' own `BlipForQuestionAnswering.generate` then runs each batch.
        """
        import torch

        if len(images) != len(questions):
            raise ValueError(f"{len(images)} images but {len(questions)} questions; pass one image per question")
        if not questions:
            return [], []
        lengths = [len(ids) for ids in self.tokenizer(list(questions))["input_ids"]]
        answers, p_yes = [""] * len(questions), [0.0] * len(questions)
        ids = torch.tensor(self.yes_no_ids, device=self.device)  # [2]
        for batch in equal_length_batches(lengths, self.batch_size):
            inputs = self.inputs([images[i] for i in batch], [questions[i] for i in batch])
            with torch.no_grad():
                out = self.model.generate(**inputs, max_new_tokens=max_new_tokens, **GREEDY, output_logits=True,
                                          return_dict_in_generate=True)
            logp = torch.log_softmax(out.logits[0].float(), dim=-1)[:, ids]  # [b, 2] raw first-step log P(yes, no)
            probs = torch.softmax(logp, dim=-1)[:, 0].tolist()  # [b] renormalised over the two words
            texts = self.tokenizer.batch_decode(out.sequences[:, 1:], skip_special_tokens=True)  # without [DEC]
            for i, text, prob in zip(batch, texts, probs):
                answers[i], p_yes[i] = text.strip(), prob
        return answers, p_yes


class BlipT2IScorer:
    """T2I-CompBench's BLIP-VQA probability (benchmarks.md §3.3, §3.8) on transformers' BLIP, as close as the HF
    checkpoint allows: the image resized (bicubic, no crop) to `image_size` = 480 as the official scorer does, with
    the vision position embeddings interpolated to that size (the HF checkpoint was converted at 384 from the
    480-px original, so this is close, not identical); the question truncated to 35 tokens with its first token
    replaced by [ENC] (the original BLIP; transformers keeps [CLS], #22732); the encoder run over the image, one
    decoder step from [DEC]; p = P(yes) / (P(yes) + P(no)) over the full-vocabulary softmax.

    [ENC] is the tokenizer's own when it has one, else the id after [DEC] (the original adds [DEC], then [ENC]:
    30522, 30523 in BERT's vocabulary). Batches hold questions of one token length (see the module docstring).
    `ask` returns ("yes" if p > 0.5 else "no", p): the T2I score reads only p.
    """

    def __init__(self, vqa: BlipVQA, image_size: int = 480, max_question_tokens: int = 35) -> None:
        self.vqa, self.image_size, self.max_question_tokens = vqa, image_size, max_question_tokens
        self.name = f"{vqa.name}-t2i"
        tok = vqa.tokenizer
        enc = tok.convert_tokens_to_ids("[ENC]")
        self.enc_id = enc if isinstance(enc, int) and enc != tok.unk_token_id else vqa.start_id + 1
        vocab = vqa.model.config.text_config.vocab_size
        if self.enc_id >= vocab:
            raise ValueError(f"[ENC] id {self.enc_id} is outside the text vocabulary ({vocab})")

    def ask(self, images: Sequence[Any], questions: Sequence[str]) -> list[tuple[str, float]]:
        return [("yes" if p > 0.5 else "no", p) for p in self.p_yes(images, questions)]

    def p_yes(self, images: Sequence[Any], questions: Sequence[str]) -> list[float]:
        import torch

        if len(images) != len(questions):
            raise ValueError(f"{len(images)} images but {len(questions)} questions; pass one image per question")
        vqa, model = self.vqa, self.vqa.model
        encoded = vqa.tokenizer(list(questions), truncation=True, max_length=self.max_question_tokens)["input_ids"]
        out = [0.0] * len(questions)
        words = torch.tensor(vqa.yes_no_ids, device=vqa.device)  # [2]
        for batch in equal_length_batches([len(e) for e in encoded], vqa.batch_size):
            side = {"height": self.image_size, "width": self.image_size}
            pixels = vqa.processor.image_processor(images=[as_rgb(images[i]) for i in batch], size=side,
                                                   return_tensors="pt")["pixel_values"]  # [b, 3, S, S]
            ids = torch.tensor([encoded[i] for i in batch], device=vqa.device)  # [b, L]
            ids[:, 0] = self.enc_id
            with torch.no_grad():
                image = model.vision_model(pixels.to(vqa.device, model.dtype),
                                           interpolate_pos_encoding=True).last_hidden_state  # [b, P, D]
                question = model.text_encoder(ids, encoder_hidden_states=image).last_hidden_state  # [b, L, D]
                start = torch.full((len(batch), 1), vqa.start_id, device=vqa.device)  # [b, 1]
                logits = model.text_decoder(start, encoder_hidden_states=question).logits[:, -1]  # [b, V]
            logp = torch.log_softmax(logits.float(), dim=-1)[:, words]  # [b, 2]
            for i, p in zip(batch, torch.softmax(logp, dim=-1)[:, 0].tolist()):
                out[i] = p
        return out


# ---------------------------------------------------------------- pure pieces


def equal_length_batches(lengths: Sequence[int], size: int) -> list[list[int]]:
    """Indices grouped by length (shortest first, input order within a length), `size` at a time."""
    groups: dict[int, list[int]] = {}
    for i, length in enumerate(lengths):
        groups.setdefault(length, []).append(i)
    batches: list[list[int]] = []
    for length in sorted(groups):
        batches += [groups[length][start:stop] for start, stop in chunks(len(groups[length]), size)]
    return batches


def single_token_ids(tokenizer: Any, words: Sequence[str]) -> list[int]:
    """Each word's token id; ValueError unless it is one token of the vocabulary (WordPiece maps unknown words to
    a single [UNK], which does not count)."""
    ids = word_token_ids(tokenizer, words)
    for word, token_id in zip(words, ids):
        if token_id == tokenizer.unk_token_id:
            raise ValueError(f"'{word}' is not a single token of this vocabulary (it encodes to "
                             f"{tokenizer.unk_token}); P(yes) needs words such as 'yes' / 'no' that are one token "
                             f"each")
    return ids


# ---------------------------------------------------------------- loading


def model_folder(model: str, weights_dir: str | Path | None = None) -> Path:
    """A BLIP_IDS key ("base" / "capfilt-large"), a hub id or a local folder → the local folder (no download)."""
    from rgbench.weights import resolve_weights

    return resolve_weights(BLIP_IDS.get(model, model), weights_dir, required=REQUIRED_FILES)


def load_processor(folder: Path) -> Any:
    """The folder's tokenizer and image processor as a BlipProcessor, the image processor always the PIL backend.

    `BlipProcessor.from_pretrained` would build `BlipImageProcessor`, the torchvision backend, which transformers
    5.24 replaces by the PIL one with a warning when torchvision is missing; building it explicitly gives the same
    preprocessing with or without torchvision.
    """
    from transformers import AutoTokenizer, BlipImageProcessorPil, BlipProcessor

    return BlipProcessor(image_processor=BlipImageProcessorPil.from_pretrained(folder),
                         tokenizer=AutoTokenizer.from_pretrained(folder))


def load_blip_vqa(model: str, device: str | None = None, dtype: str = "auto", weights_dir: str | Path | None = None,
                  batch_size: int = 16) -> BlipVQA:
    """BLIP VQA from local files: dtype "auto" = fp16 on CUDA (as transformers' BLIP examples), fp32 on CPU."""
    import torch
    from transformers import BlipForQuestionAnswering
    from transformers.utils import logging as hf_logging

    from rgbench.policy.model import resolve_dtype
    from rgbench.weights import offline

    offline()
    hf_logging.disable_progress_bar()
    folder = model_folder(model, weights_dir)
    dev = resolve_device(device)
    torch_dtype = torch.float16 if dtype == "auto" and dev.type == "cuda" else resolve_dtype(dtype, dev)
    net = BlipForQuestionAnswering.from_pretrained(folder, dtype=torch_dtype)
    return BlipVQA(net.to(dev).eval(), load_processor(folder), dev, name=f"blip-{model}", batch_size=batch_size)
