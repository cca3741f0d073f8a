"""What T2I-CompBench's scorers read out of a prompt: noun phrases (the BLIP-VQA questions), the two objects of
a spatial prompt, the relation phrase, and the (object, count) pairs of a numeracy prompt (benchmarks.md §3.3,
§3.6).

The official scripts use spaCy's `en_core_web_sm` 3.5.0: `doc.noun_chunks` for the questions, the first and last
NOUN for spatial objects. spaCy is an optional extra here (`pip install spacy` + the model); when it is absent a
built-in chunker runs. It is written for the val files' patterns: "a green bench and a blue bowl" (attribute
binding: phrases split at conjunctions), "The red apple was next to the oval plate." (complex: a phrase runs
from a determiner or a content word to the next preposition, conjunction, verb or punctuation), "two boys"
(numeracy). Which chunker ran is recorded in every result (`chunker`), since noun chunks decide the questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

DROPPED_CHUNKS = ("top", "the side", "the left", "the right")  # the official list, matched on the chunk text
# corrected mode also drops the other relation words the official list misses ("on the top of", "on the
# bottom of" make "the top?" / "the bottom?" questions that ask about no object)
DROPPED_CORRECTED = DROPPED_CHUNKS + ("the top", "the bottom")
PERSON_WORDS = ("girl", "boy", "man", "woman")  # spatial objects renamed "person"
RELATIONS_2D = ("on side of", "next to", "near", "on the left of", "on the right of", "on the bottom of",
                "on the top of", "on top of")  # checked in this order; the first found is the relation
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8}

DETERMINERS = {"a", "an", "the", "this", "that", "these", "those", "its", "his", "her", "their", "my", "your",
               "our", "some", "each", "every", "another", "several", "many", "few", "no"} | set(NUMBER_WORDS)
PREPOSITIONS = {"on", "of", "in", "at", "with", "under", "above", "below", "near", "next", "to", "behind", "beside",
                "by", "for", "from", "into", "onto", "over", "through", "across", "against", "along", "around",
                "between", "beneath", "inside", "outside", "up", "down", "off", "among", "toward", "towards",
                "underneath", "atop", "upon", "within", "without", "like", "as", "while", "during", "after",
                "before", "than"}
CONJUNCTIONS = {"and", "or", "but", "nor", "so", "yet", "while", "where", "which", "who", "that"}
VERBS = {"is", "are", "was", "were", "be", "been", "being", "am", "has", "have", "had", "do", "does", "did",
         "sat", "sits", "sit", "lay", "lies", "lie", "stood", "stands", "stand", "hung", "hangs", "hang",
         "rested", "rests", "rest", "floated", "floats", "strode", "placed", "perched", "leaned", "leans",
         "looked", "looks", "holds", "held", "sitting", "lying", "standing", "hanging", "resting", "looking",
         "reaching", "playing", "running", "walking", "flying", "eating", "speaking", "making", "marveling",
         "holding", "wearing", "watching", "reading", "riding", "swimming", "can", "could", "will", "would",
         "seems", "seemed", "appears", "appeared", "covered", "filled", "surrounded", "displayed", "set",
         "draped", "stacked", "parked", "piled", "tucked", "nestled", "scattered", "arranged", "hold", "contains",
         "covers", "fills", "creates", "wears", "carries", "eats", "rides", "flies", "runs", "walks", "chases",
         "sleeps", "jumps"}
PRONOUNS = {"it", "he", "she", "they", "we", "i", "you", "them", "him", "us"}
PARTICLES = {"out", "away", "back", "together", "apart", "around", "here", "there", "not", "also", "just"}
BREAKERS = PREPOSITIONS | CONJUNCTIONS | VERBS | PARTICLES
# Nouns with a verb's ending, seen in the val files ("a red painting", "the ceiling", "a bed").
ING_ED_NOUNS = {"painting", "ring", "ceiling", "building", "earring", "seating", "flooring", "meeting", "watering",
                "swing", "sapling", "king", "thing", "evening", "morning", "clothing", "string", "wing", "spring",
                "wedding", "pudding", "frosting", "icing", "railing", "lighting", "stocking", "engineering", "bed",
                "sled", "shed", "seed", "feed", "reed", "weed", "steed", "bread", "led"}


class Chunker(Protocol):
    name: str

    def noun_chunks(self, text: str) -> list[str]:
        ...


def words(text: str) -> list[str]:
    """Words and punctuation marks as separate tokens."""
    return re.findall(r"[A-Za-z0-9'-]+|[^\sA-Za-z0-9]", text)


class BuiltinChunker:
    """Noun phrases without a parser: a phrase starts at a determiner or content word and ends before the next
    preposition, conjunction, verb, pronoun or punctuation mark (a comma between adjectives does not end it)."""

    name = "builtin"

    def noun_chunks(self, text: str) -> list[str]:
        chunks: list[list[str]] = []
        current: list[str] = []
        tokens = words(text)
        for i, tok in enumerate(tokens):
            low = tok.lower()
            if tok == "," and current and i + 1 < len(tokens) and tokens[i + 1].lower() not in BREAKERS | DETERMINERS:
                current.append(tok)  # "the towering, majestic elephants"
                continue
            if low in BREAKERS or not tok[0].isalnum() or verb_form(low, current):
                current = _close(chunks, current)
                continue
            if low in PRONOUNS:
                current = _close(chunks, current)
                chunks.append([tok])
                continue
            if low in DETERMINERS and current and current[-1].lower() not in NUMBER_WORDS:
                current = _close(chunks, current)
            current.append(tok)
        _close(chunks, current)
        return [_join(c) for c in chunks if not all(w.lower() in DETERMINERS for w in c)]


def verb_form(word: str, current: list[str]) -> bool:
    """A past tense / participle ("contrasted", "practicing") where a noun phrase cannot continue: after a
    content word of the phrase (not right after a determiner, where it is an adjective: "the cluttered desk"),
    or, for "-ing", at the start of a phrase ("is practicing")."""
    if len(word) <= 4 or word in ING_ED_NOUNS or not word.endswith(("ed", "ing")):
        return False
    after_content = bool(current) and current[-1].lower() not in DETERMINERS and current[-1] != ","
    return after_content or (word.endswith("ing") and not current)


def _close(chunks: list[list[str]], current: list[str]) -> list[str]:
    while current and current[-1] == ",":
        current = current[:-1]
    if current:
        chunks.append(current)
    return []


def _join(tokens: list[str]) -> str:
    return " ".join(tokens).replace(" ,", ",")


class SpacyChunker:
    """spaCy's noun chunks, as the official scorer computes them (needs spaCy and `en_core_web_sm`)."""

    def __init__(self, model: str = "en_core_web_sm") -> None:
        import spacy

        self.nlp = spacy.load(model)
        self.name = f"spacy-{model}-{self.nlp.meta.get('version', '?')}"

    def noun_chunks(self, text: str) -> list[str]:
        return [chunk.text for chunk in self.nlp(text).noun_chunks]


