"""SFT data and loss: prompt augmentation rules, the sequence layout with part labels, condition dropout, the
loss normalisation, padding invariance, and a tiny real Janus that learns."""

import math
import random

import pytest
import torch

from rgbench.toy.policy import build_toy_policy
from rgbench.train.losses import PartWeights, sft_loss, token_losses
from rgbench.train.sft_data import (
    BOI,
    COT,
    IMAGE,
    NONE,
    SFT_FORMAT,
    TEXT,
    Augmentation,
    SFTExample,
    augment_prompt,
    collate,
    encode_example,
    styled_prompt,
)

RECORD = {"prompt": "brief", "augmented_prompts": {
    "short_caption": "A red circle.", "paraphrases": ["one red circle.", "a circle, red."],
    "tags": ["red", "circle"], "varied_captions": ["red round thing"], "object_prompts": ["circle", "square", "cross"]}}


@pytest.fixture(scope="module")
def policy():
    return build_toy_policy(seed=0)


def test_each_caption_style_follows_the_release_rules():
    rng = random.Random(0)
    assert styled_prompt(RECORD, "short_caption", rng) == "A red circle"  # one trailing "." removed
    assert styled_prompt(RECORD, "tags", rng) == "red,circle"  # joined with "," and no space
    assert styled_prompt(RECORD, "object_prompts", rng) == "circle, square and cross"
    assert styled_prompt(RECORD, "paraphrases", rng) in ("one red circle", "a circle, red")
    assert styled_prompt(RECORD, "varied_captions", rng) == "red round thing"


def test_styles_are_drawn_with_the_given_weights_and_missing_ones_fall_back():
    rng = random.Random(0)
    only_tags = Augmentation(weights=(0, 0, 1, 0, 0))
    assert {augment_prompt(RECORD, only_tags, rng) for _ in range(20)} == {"red,circle"}
    uniform = [augment_prompt(RECORD, Augmentation(), rng) for _ in range(400)]
    assert uniform.count("red,circle") == pytest.approx(80, abs=30)
    assert augment_prompt({"prompt": " a plain prompt "}, Augmentation(), rng) == "a plain prompt"


def parts_of(policy, example, cot=True, drop=False):
    row = encode_example(example, policy.tokenizer, policy.ids, SFT_FORMAT, cot, drop)
    return row, collate([row], policy.ids)


def test_sequence_layout_and_parts(policy):
    ex = SFTExample("a red circle", "red circle r1 c2", list(range(64)))
    row, batch = parts_of(policy, ex)
    ids = policy.ids
    assert row.text_ids[0] == ids.bos and row.text_ids[-1] == ids.boi
    prompt = policy.tokenizer.encode("<|User|>: a red circle. Output a richly detailed prompt:\n\n<|Assistant|>:",
                                     add_special_tokens=False)
    assert row.text_ids[1:-5] == prompt and row.text_ids[-5:-1] == policy.encode_text("red circle r1 c2")
    parts = batch.parts[0].tolist()
    n_prompt = len(row.text_ids) - 1 - 4 - 1
    assert parts == [NONE] * (1 + n_prompt) + [COT] * 4 + [BOI] + [IMAGE] * 64 + [TEXT, TEXT]
    assert batch.tail_ids[0].tolist() == [ids.eoi, ids.eos] and batch.codes[0].tolist() == list(range(64))


def test_no_cot_mode_has_no_cot_tokens(policy):
    row, batch = parts_of(policy, SFTExample("a red circle", "ignored plan", [1] * 64), cot=False)
    assert COT not in batch.parts[0].tolist() and BOI in batch.parts[0].tolist()
    assert row.text_ids[1:-1] == policy.encode_text("<|User|>: A photo of a red circle.\n\n<|Assistant|>:")


def test_condition_dropout_keeps_bos_and_trains_only_the_codes(policy):
    ex = SFTExample("a red circle", "red circle r1 c2", [3] * 64)
    kept, _ = parts_of(policy, ex)
    row, batch = parts_of(policy, ex, drop=True)
    assert len(row.text_ids) == len(kept.text_ids)  # same length, prompt and CoT replaced by pads
    assert row.text_ids[0] == policy.ids.bos and row.text_ids[-1] == policy.ids.boi
    assert set(row.text_ids[1:-1]) == {policy.ids.pad} and row.text_mask == [1] + [0] * (len(row.text_ids) - 2) + [1]
    assert set(batch.parts[0].tolist()) == {NONE, IMAGE}


