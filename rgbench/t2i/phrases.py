"""What T2I-CompBench's scorers read out of a prompt: noun phrases (the BLIP-VQA questions), the two objects of
a spatial prompt, the relation phrase, and the (object, count) pairs of a numeracy prompt (benchmarks.md §3.3,
§3.6).

The official scripts use spaCy's `en_core_web_sm` 3.5.0: `doc.noun_chunks` for the questions, the first and last
NOUN for spatial objects. spaCy is an optional extra here (`pip install spacy` + the model); when it is absent a
built-in chunker runs. It is written for the val files' patterns: "a green bench and a blue bowl" (attribute
binding: phrases split at conjunctions), "The red apple was next to the oval plate." (complex: a phrase runs
from a determiner or a content word to the next preposition, conjunction, verb or punctuation), "two boys"
(numeracy). Which chunker ran is recorded in every result (`chunker`), since noun chunks decide the questions.

A chunker also tags tokens (`tagged`): spaCy's coarse part of speech, or, built in, NOUN for the last word of
each noun chunk. The complex category's objects are read from those tags exactly as the official script reads
spaCy's (`complex_objects`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

Tagged = list[tuple[str, str]]  # (token text, coarse part of speech as spaCy's `pos_`: NOUN, PROPN, VERB, …)

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
                "before", "than", "past", "alongside"}
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
         "sleeps", "jumps",
         # irregular past tenses (complex prompts: "the duckling swam next to the swan")
         "swam", "sank", "ran", "flew", "grew", "fell", "shone", "drove", "rode", "swung", "slept", "crept",
         "knelt", "clung", "sang", "drank", "ate", "caught", "threw", "wore", "took", "gave", "made", "went",
         "came", "kept", "sprang", "blew", "drew", "hid"}
# Words right after a verb that describe the subject rather than name an object ("the sunflower stood tall next
# to …"); after a verb they start no noun phrase, elsewhere ("a tall tree") they are ordinary modifiers.
PREDICATIVES = {"tall", "still", "high", "low", "upright", "alone", "close", "proud", "straight", "motionless",
                "idle", "quiet", "silent", "calm", "steady", "firm", "open", "closed", "empty", "full", "ready"}
LY_NOUNS = {"jelly", "lily", "belly", "family", "butterfly", "dragonfly", "firefly", "holly", "rally", "ally",
            "bully", "assembly", "supply", "anomaly", "italy", "fly"}  # "-ly" words that are not adverbs
PRONOUNS = {"it", "he", "she", "they", "we", "i", "you", "them", "him", "us"}
PARTICLES = {"out", "away", "back", "together", "apart", "around", "here", "there", "not", "also", "just"}
BREAKERS = PREPOSITIONS | CONJUNCTIONS | VERBS | PARTICLES
# Nouns with a verb's ending, seen in the val files ("a red painting", "the ceiling", "a bed").
ING_ED_NOUNS = {"painting", "ring", "ceiling", "building", "earring", "seating", "flooring", "meeting", "watering",
                "swing", "sapling", "king", "thing", "evening", "morning", "clothing", "string", "wing", "spring",
                "wedding", "pudding", "frosting", "icing", "railing", "lighting", "stocking", "engineering", "bed",
                "sled", "shed", "seed", "feed", "reed", "weed", "steed", "bread", "led", "duckling", "seedling",
                "dumpling", "sibling", "gosling", "starling", "fledgling", "yearling", "darling", "rocking",
                "dining", "living"}


class Chunker(Protocol):
    name: str

    def noun_chunks(self, text: str) -> list[str]:
        ...

    def tagged(self, text: str) -> Tagged:
        ...


def words(text: str) -> list[str]:
    """Words and punctuation marks as separate tokens."""
    return re.findall(r"[A-Za-z0-9'-]+|[^\sA-Za-z0-9]", text)


class BuiltinChunker:
    """Noun phrases without a parser: a phrase starts at a determiner or content word and ends before the next
    preposition, conjunction, verb, pronoun or punctuation mark (a comma between adjectives does not end it)."""

    name = "builtin"

    def noun_chunks(self, text: str) -> list[str]:
        tokens = words(text)
        return [_join([tokens[i] for i in span]) for span in chunk_spans(tokens)]

    def tagged(self, text: str) -> Tagged:
        """NOUN for the last word of each noun chunk (its head; pronouns excluded), X for every other token: no
        PROPN, so the official proper-noun fallback never applies."""
        tokens = words(text)
        heads = {span[-1] for span in chunk_spans(tokens) if tokens[span[-1]].lower() not in PRONOUNS}
        return [(tok, "NOUN" if i in heads else "X") for i, tok in enumerate(tokens)]


def chunk_spans(tokens: list[str]) -> list[list[int]]:
    """The built-in chunker's noun phrases as lists of token indices."""
    chunks: list[list[int]] = []
    current: list[int] = []
    verbs: set[int] = set()  # tokens read as verbs
    for i, tok in enumerate(tokens):
        low = tok.lower()
        if tok == "," and current and i + 1 < len(tokens) and tokens[i + 1].lower() not in BREAKERS | DETERMINERS:
            current.append(i)  # "the towering, majestic elephants"
            continue
        if low in VERBS or verb_form(low, [tokens[j] for j in current]):
            verbs.add(i)
        if low in BREAKERS or not tok[0].isalnum() or i in verbs or (i - 1 in verbs and predicative(low)):
            current = _close(chunks, current, tokens)
            continue
        if low in PRONOUNS:
            current = _close(chunks, current, tokens)
            chunks.append([i])
            continue
        if low in DETERMINERS and current and tokens[current[-1]].lower() not in NUMBER_WORDS:
            current = _close(chunks, current, tokens)
        current.append(i)
    _close(chunks, current, tokens)
    return [c for c in chunks if not all(tokens[i].lower() in DETERMINERS for i in c)]


