"""GenEval-template prompts → GenEval metadata (every shipped official and toy record round-trips), and the
`geneval_rule` GRPO reward built on it."""

import json
import random
from pathlib import Path

import pytest

from rgbench.geneval.prompt_parse import GenEvalPromptParser, plural
from rgbench.toy.world import PLURALS, WorldConfig

DATA = Path(__file__).parents[1] / "rgbench"


def records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_official_geneval_record_is_parsed_back_from_its_prompt():
    names = [n.strip() for n in (DATA / "geneval/data/object_names.txt").read_text().splitlines() if n.strip()]
    parser = GenEvalPromptParser(names)
    rows = records(DATA / "geneval/data/evaluation_metadata.jsonl")
    assert len(rows) == 553 and all(parser.parse(r["prompt"]) == r for r in rows)
    # the bare prompt the judge sees ("a photo of" removed) parses to the same record
    assert parser.parse("two clocks") == parser.parse("a photo of two clocks")
    assert parser.parse("an orange")["include"] == [{"class": "orange", "count": 1}]  # a class, not a colour
    assert parser.parse("a red orange left of a dog") is None  # GenEval's position prompts carry no colours
    assert parser.parse("a dragon") is None and parser.parse("five dogs") is None
    assert parser.parse("a dog and a red cat") is None  # half-coloured pairs are no template


def test_every_toy_geneval_record_is_parsed_back_and_plurals():
    parser = GenEvalPromptParser(WorldConfig().shapes, PLURALS)
    assert all(parser.parse(r["prompt"]) == r for r in records(DATA / "toy/data/geneval/evaluation_metadata.jsonl"))
    assert [plural(w) for w in ("bench", "person", "sports ball", "butterfly")] == \
        ["benches", "people", "sports balls", "butterflies"]


def test_geneval_rule_reward_scores_toy_renders():
    from rgbench.toy.render import render
    from rgbench.toy.sampler import scene_for
    from rgbench.toy.spec import parse_prompt
    from rgbench.train.rewards import build_reward

    world, rng = WorldConfig(), random.Random(0)
    reward = build_reward([{"name": "geneval_rule"}])
    prompts = ["two crosses", "a circle and a ring", "a red square", "a triangle above a diamond"]
    images = [render(scene_for(parse_prompt(p), world, rng), world) for p in prompts]
    verdicts = reward.judge(prompts + ["two crosses", "a unicorn"], images + [images[1], images[0]])
    assert [v.score for v in verdicts] == [1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    assert "expected cross>=2" in verdicts[4].text and "not a GenEval-template prompt" in verdicts[5].text
    with pytest.raises(KeyError):
        build_reward([{"name": "geneval_rule", "options": {"backend": "nope"}}])
