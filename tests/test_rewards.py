"""GRPO rewards: the registry, weighted combination, the toy judges on rendered scenes, and the CLIP similarity
reward on a tiny random CLIP saved and reloaded."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from PIL import Image

from rgbench.toy.render import render
from rgbench.toy.sampler import scene_for
from rgbench.toy.spec import parse_prompt
from rgbench.toy.world import WorldConfig
from rgbench.train.rewards import REWARDS, RewardTerm, build_reward


def scene_image(prompt: str, seed: int = 0) -> np.ndarray:
    world = WorldConfig()
    return np.asarray(render(scene_for(parse_prompt(prompt), world, random.Random(seed)), world))


def test_toy_judges_and_weighted_combination():
    prompts = ["a red circle left of a blue square", "a red circle left of a blue square"]
    right = scene_image(prompts[0])
    swapped = scene_image("a red circle right of a blue square")
    reward = build_reward([{"name": "toy-large", "weight": 0.75}, RewardTerm("toy-small", 0.25)])
    good, wrong_place = reward.judge(prompts, [right, swapped])
    assert good.score == pytest.approx(1.0) and good.parts == {"toy-large": 1.0, "toy-small": 1.0}
    # the small judge ignores relations: it passes the swapped layout, the large judge does not
    assert wrong_place.parts == {"toy-large": 0.0, "toy-small": 1.0} and wrong_place.score == pytest.approx(0.25)
    assert "[toy-large]" in wrong_place.text and reward.name == "0.75*toy-large+0.25*toy-small"


def test_unknown_reward_and_empty_terms_are_refused():
    with pytest.raises(KeyError, match="did you mean 'toy-large'"):
        build_reward([{"name": "toy-larg"}])
    with pytest.raises(ValueError, match="at least one"):
        build_reward([])
    assert {"toy-large", "toy-small", "clip"} <= set(REWARDS.names())


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    from rgbench.geneval.tiny import save_tiny_clip

    return save_tiny_clip(tmp_path_factory.mktemp("clip"))


def test_clip_reward_is_the_cosine_similarity(tiny_clip):
    from rgbench.vlm.clip import load_clip_similarity

    images = [scene_image("a red circle"), scene_image("two blue squares", 1), scene_image("a white ring", 2)]
    prompts = ["a red circle", "two blue squares", "a white ring"]
    reward = build_reward([{"name": "clip", "options": {"model": str(tiny_clip), "scale": 2.0, "batch_size": 2}}])
    verdicts = reward.judge(prompts, images)
    scorer = load_clip_similarity(str(tiny_clip))
    sims = scorer.similarity(prompts, images)
    # by hand: normalised embeddings' dot product
    img = scorer._features(scorer.model.get_image_features(
        pixel_values=scorer.processor(images=[Image.fromarray(i) for i in images],
                                      return_tensors="pt")["pixel_values"]))
    txt = scorer._encode_text(prompts)
    manual = (torch.nn.functional.normalize(img, dim=-1) * torch.nn.functional.normalize(txt, dim=-1)).sum(-1)
    assert sims.tolist() == pytest.approx(manual.tolist(), abs=1e-5)
    assert [v.score for v in verdicts] == pytest.approx([2 * s for s in sims.tolist()], abs=1e-5)
    assert all(-1.0 <= s <= 1.0 for s in sims.tolist())
