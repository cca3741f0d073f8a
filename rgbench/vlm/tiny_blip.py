"""A tiny random BLIP VQA model in the real transformers classes, for tests and benchmarks.

`save_tiny_blip_vqa(folder)` writes a folder (config, safetensors, generation config, vocab.txt + tokenizer files,
image processor config) that `rgbench.vlm.blip.load_blip_vqa(str(folder))` loads through the same `from_pretrained`
calls as Salesforce/blip-vqa-base, so preprocessing, the image-grounded question encoder, the answer decoder's
generation and the yes/no read-out all run without a download. Its answers are random; their shapes and
plumbing are real.

The pieces mirror the real release, only smaller:
- model: `BlipForQuestionAnswering` with a 2-layer ViT (hidden 32, 8-px patches on 32×32 images, so 16 patches +
  [CLS]) and a 2-layer BERT-style question encoder and answer decoder (hidden 32, the same width as the ViT, as in
  the base model, where both are 768), initialised with std 0.15 rather than 0.02 so that the image and the
  question both change the answer;
- token ids: laid out like transformers' BLIP config (vocab_size 30524 = BERT's 30522 + 2, bos 30522): the tokenizer
  holds a BERT-style WordPiece vocab (here [PAD] [UNK] [CLS] [SEP] [MASK] and a short word list, so pad 0 and sep 3
  where BERT has 0 and 102) and the model's vocabulary has two ids after it, [DEC] (text bos_token_id, the answer
  decoder's start token) and a spare one ([ENC] in the original BLIP), which the tiny tokenizer does not know;
  generation stops at [SEP] and pads with [PAD];
- tokenizer: `BertTokenizer` (uncased WordPiece) built from the vocab.txt written here, saved next to it as
  tokenizer.json / tokenizer_config.json, as in the released folders;
- image processor: `BlipImageProcessorPil` (the PIL backend; the torchvision one cannot be imported here) resizing to
  32×32, with BLIP's defaults otherwise (bicubic, rescale 1/255, CLIP mean / std), saved as preprocessor_config.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TINY_IMAGE = 32  # image side in px; with 8-px patches the ViT sees 4×4 patches + [CLS]
TINY_PATCH = 8
TINY_HIDDEN = 32
# Weight init std, vs BLIP's 0.02: with 0.02 a 32-wide random model gives every (image, question) the same answer;
# with 0.15 both the image and the question change it, so the tests can tell pairs apart.
TINY_INIT_STD = 0.15

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
WORDS = ("yes", "no", "is", "are", "there", "a", "an", "the", "red", "green", "blue", "yellow", "circle",
         "square", "triangle", "cat", "dog", "one", "two", "three", "of", "in", "on", "left", "right", "above",
         "below", "image", "photo", "what", "color", "?", ".", ",", "##s")


def write_vocab(folder: Path) -> Path:
    """vocab.txt: BERT's five special tokens first (ids 0–4), then the words, one per line."""
    path = folder / "vocab.txt"
    path.write_text("\n".join((*SPECIAL_TOKENS, *WORDS)) + "\n")
    return path


def tiny_blip_config(tokenizer: Any) -> Any:
    """BlipConfig with tiny widths whose token ids are the tokenizer's; [DEC] and [ENC] follow its vocab."""
    from transformers import BlipConfig

    dec = len(tokenizer)  # [DEC], the answer decoder's first input (decoder_start_token_id = text bos_token_id)
    text = dict(vocab_size=dec + 2, hidden_size=TINY_HIDDEN, intermediate_size=64, num_hidden_layers=2,
                num_attention_heads=2, max_position_embeddings=64, bos_token_id=dec,
                eos_token_id=tokenizer.sep_token_id, sep_token_id=tokenizer.sep_token_id,
                pad_token_id=tokenizer.pad_token_id, initializer_range=TINY_INIT_STD)
    vision = dict(hidden_size=TINY_HIDDEN, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                  image_size=TINY_IMAGE, patch_size=TINY_PATCH, projection_dim=TINY_HIDDEN,
                  initializer_range=TINY_INIT_STD)
    return BlipConfig(text_config=text, vision_config=vision, projection_dim=TINY_HIDDEN,
                      image_text_hidden_size=TINY_HIDDEN, initializer_range=TINY_INIT_STD)


def save_tiny_blip_vqa(folder: str | Path, seed: int = 0) -> Path:
    """Write a tiny random BlipForQuestionAnswering (model, vocab + tokenizer, image processor) to `folder`."""
    import torch
    from transformers import BertTokenizer, BlipForQuestionAnswering, BlipImageProcessorPil

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = BertTokenizer(vocab=str(write_vocab(folder)))  # uncased, like bert-base-uncased
    torch.manual_seed(seed)
    model = BlipForQuestionAnswering(tiny_blip_config(tokenizer))
    with torch.no_grad():  # spread the answer logits further, so greedy answers are not near-ties
        model.text_decoder.cls.predictions.transform.LayerNorm.weight.mul_(2)
    model.save_pretrained(folder)  # config.json, model.safetensors, generation_config.json
    tokenizer.save_pretrained(folder)  # tokenizer.json, tokenizer_config.json
    BlipImageProcessorPil(size={"height": TINY_IMAGE, "width": TINY_IMAGE}).save_pretrained(folder)
    return folder
