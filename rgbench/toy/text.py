"""The toy text tokenizer: word level over the toy vocabulary, as a real `PreTrainedTokenizerFast`.

The vocabulary is every word of the shipped toy prompt sets, of DPG questions, of sampled CoT plans and of the
prompt templates (`rgbench toy build-data` writes it to data/text/vocab.txt). Words are lowercased and split
like `\\w+|[^\\w\\s]+`; anything else becomes `<unk>`. Saved with `save_pretrained`, it loads back through
`AutoTokenizer` like any Hugging Face tokenizer, so the policy has one text-tokenizer code path.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from rgbench.toy.cot import LEGACY_CELL_WORDS, write_plan
from rgbench.toy.sampler import random_spec, scene_for
from rgbench.toy.world import WorldConfig

VOCAB_FILE = Path(__file__).parent / "data" / "text" / "vocab.txt"
SPECIAL_TOKENS = {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>"}
# Janus's image markers and the deepseek chat roles are whole tokens, as in Janus's own tokenizer.
EXTRA_TOKENS = ("<begin_of_image>", "<end_of_image>", "<image_placeholder>", "<|User|>", "<|Assistant|>")
# the release templates and the dev "RL without SFT" one (method.md §5), with the prompt slot left empty
TEMPLATES = ("A photo of {}. Output a richly detailed prompt: ", "A photo of {}.", "{}. ",
             "A photo of {}. Detailed prompt for image generation: ")
WORD = re.compile(r"\w+|[^\w\s]+")
PLAN_TASKS = ("single_object", "two_object", "counting", "colors", "position", "color_attr", "dense",
              "color", "shape", "texture", "spatial", "numeracy", "complex")


def words(text: str) -> list[str]:
    """The pre-tokenizer's split, in Python (lowercased)."""
    return WORD.findall(text.lower())


def collect_vocabulary(texts: list[str], world: WorldConfig | None = None, n_plans: int = 20000,
                       seed: int = 0) -> list[str]:
    """Sorted word list from `texts`, `n_plans` seeded CoT plans and the prompt templates."""
    world = world or WorldConfig()
    rng = random.Random(seed)
    found: set[str] = {w for t in TEMPLATES for w in words(t.format(""))} | set(LEGACY_CELL_WORDS)
    found |= {str(i + 1) for i in range(world.cells)}  # toy-v1 plans' "row 1 column 2"
    for text in texts:
        found.update(words(text))
    for _ in range(n_plans):
        scene = scene_for(random_spec(rng.choice(PLAN_TASKS), world, rng), world, rng)
        found.update(words(write_plan(scene, rng)))
    return sorted(found)


def load_vocabulary(path: Path = VOCAB_FILE) -> list[str]:
    if not path.is_file():
        raise FileNotFoundError(f"no toy vocabulary at {path}; run `rgbench toy build-data`")
    return [w for w in path.read_text().splitlines() if w]


def build_text_tokenizer(vocabulary: list[str] | None = None):
    """A word-level `PreTrainedTokenizerFast`: specials first (bos 0, eos 1, pad 2, unk 3), then the words."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = list(SPECIAL_TOKENS.values()) + list(EXTRA_TOKENS)
    vocab = {tok: i for i, tok in enumerate(specials)}
    for word in vocabulary if vocabulary is not None else load_vocabulary():
        vocab.setdefault(word, len(vocab))
    core = Tokenizer(models.WordLevel(vocab, unk_token=SPECIAL_TOKENS["unk_token"]))
    core.normalizer = normalizers.Lowercase()
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.decoder = decoders.WordPiece(prefix="##", cleanup=False)  # joins words with single spaces
    tok = PreTrainedTokenizerFast(tokenizer_object=core, **SPECIAL_TOKENS, extra_special_tokens=list(EXTRA_TOKENS))
    tok.add_special_tokens({"additional_special_tokens": list(EXTRA_TOKENS)})
    return tok
