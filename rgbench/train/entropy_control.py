"""Entropy controls for GRPO (method.md §4), one interface: none, fixed, adaptive.

Convention (the paper's, written with α): the actor loss is  L = L_PPO + α_txt·H_txt + α_img·H_img,
so α > 0 penalises entropy and α < 0 rewards it. verl's `entropy_coeff` is −α: the release's "fixed −0.002"
is α = +0.002, an entropy penalty (method.md §7.9).

H_txt / H_img are the mean token entropies (nats) over the micro-batch's text slots (CoT, `<begin_of_image>`)
and image slots, from the same clamped, unguided logits as the log-probs.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from rgbench.registry import Registry

MODALITIES = ("text", "image")


@dataclass
class Entropies:
    """One micro-batch's mean token entropies; None where the micro-batch has no slot of that kind."""

    text: torch.Tensor | None  # scalar, carries gradient
    image: torch.Tensor | None
    all: torch.Tensor  # mean over every trained slot (text and image together)

    def value(self, modality: str) -> float | None:
        h = getattr(self, modality)
        return None if h is None else float(h.detach())


class EntropyControl(Protocol):
    name: str

    def loss(self, h: Entropies) -> torch.Tensor:
        """The term added to the actor loss for this micro-batch (uses the current coefficients)."""
        ...

    def update(self, h: Entropies) -> None:
        """Called once per micro-batch after `loss`: adapt the coefficients (no-op for none / fixed)."""
        ...

    def coefficients(self) -> dict[str, float]:
        """α per modality, for the metrics."""
        ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


ENTROPY_CONTROLS: Registry[Callable[..., EntropyControl]] = Registry("entropy control")


@ENTROPY_CONTROLS.register("none")
class NoEntropyControl:
    """The PPO loss alone."""

    name = "none"
    sync = True  # nothing to adapt

    def __init__(self) -> None:
        pass

    def loss(self, h: Entropies) -> torch.Tensor:
        return h.all * 0.0

    def update(self, h: Entropies) -> None:
        pass

    def coefficients(self) -> dict[str, float]:
        return {"text": 0.0, "image": 0.0}

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


@ENTROPY_CONTROLS.register("fixed")
class FixedEntropyControl(NoEntropyControl):
    """One coefficient on the mean entropy over all trained tokens: L += α·H̄ (α = 0.002 is the release's
    `entropy_coeff=-0.002`, a penalty; a negative α is a bonus)."""

    name = "fixed"

    def __init__(self, alpha: float = 0.002) -> None:
        self.alpha = alpha

    def loss(self, h: Entropies) -> torch.Tensor:
        return self.alpha * h.all

    def coefficients(self) -> dict[str, float]:
        return {"text": self.alpha, "image": self.alpha}


@ENTROPY_CONTROLS.register("adaptive")
class AdaptiveEntropyControl:
    """Separate text and image coefficients α_m = sinh(ψ_m), each moved by its own Adam step per micro-batch on
    J(ψ) = −sinh(ψ)·(sg[H_m] − H*_m) — up (toward a penalty) while H_m > H*_m, down (toward a bonus) while below —
    then projected to |α| ≤ bound. `sync`: the trainer feeds it H over the whole data-parallel micro-batch, so every
    rank holds the same α; otherwise each rank adapts to its own rows' H (the release; method.md §7.8)."""

    name = "adaptive"

    def __init__(self, target_text: float = 2.0, target_image: float = 7.0, lr: float = 5e-5, bound: float = 5e-3,
                 initial_alpha: float = 0.0, sync: bool = False) -> None:
        self.targets = {"text": target_text, "image": target_image}
        self.bound, self.sync = bound, sync
        self.psi = {m: torch.nn.Parameter(torch.tensor(math.asinh(initial_alpha), dtype=torch.float64))
                    for m in MODALITIES}
        self.optimizers = {m: torch.optim.Adam([self.psi[m]], lr=lr) for m in MODALITIES}

    def alpha(self, modality: str) -> float:
        return math.sinh(float(self.psi[modality].detach()))

    def loss(self, h: Entropies) -> torch.Tensor:
        total = h.all * 0.0
        for m in MODALITIES:
            hm = getattr(h, m)
            if hm is not None:
                total = total + self.alpha(m) * hm
        return total

    def update(self, h: Entropies) -> None:
        """One Adam step per modality. A micro-batch without a slot of a kind (e.g. empty CoTs with
        `<begin_of_image>` untrained) steps with H = 0, as verl: its masked mean Σ(H·0) / (0 + 1e-8) is 0, and
        `adaptive_entropy_coeff.update` steps on whatever it is given."""
        for m in MODALITIES:
            value = h.value(m)
            if value is None:
                value = 0.0  # verl_F.masked_mean over an empty mask
            psi = self.psi[m]
            psi.grad = (-torch.cosh(psi.detach()) * (value - self.targets[m])).reshape(psi.shape)  # ∂J/∂ψ
            self.optimizers[m].step()
            with torch.no_grad():
                psi.copy_(torch.asinh(torch.sinh(psi).clamp(-self.bound, self.bound)))

    def coefficients(self) -> dict[str, float]:
        return {m: self.alpha(m) for m in MODALITIES}

    def state_dict(self) -> dict[str, Any]:
        return {"psi": {m: self.psi[m].detach().clone() for m in MODALITIES},
                "optimizers": {m: copy.deepcopy(self.optimizers[m].state_dict()) for m in MODALITIES}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        with torch.no_grad():
            for m in MODALITIES:
                self.psi[m].copy_(state["psi"][m])
                self.optimizers[m].load_state_dict(copy.deepcopy(state["optimizers"][m]))


def build_entropy_control(name: str, **options: Any) -> EntropyControl:
    return ENTROPY_CONTROLS.get(name)(**options)


def entropy_sums(entropy: torch.Tensor, text_mask: torch.Tensor,
                 image_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-slot entropies [R, T] and masks → (Σ H over text, image, all slots [3] with gradient, slot counts [3])."""
    masks = (text_mask, image_mask, text_mask | image_mask)
    sums = torch.stack([(entropy * m).sum() for m in masks])  # [3]
    counts = torch.stack([m.sum() for m in masks]).to(entropy.dtype)  # [3]
    return sums, counts


def entropies_from(sums: torch.Tensor, counts: torch.Tensor) -> Entropies:
    """Σ H and slot counts → Entropies: sums over one process's rows divided by the counts of the whole (global)
    micro-batch give that process's share, whose sum over processes is the micro-batch mean."""
    def part(i: int) -> torch.Tensor | None:
        return sums[i] / counts[i] if counts[i] > 0 else None

    return Entropies(text=part(0), image=part(1), all=sums[2] / counts[2].clamp(min=1))


def entropies(entropy: torch.Tensor, text_mask: torch.Tensor, image_mask: torch.Tensor) -> Entropies:
    """Per-slot entropies [R, T] and masks → the micro-batch means (None where a kind has no slot)."""
    return entropies_from(*entropy_sums(entropy, text_mask, image_mask))