def predicative(word: str) -> bool:
    """An adjective or "-ly" adverb that, right after a verb ("stood tall", "sat quietly"), starts no noun phrase."""
    return word in PREDICATIVES or (len(word) > 4 and word.endswith("ly") and word not in LY_NOUNS)


def verb_form(word: str, current: list[str]) -> bool:
    """A past tense / participle ("contrasted", "practicing") where a noun phrase cannot continue: after a
    content word of the phrase (not right after a determiner, where it is an adjective: "the cluttered desk"),
    or, for "-ing", at the start of a phrase ("is practicing")."""
    if len(word) <= 4 or word in ING_ED_NOUNS or not word.endswith(("ed", "ing")):
        return False
    after_content = bool(current) and current[-1].lower() not in DETERMINERS and current[-1] != ","
    return after_content or (word.endswith("ing") and not current)


def _close(chunks: list[list[int]], current: list[int], tokens: list[str]) -> list[int]:
    while current and tokens[current[-1]] == ",":
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

    def tagged(self, text: str) -> Tagged:
        return [(tok.text, tok.pos_) for tok in self.nlp(text)]


TABLE_FILE = Path(__file__).parent / "data" / "spacy_parses.json"


class ShippedChunker:
    """spaCy's parses of every prompt rgbench ships (`data/spacy_parses.json`, written once by
    scripts/t2i_spacy_table.py with the spaCy and model versions in its meta), and `fallback` for any other prompt.
    `source(text)` names which of the two parsed a prompt; every parse record carries it."""

    def __init__(self, fallback: Chunker, table_file: Path = TABLE_FILE) -> None:
        data = json.loads(table_file.read_text(encoding="utf-8"))
        meta = data["meta"]
        self.table: dict[str, dict] = data["parses"]
        self.table_name = f"spacy-{meta['model']}-{meta['model_version']} (shipped table)"
        self.fallback = fallback
        self.name = f"{self.table_name} + {fallback.name}"

    def source(self, text: str) -> str:
        return self.table_name if text.strip() in self.table else self.fallback.name

    def noun_chunks(self, text: str) -> list[str]:
        entry = self.table.get(text.strip())
        return list(entry["chunks"]) if entry else self.fallback.noun_chunks(text)

    def tagged(self, text: str) -> Tagged:
        entry = self.table.get(text.strip())
        return [(tok, pos) for tok, pos in entry["tagged"]] if entry else self.fallback.tagged(text)


