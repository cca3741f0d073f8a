"""What T2I-CompBench's scorers read out of a prompt: noun phrases (the BLIP-VQA questions), the two objects of
a spatial prompt, the relation phrase, and the (object, count) pairs of a numeracy prompt (benchmarks.md §3.3,
§3.6).

The official scripts use spaCy's `en_core_web_sm`: `doc.noun_chunks` for the questions, the first and last NOUN
for spatial objects. rgbench reads spaCy's parses of every shipped prompt from a table (`ShippedChunker`); for
other prompts spaCy runs when installed, else a numpy port of the same model (`spacy_port.NumpySpacyChunker`:
tokenizer, tagger, parser and noun chunks from its exported weights, spaCy's parses exactly on every prompt
measured). The toy prompts use a built-in chunker (`BuiltinChunker`) that imitates spaCy without its model: a
tagger (closed word classes, a word → tag lexicon made from spaCy's own tags on half the shipped prompts, context
rules, a guess for unseen words) and spaCy's noun-chunk rules read from those tags (`chunk_spans`). Which chunker
ran is recorded in every result (`chunker`), since noun chunks decide the questions.

A chunker also tags tokens (`tagged`): spaCy's coarse part of speech, or the built-in tagger's guess at it. The
complex category's objects are read from those tags exactly as the official script reads spaCy's
(`complex_objects`).
"""

from __future__ import annotations

import hashlib
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
PRONOUNS = {"it", "he", "she", "they", "we", "i", "you", "them", "him", "us"}

# The built-in tagger's closed classes (spaCy's coarse tags); open-class words come from the lexicon or a guess.
CLOSED_CLASSES = {
    "DET": "a an the this that these those each every another some any no all both either neither",
    "CCONJ": "and or but nor",
    "SCONJ": "while as because if when where although though since until so",
    "ADP": "on of in at with under above below near to behind beside by for from into onto over through across "
           "against along around between beneath inside outside among toward towards underneath atop upon within "
           "without like during after before than past alongside",
    "PRON": "it he she they we i you them him us her his its their my your our which who what itself themselves "
            "someone something everyone",
    "AUX": "is are was were be been being am has have had do does did can could will would shall should may might "
           "must",
    "ADJ": "many several few",
    "NUM": "one two three four five six seven eight nine ten"}
CLOSED = {word: pos for pos, listed in CLOSED_CLASSES.items() for word in listed.split()}
POSSESSIVES = {"his", "her", "its", "their", "my", "your", "our"}  # a determiner, not a chunk, before a noun
ADJ_SUFFIXES = ("ous", "ful", "ic", "ive", "less", "able", "ible", "ish")
NOMINAL = ("NOUN", "PROPN")
PHRASE_ENDS = ("ADP", "PUNCT", "CCONJ", "AUX", "SCONJ", "PART", "END")  # what may follow a noun phrase's head
LEXICON_FILE = Path(__file__).parent / "data" / "pos_lexicon.json"


class Chunker(Protocol):
    name: str

    def noun_chunks(self, text: str) -> list[str]:
        ...

    def tagged(self, text: str) -> Tagged:
        ...


def words(text: str) -> list[str]:
    """Words and punctuation marks as separate tokens."""
    return re.findall(r"[A-Za-z0-9'-]+|[^\sA-Za-z0-9]", text)


_TOKEN = re.compile(r"'s\b|[A-Za-z0-9]+(?::[0-9]+)?|[^\sA-Za-z0-9]")


