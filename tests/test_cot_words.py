"""The CoT word-frequency analysis: counts worked by hand, stopword and function-word removal, sources, outputs."""

import json

import numpy as np
import pytest
from PIL import Image

from rgbench.analysis.cot_words import read_cots, word_shares
from tests.helpers.cli import invoke

COTS = ["put a red circle at the top left", "a red square , then a blue circle", "the circle is red",
        "a big blue ring below the square", ""]


def test_each_cot_counts_a_word_once_and_shares_are_over_all_cots():
    shares, dropped = word_shares(COTS, drop_function_words=0, min_share=0.4)
    # red: CoTs 1, 2, 3 → 3/5; circle: 1, 2, 3 → 3/5; blue: 2, 4; square: 2, 4 → 2/5 (stopwords a/the/at/is gone)
    assert [(s.word, s.cots, s.share) for s in shares] == [("circle", 3, 0.6), ("red", 3, 0.6), ("blue", 2, 0.4),
                                                          ("square", 2, 0.4)]
    assert dropped == []


def test_function_words_left_after_stopwords_are_dropped_most_common_first():
    # without a stopword list: "a" (4 CoTs) and "the" (3) are the two most common function words
    shares, dropped = word_shares(COTS, stopwords=(), drop_function_words=2, min_share=0.5)
    assert dropped == ["a", "the"] and [s.word for s in shares] == ["circle", "red"]
    with pytest.raises(ValueError, match="no CoTs"):
        word_shares([])


def test_sources_and_the_command(tmp_path):
    run = tmp_path / "grpo" / "rollouts"
    run.mkdir(parents=True)
    (run / "step_00001.jsonl").write_text("".join(json.dumps({"cot": c, "reward": 0}) + "\n" for c in COTS[:3]))
    (tmp_path / "cot.jsonl").write_text("".join(json.dumps({"cot": c}) + "\n" for c in COTS[3:]))
    cots, empty = read_cots([tmp_path / "grpo", tmp_path / "cot.jsonl"])
    assert cots == COTS and empty == 1
    assert read_cots([tmp_path / "grpo"], limit=2)[0] == COTS[:2]
    result = invoke(["analyze", "cot-words", str(tmp_path / "grpo"), str(tmp_path / "cot.jsonl"),
                                      "--out", str(tmp_path / "out"), "--min-share", "0.4", "--drop-function-words", "0"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "cot_words.csv").read_text().splitlines()[:2] == ["word,cots,share", "circle,3,0.600000"]
    with Image.open(tmp_path / "out" / "cot_words.png") as im:
        assert im.size[0] > 100 and len(np.unique(np.asarray(im.convert("L")))) > 2  # a drawn chart, not a blank image
    assert (tmp_path / "out" / "cot_words.svg").read_text().startswith("<?xml")
    (tmp_path / "bad.jsonl").write_text(json.dumps({"text": "no cot"}) + "\n")
    result = invoke(["analyze", "cot-words", str(tmp_path / "bad.jsonl"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no 'cot' field" in result.text