@lru_cache(maxsize=1)
def default_chunker() -> Chunker:
    """spaCy when it and its English model are installed, else the built-in chunker."""
    try:
        return SpacyChunker()
    except (ImportError, OSError):  # spaCy missing, or its model not installed
        return BuiltinChunker()


def question_chunks(prompt: str, chunker: Chunker) -> list[str]:
    """Every noun chunk of the prompt (which ones are asked depends on the mode: `kept_chunks`)."""
    return chunker.noun_chunks(prompt)


def kept_chunks(chunks: list[str], mode: str, np_num: int = 8) -> list[int]:
    """Indices of the chunks asked as questions: the mode's drop list removed, then at most `np_num`."""
    dropped = DROPPED_CHUNKS if mode == "official" else DROPPED_CORRECTED
    return [i for i, c in enumerate(chunks) if c not in dropped][:np_num]


def question(chunk: str) -> str:
    """A chunk as BLIP-VQA asks it: + "?", then BLIP's cleanup (lower-case, drop . ! " ( ) * # : ; ~, trim,
    at most 50 words)."""
    return clean_question(chunk + "?")


def clean_question(text: str) -> str:
    text = re.sub(r"[.!\"()*#:;~]", "", text.lower()).rstrip()
    return " ".join(text.split(" ")[:50])


def relation_2d(prompt: str) -> str | None:
    """The first of RELATIONS_2D found in the prompt (a substring test, as the official script does)."""
    return next((r for r in RELATIONS_2D if r in prompt), None)


def head(chunk: str) -> str:
    """A noun phrase's head noun: its last word (lower-case)."""
    return words(chunk)[-1].lower()


def spatial_objects(prompt: str, chunker: Chunker) -> tuple[str, str] | None:
    """The first and the last object of a spatial prompt (the official first / last NOUN; here the heads of the
    first and last kept noun chunks), with girl / boy / man / woman → person; None with fewer than two."""
    chunks = [c for c in chunker.noun_chunks(prompt) if c not in DROPPED_CHUNKS and c.lower() not in PRONOUNS]
    if len(chunks) < 2:
        return None
    a, b = head(chunks[0]), head(chunks[-1])
    return tuple("person" if w in PERSON_WORDS else w for w in (a, b))  # type: ignore[return-value]


@dataclass(frozen=True)
class Counted:
    name: str  # singular object name
    count: int


NUMERACY_RENAMES = {"boy": "person", "girl": "person", "man": "person", "woman": "person", "ship": "boat",
                    "telivision": "tv", "goldfish": "fish", "painting": "picture"}


def numeracy_objects(prompt: str, vocabulary: dict[str, str]) -> list[Counted]:
    """(object, count) per number word (a, an, one … eight) followed by a vocabulary entry of one or two words,
    singular or plural (`vocabulary`: every form → its singular), renamed as the official script does."""
    toks = [t.lower() for t in words(prompt)]
    out = []
    for i, tok in enumerate(toks):
        if tok not in NUMBER_WORDS:
            continue
        two, one = " ".join(toks[i + 1:i + 3]), toks[i + 1] if i + 1 < len(toks) else ""
        form = two if two in vocabulary else one if one in vocabulary else None
        if form is None:
            continue
        singular = vocabulary[form]
        out.append(Counted(NUMERACY_RENAMES.get(singular, singular), NUMBER_WORDS[tok]))
    return out


def read_vocabulary(text: str) -> dict[str, str]:
    """new_objects.txt ("singular - plural" per line) → every form → singular."""
    out = {}
    for line in text.splitlines():
        if " - " in line:
            singular, plural = (part.strip().lower() for part in line.split(" - ", 1))
            out[singular], out[plural] = singular, singular
    return out
