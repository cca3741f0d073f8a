"""GRPO arithmetic by hand: advantages, the group filter and its refill size, the clipped loss, token averaging,
the logged clip statistics, k3 KL, and each entropy control's direction."""

from __future__ import annotations

import math

import pytest
import torch

from rgbench.train.advantages import group_advantages, informative_groups, refill_prompts
from rgbench.train.entropy_control import (
    AdaptiveEntropyControl,
    Entropies,
    FixedEntropyControl,
    NoEntropyControl,
    build_entropy_control,
    entropies,
)
from rgbench.train.policy_loss import clip_metrics, k3_kl, ppo_clip_loss, ppo_clip_terms


def test_group_advantages_by_hand():
    rewards = torch.tensor([[1.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0]])
    adv = group_advantages(rewards)
    # group 0: mean 0.5, unbiased std sqrt(1/3) = 0.57735
    s0 = math.sqrt(1 / 3)
    assert adv[0].tolist() == pytest.approx([0.5 / (s0 + 1e-6), -0.5 / (s0 + 1e-6)] * 1 + [-0.5 / (s0 + 1e-6), 0.5 / (s0 + 1e-6)])
    # group 1: mean 0.75, unbiased std sqrt(0.25) = 0.5
    assert adv[1].tolist() == pytest.approx([0.25 / 0.500001] * 3 + [-0.75 / 0.500001])
    assert adv.sum(dim=1).abs().max() < 1e-5