def spacy_tokens(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) as spaCy's English tokenizer splits these prompts: punctuation, a possessive "'s" and a
    hyphen inside a word ("high-tech" → high, -, tech) are tokens of their own; "11:44" stays whole."""
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def lexicon_half(prompt: str) -> str:
    """Which half of the shipped prompts a prompt is in: "fit" (the lexicon is made from its parses) or "held_out"
    (measured only), by the parity of the first byte of the SHA-256 of its stripped text."""
    return "held_out" if hashlib.sha256(prompt.strip().encode("utf-8")).digest()[0] % 2 else "fit"


@lru_cache(maxsize=1)
def pos_lexicon() -> dict[str, list[str]]:
    """Lower-cased word → the coarse tags spaCy gave it in the fit half of the shipped prompts, most frequent first
    (data/pos_lexicon.json, made by scripts/t2i_pos_lexicon.py)."""
    words_ = json.loads(LEXICON_FILE.read_text(encoding="utf-8"))["words"]
    return {word: tags.split() for word, tags in words_.items()}


class BuiltinChunker:
    """spaCy-like noun chunks without spaCy: a tagger (closed classes, a word → tag lexicon read from spaCy's own
    tags, context rules, a guess for unseen words) and noun chunks read from the tags as spaCy's `noun_chunks`
    forms them: every noun, proper noun or pronoun that no noun follows, with the modifiers before it
    (`chunk_spans`)."""

    name = "builtin"

    def __init__(self, lexicon: dict[str, list[str]] | None = None, fixed: dict[str, str] | None = None) -> None:
        """`lexicon`: word → its tags, most frequent first (default: data/pos_lexicon.json); `fixed`: words that
        always get one tag, whatever the lexicon says (the toy's vocabulary: "square" is a shape there, a noun,
        where spaCy reads an adjective)."""
        base = pos_lexicon() if lexicon is None else lexicon
        self.lexicon = {**base, **{w.lower(): [tag] for w, tag in (fixed or {}).items()}} if fixed else base

    def noun_chunks(self, text: str) -> list[str]:
        tokens = spacy_tokens(text)
        tags = tag_words([t for t, _, _ in tokens], self.lexicon)
        return [text[tokens[s][1]:tokens[e][2]] for s, e in chunk_spans([t for t, _, _ in tokens], tags)]

    def tagged(self, text: str) -> Tagged:
        """Each token with the built-in tagger's guess at spaCy's coarse part of speech."""
        tokens = [t for t, _, _ in spacy_tokens(text)]
        return list(zip(tokens, tag_words(tokens, self.lexicon)))


def tag_words(tokens: list[str], lexicon: dict[str, list[str]]) -> list[str]:
    """spaCy-style coarse tags: closed classes and the lexicon's first reading, then context rules for words with
    two readings and for "-ing" forms, then a guess from the neighbours for words the lexicon lacks."""
    n = len(tokens)
    low = [t.lower() for t in tokens]
    seen = [lexicon.get(w, []) for w in low]

    def known(i: int) -> str | None:
        if low[i] == "'s":
            return "PART"
        if not tokens[i][0].isalnum():
            return "PUNCT"
        if tokens[i][0].isdigit():
            return "NUM"
        if i > 0 and tokens[i][0].isupper() and low[i] not in CLOSED:
            return "PROPN"  # capitalised inside the sentence
        return CLOSED.get(low[i]) or (seen[i][0] if seen[i] else None)

    tags = [known(i) for i in range(n)]

    def before(i: int) -> str | None:  # a possessive pronoun counts as the determiner it is
        return "DET" if i > 0 and low[i - 1] in POSSESSIVES else (tags[i - 1] if i > 0 else "START")

    def after(i: int) -> str | None:
        return tags[i + 1] if i + 1 < n else "END"

    for i in range(n - 1):  # "to" before a verb or an unseen word is the infinitive marker: "trying to catch"
        if low[i] == "to" and (tags[i + 1] is None or seen[i + 1][:1] == ["VERB"]):
            tags[i], tags[i + 1] = "PART", "VERB"
    for i in range(1, n):
        if low[i].endswith("ing") and len(low[i]) > 4 and tags[i] is not None:
            if tags[i - 1] == "AUX":
                tags[i] = "VERB"  # "is building"
            elif tags[i - 1] in ("CCONJ", "PUNCT"):  # "and making plans" / "and reading on", "feeling refreshed"
                nxt = after(i)
                if nxt in ("DET", "PRON", "NUM", "ADJ", "NOUN", None):
                    tags[i] = "VERB"
                elif nxt in ("VERB", "PUNCT", "END"):
                    tags[i] = "NOUN"
        elif "NOUN" in seen[i] and "VERB" in seen[i] and tags[i] in ("NOUN", "VERB"):
            prev, nxt = before(i), after(i)
            if prev in ("DET", "ADJ", "NUM") and nxt in PHRASE_ENDS:
                tags[i] = "NOUN"  # "a yellow fly"
            elif prev == "AUX" or (prev in ("NOUN", "PROPN", "PRON") and nxt in ("DET", "ADP", "PRON", "NUM", "ADV")):
                tags[i] = "VERB"  # "the metallic frame display the …"
    for i in range(n):
        if tags[i] is None:
            tags[i] = guess_tag(low[i], before(i), after(i))
    return tags  # type: ignore[return-value]


def guess_tag(word: str, prev: str | None, nxt: str | None) -> str:
    """A word the lexicon lacks, from its neighbours' tags (None: another unseen word) and its ending."""
    if prev == "PART":
        return "VERB"
    if nxt == "ADJ" and prev not in ("NOUN", "PROPN", "PRON"):
        return "ADJ"  # "a long, narrow yellow kitchen"
    if prev in ("DET", "ADJ", "NUM", "ADP") and nxt in PHRASE_ENDS:
        return "NOUN"  # the head of a phrase: "a beautiful melody."
    if prev in ("NOUN", "PROPN", "PRON") and nxt in ("DET", "ADP", "ADV", "PRON", "ADJ", "NUM"):
        return "VERB"  # after a subject: "the pen wrote on"
    if word.endswith("ly") and len(word) > 4:
        return "ADV"
    if word.endswith(("ing", "ed")) and len(word) > 4:
        return "ADJ" if prev in ("DET", "ADJ") else "VERB"
    if word.endswith(ADJ_SUFFIXES) and len(word) > 4 and nxt not in PHRASE_ENDS:
        return "ADJ"
    return "VERB" if prev == "AUX" else "NOUN"