def source_of(chunker: Chunker, text: str) -> str:
    """Which parser a chunker used for this prompt (a table chunker says per prompt)."""
    source = getattr(chunker, "source", None)
    return source(text) if source is not None else chunker.name


@lru_cache(maxsize=1)
def default_chunker() -> Chunker:
    """The shipped spaCy table for shipped prompts; for others spaCy when it and its English model are installed,
    else the built-in chunker."""
    try:
        fallback: Chunker = SpacyChunker()
    except (ImportError, OSError):  # spaCy missing, or its model not installed
        fallback = BuiltinChunker()
    return ShippedChunker(fallback)


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


def spatial_objects(prompt: str, chunker: Chunker, mode: str = "corrected") -> tuple[str, str] | None:
    """The two objects of a spatial prompt, with girl / boy / man / woman → person; None with fewer than two.
    official: the first and the last token tagged NOUN, as the official script reads spaCy's tags (spaCy tags
    "key" in "a bee on the left of a key" as no noun, so it compares a bee with "left"); corrected: the heads of
    the first and last noun chunks that name an object (not "the left", not a pronoun)."""
    if mode == "official":
        nouns = [text for text, pos in chunker.tagged(prompt) if pos == "NOUN"]
        pair = (nouns[0], nouns[-1]) if len(nouns) >= 2 else None
    else:
        chunks = [c for c in chunker.noun_chunks(prompt) if c not in DROPPED_CHUNKS and c.lower() not in PRONOUNS]
        pair = (head(chunks[0]), head(chunks[-1])) if len(chunks) >= 2 else None
    return None if pair is None else tuple("person" if w in PERSON_WORDS else w for w in pair)  # type: ignore[return-value]


# The relation phrases the official `--complex` object reader looks for (a list apart from RELATIONS_2D: it lacks
# "on the top of" / "on the bottom of", so those prompts get no objects and score 0 there). Corrected mode adds
# them, so every relation the position rule knows has its objects.
COMPLEX_PREPOSITIONS = {
    "official": ("on top of", "on bottom of", "on the left", "on the right", "next to", "on side of", "near"),
    "corrected": ("on top of", "on bottom of", "on the left", "on the right", "next to", "on side of", "near",
                  "on the top", "on the bottom")}


def complex_objects(tagged: Tagged, mode: str = "corrected") -> tuple[str, str] | None:
    """The two objects of a complex spatial prompt, read as the official `--complex` script reads spaCy's tags: at
    each relation phrase (3, 2, then 1 tokens), the nearest NOUN or PROPN before it and the first NOUN after it
    (none: the first PROPN that ends a run of them, never the last token); exactly two found, else None. Then
    girl / boy / man / woman → person. Official keeps the token's case; corrected lower-cases it (labels are
    lower-case)."""
    texts, tags = [t for t, _ in tagged], [p for _, p in tagged]
    relations = COMPLEX_PREPOSITIONS[mode]
    found: list[str] = []
    for i in range(len(texts)):
        k = next((n for n in (3, 2, 1) if " ".join(texts[i:i + n]) in relations), None)  # a short tail span counts as 3
        if k is not None:
            found += _noun_before(texts, tags, i) + _noun_after(texts, tags, i + k)
    if len(found) != 2:
        return None
    pair = [w.lower() for w in found] if mode == "corrected" else found
    return tuple("person" if w in PERSON_WORDS else w for w in pair)  # type: ignore[return-value]


def _noun_before(texts: list[str], tags: list[str], i: int) -> list[str]:
    return next(([texts[j]] for j in range(i - 1, -1, -1) if tags[j] in ("NOUN", "PROPN")), [])


def _noun_after(texts: list[str], tags: list[str], start: int) -> list[str]:
    n = len(texts)
    noun = next(([texts[j]] for j in range(start, n) if tags[j] == "NOUN"), None)
    if noun is not None or start >= n:
        return noun or []
    return next(([texts[j]] for j in range(start, n - 1) if tags[j] == "PROPN" and tags[j + 1] != "PROPN"), [])


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
