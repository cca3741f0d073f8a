"""The numpy port of spaCy's en_core_web_sm 3.6.0 (rgbench/t2i/spacy_port.py) against spaCy's own output: the
shipped parse table (every 8th prompt in sorted order, 300 of 2,400) and hand-picked prompts whose expected values
were read from spaCy 3.6.1 itself (contractions, abbreviations, URLs-free punctuation, a pseudo-projective arc,
several sentences, odd whitespace)."""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pytest

from rgbench.t2i import phrases, spacy_port


@lru_cache(maxsize=1)
def chunker() -> spacy_port.NumpySpacyChunker:
    return spacy_port.NumpySpacyChunker()


def table() -> dict[str, dict]:
    return json.loads(phrases.TABLE_FILE.read_text(encoding="utf-8"))["parses"]


def test_hashes_are_spacy_and_thinc_keys():
    # spaCy's StringStore keys (MurmurHash64A, seed 1): vocab.strings.add("a"), add("xxxx")
    assert spacy_port.hash_string("a") == 11901859001352538922
    assert spacy_port.hash_string("xxxx") == 13110060611322374290
    assert spacy_port.hash_string("abécdefghijk") == 10034909128623027549  # two 8-byte blocks' worth, UTF-8
    # thinc NumpyOps().hash(ids, seed=8)
    ids = np.array([0, 1, 12646065887601541794, 2**63 + 5], dtype=np.uint64)
    expected = [[0, 0, 0, 0], [1161550108, 2247783286, 1742325162, 1224191281],
                [4276173638, 283019878, 2119293161, 2572013466], [742987760, 4031305880, 1114481640, 3899475172]]
    assert spacy_port.hash_ids(ids, 8).tolist() == expected


def test_symbols_are_keyed_by_their_id():
    """"X" (the shape of "A") is spaCy's symbol 101, not a hash; the features must say so."""
    model = chunker().model
    assert model.key("X") == 101
    assert model.key("x") == spacy_port.hash_string("x")


def test_port_equals_the_shipped_table_on_a_sample():
    parses = table()
    sample = sorted(parses)[::8]
    assert len(sample) == 300
    wrong = [p for p in sample if chunker().noun_chunks(p) != parses[p]["chunks"]
             or [list(t) for t in chunker().tagged(p)] != parses[p]["tagged"]]
    assert wrong == []


SPACY_SAYS = [  # text, spaCy's noun chunks, spaCy's pos_ per token
    ("I don't think it's a cat; it can't be.", ["I", "it", "a cat", "it"],
     "PRON AUX PART VERB PRON AUX DET NOUN PUNCT PRON AUX PART AUX PUNCT"),
    ("At 5 p.m. the U.S. flag (red, white & blue) flew over the state-of-the-art building :)",
     ["5 p.m.", "the U.S. flag", "the-art"],
     "ADP NUM NOUN DET PROPN NOUN PUNCT ADJ PUNCT ADJ CCONJ PROPN PUNCT VERB ADP DET NOUN PUNCT ADP PUNCT DET PUNCT "
     "NOUN NOUN PUNCT"),
    ("An X-ray of a T-shirt; e.g. a 2x2 grid, i.e. four 1/2-sized squares (approx. 50%).",
     ["-", "ray", "a T-shirt", "i.e. four 1/2-sized squares", "approx", "50%"],
     "DET NOUN NOUN NOUN ADP DET PROPN PUNCT NOUN PUNCT ADV DET NUM NOUN PUNCT X NUM NUM PUNCT ADJ NOUN PUNCT PROPN "
     "PUNCT NUM NOUN PUNCT PUNCT"),
    ("a cat's toy and the dogs' bone near 10,000 people in the '90s",
     ["a cat's toy", "the dogs' bone", "10,000 people", "the '", "90s"],
     "DET NOUN PART NOUN CCONJ DET NOUN PART NOUN ADP NUM NOUN ADP DET NOUN NOUN"),
    # the parser labels "refrigerator" appos||dobj; deprojectivizing moves it under "table"
    ("A dining area features a wood table and chairs, a silver refrigerator and light brown cabinets.",
     ["A dining area", "a wood table", "chairs", "a silver refrigerator", "light brown cabinets"],
     "DET NOUN NOUN VERB DET NOUN NOUN CCONJ NOUN PUNCT DET ADJ NOUN CCONJ ADJ ADJ NOUN PUNCT"),
    ("a red ball and a blue cube, which are next to each other, while the green one is far away",
     ["a red ball", "a blue cube", "which", "the green one"],
     "DET ADJ NOUN CCONJ DET ADJ NOUN PUNCT PRON AUX ADJ ADP DET ADJ PUNCT SCONJ DET ADJ NOUN AUX ADV ADV"),
    ("The box’s glossy surface reflects soft light. In the background, a shoji screen filters sunlight.",
     ["The box’s glossy surface", "soft light", "the background", "a shoji screen filters"],
     "DET NOUN PART ADJ NOUN VERB ADJ NOUN PUNCT ADP DET NOUN PUNCT DET NOUN NOUN NOUN NOUN PUNCT"),
    (" a  cat\non a mat ", [" a  cat", "a mat"], "SPACE DET SPACE NOUN SPACE ADP DET NOUN"),
    ("", [], ""),
]


@pytest.mark.parametrize("text,chunks,pos", SPACY_SAYS)
def test_port_equals_spacy_on_tricky_prompts(text, chunks, pos):
    assert chunker().noun_chunks(text) == chunks
    assert " ".join(p for _, p in chunker().tagged(text)) == pos


def test_default_fallback_is_the_port_without_spacy():
    fallback = phrases.default_chunker().fallback
    try:
        import spacy  # noqa: F401
    except ImportError:
        assert isinstance(fallback, spacy_port.NumpySpacyChunker)
    else:
        assert fallback.name.startswith("spacy-")