def test_zero_variance_group_has_zero_advantage_and_is_filtered():
    rewards = torch.tensor([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert group_advantages(rewards)[:2].abs().max() == 0
    assert informative_groups(rewards).tolist() == [False, False, True]


def test_single_sample_groups_keep_raw_reward():
    assert group_advantages(torch.tensor([[0.7], [0.0]]))[:, 0].tolist() == pytest.approx([0.7, 0.0])
    with pytest.raises(ValueError, match="groups, samples"):
        group_advantages(torch.tensor([1.0, 0.0]))


@pytest.mark.parametrize("missing, world, expected", [(1, 1, 4), (3, 1, 8), (4, 1, 16), (20, 1, 32), (1, 8, 8)])
def test_refill_is_a_power_of_two_at_least_twice_the_missing(missing, world, expected):
    assert refill_prompts(missing, world, cap=32) == expected


@pytest.mark.parametrize("missing, world, cap, expected", [
    (1, 4, 2, 2),  # 2^(bit_length(1)+1) = 4; max(world 4, 4) = 4; min(4, batch 2) = 2 (max-outside gave 4)
    (3, 16, 8, 8),  # 2^(bit_length(3)+1) = 8; max(16, 8) = 16; min(16, 8) = 8 (max-outside gave 16)
])
def test_refill_caps_at_the_prompt_batch_after_the_world_size_as_verl(missing, world, cap, expected):
    """verl's RayPPOTrainer.fit: num_to_gen = max(world, 1 << (bl + 1)), then min(num_to_gen, train_batch_size)."""
    assert refill_prompts(missing, world, cap=cap) == expected


def test_clipped_loss_by_hand():
    # ratios e^{0.5}=1.6487 (A=+1 → clipped at 1.2), e^{-0.5}=0.6065 (A=+1 → unclipped, below 0.8 is kept),
    # e^{-0.5} with A=−1 → clipped at 0.8, e^{0.1}=1.1052 with A=−1 → unclipped.
    logp = torch.tensor([[0.5, -0.5], [-0.5, 0.1]])
    old = torch.zeros(2, 2)
    adv = torch.tensor([1.0, -1.0])
    mask = torch.ones(2, 2, dtype=torch.bool)
    loss, stats = ppo_clip_loss(logp, old, adv, mask)
    per_token = [-1.2, -math.exp(-0.5), 0.8, math.exp(0.1)]
    assert float(loss) == pytest.approx(sum(per_token) / 4, rel=1e-6)
    assert stats.clip_fraction == pytest.approx(0.5)


def test_on_policy_gradient_is_minus_advantage_times_score():
    logp = torch.tensor([[-1.0, -2.0, -0.5]], requires_grad=True)
    loss, stats = ppo_clip_loss(logp, logp.detach(), torch.tensor([2.0]), torch.tensor([[True, True, False]]))
    loss.backward()
    assert logp.grad[0].tolist() == pytest.approx([-1.0, -1.0, 0.0])  # −A / (2 trained tokens)
    assert stats.clip_fraction == 0 and stats.ratio_mean == pytest.approx(1.0)


def test_token_mean_weighs_long_sequences_more_than_sequence_mean():
    values = torch.tensor([[1.0, 1.0, 1.0, 1.0], [4.0, 0.0, 0.0, 0.0]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 0, 0, 0]], dtype=torch.bool)
    old = torch.zeros(2, 4)
    # with A = −1 and on-policy ratios 1, the per-token loss is exp(logp − old) = e^0 … use log values instead
    logp = torch.log(values.clamp(min=1e-9))
    adv = torch.tensor([-1.0, -1.0])
    kw = dict(clip_low=10.0, clip_high=10.0)  # no clipping: per-token loss = ratio = values
    tok, _ = ppo_clip_loss(logp, old, adv, mask, aggregation="token-mean", **kw)
    seq, _ = ppo_clip_loss(logp, old, adv, mask, aggregation="seq-mean-token-mean", **kw)
    tsum, _ = ppo_clip_loss(logp, old, adv, mask, aggregation="seq-mean-token-sum", **kw)
    assert float(tok) == pytest.approx(8 / 5)
    assert float(seq) == pytest.approx((1 + 4) / 2)
    assert float(tsum) == pytest.approx((4 + 4) / 2)
    with pytest.raises(KeyError, match="did you mean 'token-mean'"):
        ppo_clip_loss(logp, old, adv, mask, aggregation="token-meen")


def test_logged_clip_stats_are_means_of_per_micro_batch_values_as_verl():
    # micro-batch a: 1 row × 2 tokens, A = +1, log-ratios 0.5 and 0: ratio e^0.5 = 1.65 is clipped at 1.2, ratio 1 is
    # not → clip fraction 1/2; approx KL = mean(old − new) = (−0.5 + 0) / 2 = −0.25
    a = ppo_clip_terms(torch.tensor([[0.5, 0.0]]), torch.zeros(1, 2), torch.tensor([1.0]), torch.ones(1, 2) > 0)
    # micro-batch b: 2 rows × 3 tokens, A = +1, log-ratios 0.1, 0.1 and zeros: e^0.1 = 1.105 < 1.2, nothing clipped
    # → clip fraction 0/6; approx KL = (−0.1 − 0.1) / 6 = −1/30
    b = ppo_clip_terms(torch.tensor([[0.1, 0.1, 0.0], [0.0, 0.0, 0.0]]), torch.zeros(2, 3), torch.tensor([1.0, 1.0]),
                       torch.ones(2, 3) > 0)
    m = clip_metrics([a.counts, b.counts])
    assert m["clip_fraction"] == pytest.approx((1 / 2 + 0) / 2)  # 0.25: each micro-batch weighs the same
    assert m["approx_kl"] == pytest.approx((-0.25 - 1 / 30) / 2)  # −0.141667
    assert m["clip_fraction_pooled"] == pytest.approx(1 / 8)  # 1 clipped of 8 tokens
    assert m["approx_kl_pooled"] == pytest.approx((-0.5 - 0.2) / 8)  # −0.0875
    assert clip_metrics([]) == dict.fromkeys(m)


def test_k3_kl_by_hand():
    logp = torch.tensor([[-1.0, -2.0]])
    ref = torch.tensor([[-1.0, -1.0]])
    assert k3_kl(logp, ref)[0].tolist() == pytest.approx([0.0, math.e - 1 - 1])
    assert float(k3_kl(torch.tensor([[0.0]]), torch.tensor([[50.0]]))) == 10.0  # clamped


def h(text: float | None, image: float | None) -> Entropies:
    t = None if text is None else torch.tensor(text)
    i = None if image is None else torch.tensor(image)
    parts = [x for x in (t, i) if x is not None]
    return Entropies(t, i, sum(parts) / len(parts))


def test_none_and_fixed_controls():
    assert float(NoEntropyControl().loss(h(3.0, 5.0))) == 0
    fixed = build_entropy_control("fixed", alpha=0.002)
    assert isinstance(fixed, FixedEntropyControl)
    assert float(fixed.loss(h(3.0, 5.0))) == pytest.approx(0.002 * 4.0)
    fixed.update(h(3.0, 5.0))
    assert fixed.coefficients() == {"text": 0.002, "image": 0.002}


def test_adaptive_moves_toward_penalty_above_target_and_bonus_below():
    ctl = AdaptiveEntropyControl(target_text=2.0, target_image=7.0, lr=5e-5)
    for _ in range(10):
        ctl.update(h(3.0, 6.0))  # text above its target, image below
    a = ctl.coefficients()
    assert a["text"] > 0 and a["image"] < 0
    assert a["text"] == pytest.approx(10 * 5e-5, rel=1e-3)  # Adam: about lr per step of a constant sign
    loss = ctl.loss(h(3.0, 6.0))
    assert float(loss) == pytest.approx(a["text"] * 3.0 + a["image"] * 6.0)


def test_adaptive_is_clamped():
    ctl = AdaptiveEntropyControl(lr=1e-2, bound=5e-3)
    for _ in range(50):
        ctl.update(h(1.0, 9.0))  # text below its target 2.0, image above 7.0
    a = ctl.coefficients()
    assert a["image"] == pytest.approx(5e-3) and a["text"] == pytest.approx(-5e-3)


def test_adaptive_steps_with_zero_entropy_when_a_micro_batch_has_no_text_token():
    """verl's masked mean over an empty mask is 0 / (0 + 1e-8) = 0 and its coefficient steps on that: with target
    2.0, ∂J/∂ψ = −cosh ψ·(0 − 2) = 2 cosh ψ > 0, and Adam's first steps on a constant-sign gradient are lr each
    (m̂ / √v̂ = 1): ψ = −5e-5, then −1e-4."""
    ctl = AdaptiveEntropyControl(target_text=2.0, target_image=7.0, lr=5e-5)
    ctl.update(h(None, 7.0))  # no text slot; image exactly at its target: gradient 0, Adam step 0
    assert ctl.coefficients()["text"] == pytest.approx(math.sinh(-5e-5), rel=1e-6)
    assert ctl.coefficients()["image"] == 0.0
    ctl.update(h(None, 7.0))
    assert ctl.coefficients()["text"] == pytest.approx(math.sinh(-1e-4), rel=1e-6)
    assert float(ctl.loss(h(None, 7.0))) == pytest.approx(0.0)  # α_text·0 + 0·7: no text term in the loss


def test_adaptive_state_round_trip_continues_identically():
    a, b = AdaptiveEntropyControl(), AdaptiveEntropyControl()
    for _ in range(5):
        a.update(h(2.5, 6.5))
    b.load_state_dict(a.state_dict())
    for _ in range(5):
        a.update(h(1.5, 7.5))
        b.update(h(1.5, 7.5))
    assert a.coefficients() == b.coefficients()


@pytest.mark.parametrize("target, direction", [(0.2, -1), (2.5, +1)])
def test_loss_gradient_pushes_entropy_the_intended_way(target, direction):
    """On a toy categorical distribution: minimise the adaptive control's term alone (after its coefficient has
    adapted) and entropy moves toward the target — down when above it, up when below."""
    torch.manual_seed(0)
    logits = torch.randn(64, 8, requires_grad=True)
    opt = torch.optim.SGD([logits], lr=5.0)
    ctl = AdaptiveEntropyControl(target_text=target, target_image=target, lr=1e-3, bound=1.0)

    def entropy() -> torch.Tensor:
        logp = torch.log_softmax(logits, -1)
        per_slot = -(logp.exp() * logp).sum(-1)[None, :]  # [1, 64]
        return entropies(per_slot, torch.ones_like(per_slot, dtype=torch.bool), torch.zeros_like(per_slot, dtype=torch.bool))

    start = float(entropy().text.detach())
    for _ in range(200):
        hs = entropy()
        opt.zero_grad()
        ctl.loss(hs).backward()
        opt.step()
        ctl.update(hs)
    end = float(entropy().text.detach())
    assert (end - start) * direction > 0.05
    assert abs(end - target) < abs(start - target)


def test_the_logit_clamp_flattens_a_head_whose_logits_sit_below_minus_30():
    """Why the toy presets turn the release's ±30 clamp off: it is not shift-invariant."""
    from rgbench.policy.logprobs import _scores

    logits = torch.tensor([[[-40.0, -45.0, -80.0, -90.0]]])  # [1, 1, 4]: a peaked distribution, all logits < −30
    targets = torch.tensor([[0]])
    lp_true, h_true = _scores(logits, targets, 1.0, None)
    lp_clamped, h_clamped = _scores(logits, targets, 1.0, 30.0)
    assert h_true.item() < 0.05 and lp_true.item() > -0.01
    assert h_clamped.item() == pytest.approx(math.log(4)) and lp_clamped.item() == pytest.approx(-math.log(4))