def chunk_spans(tokens: list[str], tags: list[str]) -> list[tuple[int, int]]:
    """Noun chunks as (first, last) token indices, read from spaCy-style tags the way spaCy's `noun_chunks` builds
    them from its parse. A head is a pronoun (not a possessive before its noun) or a noun / proper noun that no
    noun, "'s" or word-internal hyphen follows ("a park bench": "park" is a modifier). Its chunk reaches left over
    determiners, numbers, adjectives, nouns, participles ("the crying baby"), possessives ("the mother's voice"),
    an adverb before an adjective, a word-internal hyphen ("the tech-savvy user"), "and" between adjectives ("black
    and white floor tiles") and a comma after an adjective ("the sharp, steel blades"); it never starts with a
    conjunction, a punctuation mark, an adverb, or a verb (a verb's object is no modifier: "making plans") except
    after a preposition ("of blooming flowers"). Chunks never overlap."""
    n = len(tokens)
    low = [t.lower() for t in tokens]

    def glued(j: int) -> bool:  # a hyphen written inside a word
        return 0 < j < n - 1 and tokens[j] == "-" and tags[j] == "PUNCT"

    def head(i: int) -> bool:
        if tags[i] == "PRON":
            return not (low[i] in POSSESSIVES and i + 1 < n and tags[i + 1] in ("NOUN", "PROPN", "ADJ", "NUM", "VERB"))
        if tags[i] not in NOMINAL or (i + 1 < n and (tags[i + 1] in NOMINAL or low[i + 1] == "'s" or glued(i + 1))):
            return False
        return not (i + 2 < n and tags[i + 1] == "ADJ" and tags[i + 2] in NOMINAL)  # "rubber sole shoes"

    def modifier(j: int) -> bool:  # token j inside the chunk that token j + 1 starts
        tag, right = tags[j], tags[j + 1]
        if tag in ("DET", "NUM", "ADJ", "NOUN", "PROPN", "VERB") or low[j] == "'s" or glued(j):
            return True
        if tag == "PRON":
            return low[j] in POSSESSIVES
        if tag == "ADV":
            return right in ("ADJ", "VERB")
        if tag == "CCONJ":
            return j > 0 and tags[j - 1] == "ADJ" and right == "ADJ"
        return tokens[j] == "," and j > 0 and tags[j - 1] in ("ADJ", "VERB") and right in ("ADJ", "VERB", "NOUN")

    spans: list[tuple[int, int]] = []
    prev_end = -1
    for i in range(n):
        if not head(i):
            continue
        start = i
        if tags[i] != "PRON":
            while start - 1 > prev_end and modifier(start - 1):
                start -= 1
        while start < i and (tags[start] in ("CCONJ", "PUNCT", "ADV")
                             or (tags[start] == "VERB" and not (start > 0 and tags[start - 1] == "ADP"))):
            start += 1
        spans.append((start, i))
        prev_end = i
    return spans


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
    else the numpy port of that model (same parses, numpy only)."""
    try:
        fallback: Chunker = SpacyChunker()
    except (ImportError, OSError):  # spaCy missing, or its model not installed
        from rgbench.t2i.spacy_port import NumpySpacyChunker

        fallback = NumpySpacyChunker()
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