def test_attended_dropout_trains_the_unconditional_row_generation_builds(policy):
    from rgbench.policy.generate import build_contexts, left_pad, unconditional

    ex = SFTExample("a red circle", "", [3] * 64)
    row = encode_example(ex, policy.tokenizer, policy.ids, SFT_FORMAT, False, True, dropout_pads="attended")
    ids, mask = left_pad(build_contexts(policy, ["a red circle"], cot=False), policy.ids.pad, policy.device)
    assert row.text_ids == unconditional(ids, mask, policy.ids.pad)[0].tolist()
    assert row.text_mask == mask[0].tolist() == [1] * len(row.text_ids)  # the pads are attended, as in sampling
    with pytest.raises(KeyError):
        encode_example(ex, policy.tokenizer, policy.ids, SFT_FORMAT, False, True, dropout_pads="hidden")


def test_loss_is_weighted_sum_over_trained_token_count(policy):
    rows = [encode_example(SFTExample("a red circle", "red circle r1 c2", list(range(64))), policy.tokenizer,
                           policy.ids, SFT_FORMAT, True, False)]
    batch = collate(rows, policy.ids)
    with torch.no_grad():
        ce = token_losses(policy, batch)[0]  # [T − 1]
        parts = batch.parts[0, 1:]
        w = PartWeights(cot=2.0, image=1.0, begin_of_image=0.0, end_tokens=2.0)
        want = (2 * ce[parts == COT].sum() + ce[parts == IMAGE].sum() + 2 * ce[parts == TEXT].sum()) / (4 + 1 + 64 + 2)
        loss, stats = sft_loss(policy, batch, w)
    assert loss.item() == pytest.approx(want.item(), rel=1e-6) and stats["tokens"] == 71
    only_cot, _ = sft_loss(policy, batch, PartWeights(cot=1.0, image=0.0, end_tokens=0.0))
    assert only_cot.item() == pytest.approx(ce[parts == COT].sum().item() / 71, rel=1e-6)
    # an untrained model is near-uniform over the codebook
    assert stats["ce_image"] == pytest.approx(math.log(policy.image_tokenizer.codebook_size), rel=0.1)


def test_token_losses_do_not_depend_on_padding_or_batch(policy):
    examples = [SFTExample("a red circle", "red circle r1 c2", list(range(64))),
                SFTExample("two blue squares left of a green triangle", "", [7] * 64)]
    rows = [encode_example(e, policy.tokenizer, policy.ids, SFT_FORMAT, True, False) for e in examples]
    with torch.no_grad():
        together = token_losses(policy, collate(rows, policy.ids))
        alone = token_losses(policy, collate(rows[:1], policy.ids))
    short = alone.shape[1]
    torch.testing.assert_close(together[0, -short + 1:], alone[0, 1:], atol=1e-4, rtol=1e-4)


def test_a_tiny_real_janus_learns(policy):
    model = build_toy_policy(seed=1).train()
    rows = [encode_example(SFTExample(f"a {c} circle", f"{c} circle r1 c1", [(k * 7 + i) % 50 for i in range(64)]),
                           model.tokenizer, model.ids, SFT_FORMAT, True, k == 3)
            for k, c in enumerate(("red", "blue", "green", "white"))]
    batch = collate(rows, model.ids)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        loss, _ = sft_loss(model, batch, PartWeights())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0] and sum(losses[-5:]) < sum(losses[:5])


def test_policy_format_wraps_prompts_exactly_as_generation_does(policy):
    from rgbench.policy.generate import build_contexts

    row_fmt = encode_example(SFTExample("a photo of a red circle", "", [1] * 64), policy.tokenizer, policy.ids,
                             policy.spec.prompt, False, False)
    assert row_fmt.text_ids == build_contexts(policy, ["a photo of a red circle"], cot=False)[0]
    with_cot = encode_example(SFTExample("a photo of a red circle", "red circle r1 c1", [1] * 64), policy.tokenizer,
                              policy.ids, policy.spec.prompt, True, False)
    context = build_contexts(policy, ["a photo of a red circle"], cot=True)[0]
    assert with_cot.text_ids[:len(context)] == context
