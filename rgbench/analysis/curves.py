"""Training curves from GRPO runs' metrics.jsonl: reward and text / image entropy (and the adaptive coefficients)
vs step, one line per run — the paper's entropy figure when the runs are the entropy arms.

    rgbench analyze curves results/grpo-ent-none results/grpo-ent-fixed results/grpo-ent-adaptive --out figs/

Lines are smoothed with a trailing moving average (`smooth` steps; 1 = raw); the targets of an adaptive run are
drawn as dashed lines on the entropy panels.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from rgbench.results import read_jsonl, write_atomic

PANELS = (("reward_mean", "reward (mean over rollouts)"), ("h_text", "CoT token entropy H_text (nats)"),
          ("h_image", "image token entropy H_image (nats)"), ("alpha_text", "α_text"), ("alpha_image", "α_image"))
TARGETS = {"h_text": "target_text", "h_image": "target_image"}


@dataclass
class Curve:
    label: str
    steps: list[int]
    values: dict[str, list[float | None]]  # metric → value per step
    targets: dict[str, float]  # h_text / h_image → the adaptive target, when the run had one


def read_run(run_dir: str | Path, label: str | None = None) -> Curve:
    """A GRPO run folder → its curve (metrics.jsonl; targets from config.yaml when the control is adaptive)."""
    run_dir = Path(run_dir)
    rows = read_jsonl(run_dir / "metrics.jsonl")
    if not rows:
        raise ValueError(f"{run_dir}: no metrics.jsonl rows (not a GRPO run, or it has not logged a step)")
    cfg_path = run_dir / "config.yaml"
    entropy = (yaml.safe_load(cfg_path.read_text()) or {}).get("train", {}).get("entropy", {}) if cfg_path.is_file() else {}
    targets = {}
    if entropy.get("control") == "adaptive":
        adaptive = entropy.get("adaptive", {})
        targets = {k: float(adaptive[v]) for k, v in TARGETS.items() if v in adaptive}
    return Curve(label or run_dir.name, [int(r["step"]) for r in rows],
                 {key: [r.get(key) for r in rows] for key, _ in PANELS}, targets)


def mean_curve(curves: Sequence[Curve], label: str) -> Curve:
    """The step-wise mean of several runs of one arm (seeds): a step's value is the mean over the runs that logged
    it; steps are the union of the runs' steps. Targets are the first run's (an arm's seeds share them)."""
    if not curves:
        raise ValueError(f"no runs to average for '{label}'")
    if len(curves) == 1:
        return Curve(label, curves[0].steps, curves[0].values, curves[0].targets)
    steps = sorted({s for c in curves for s in c.steps})
    at = [dict(zip(c.steps, range(len(c.steps)))) for c in curves]
    values: dict[str, list[float | None]] = {}
    for key, _ in PANELS:
        column = []
        for step in steps:
            seen = [c.values[key][i[step]] for c, i in zip(curves, at) if step in i]
            seen = [v for v in seen if v is not None]
            column.append(sum(seen) / len(seen) if seen else None)
        values[key] = column
    return Curve(label, steps, values, curves[0].targets)


def band_markdown(curves: Sequence[Curve], window: int = 10, tolerance: float = 0.1, title: str = "") -> str:
    """How each run's text and image entropy sit against the adaptive targets: mean H over the first and the last
    `window` steps, the share of steps with |H − H*| ≤ tolerance · H*, and the step from which the `window`-step
    trailing mean leaves that band for good ("stays" when it ends inside). Runs without targets of their own
    (the none / fixed arms) are measured against the first adaptive run's targets."""
    reference = next((c.targets for c in curves if c.targets), {})
    head = ["Run"] + [f"{name} {part}" for key, name in (("h_text", "H_text"), ("h_image", "H_image"))
                      for part in ("first → last", "target", f"within ±{tolerance:.0%}", "leaves the band at")]
    lines = ([f"**{title}**", ""] if title else []) + ["| " + " | ".join(head) + " |", "|---|" + "---:|" * 8]
    for curve in curves:
        cells = [curve.label]
        for key in ("h_text", "h_image"):
            pairs = [(s, v) for s, v in zip(curve.steps, curve.values[key]) if v is not None]
            values = [v for _, v in pairs]
            target = (curve.targets or reference).get(key)
            if not values:
                cells += ["–", "–", "–", "–"]
                continue
            first, last = sum(values[:window]) / len(values[:window]), sum(values[-window:]) / len(values[-window:])
            if target is None:
                cells += [f"{first:.3f} → {last:.3f}", "–", "–", "–"]
                continue
            inside = sum(abs(v - target) <= tolerance * target for v in values) / len(values)
            step = leaves_band([s for s, _ in pairs], values, target, tolerance, window)
            cells += [f"{first:.3f} → {last:.3f}", f"{target:g}", f"{inside:.0%}",
                      "stays" if step is None else f"step {step}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def leaves_band(steps: Sequence[int], values: Sequence[float], target: float, tolerance: float,
                window: int) -> int | None:
    """The first step of the final stretch in which the trailing mean of `values` is outside target ± tolerance ·
    target; None when the last trailing mean is inside."""
    smooth = moving_average(list(values), window)
    outside = [abs(v - target) > tolerance * target for v in smooth]  # type: ignore[operator]
    if not outside or not outside[-1]:
        return None
    i = len(outside) - 1
    while i > 0 and outside[i - 1]:
        i -= 1
    return steps[i]


def moving_average(values: Sequence[float | None], window: int) -> list[float | None]:
    """Trailing mean over the last `window` non-missing values (None stays None)."""
    out: list[float | None] = []
    for i, v in enumerate(values):
        seen = [x for x in values[max(0, i - window + 1):i + 1] if x is not None]
        out.append(None if v is None or not seen else sum(seen) / len(seen))
    return out


def plot_curves(curves: Sequence[Curve], path: Path, smooth: int = 5) -> None:
    """One panel per metric that any run logged; PNG or SVG by suffix, written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(k, t) for k, t in PANELS if any(v is not None for c in curves for v in c.values[k])]
    fig, axes = plt.subplots(len(panels), 1, figsize=(7, 2.2 * len(panels)), sharex=True, squeeze=False)
    for ax, (key, title) in zip(axes[:, 0], panels):
        for k, curve in enumerate(curves):
            ys = moving_average(curve.values[key], smooth)
            pts = [(s, y) for s, y in zip(curve.steps, ys) if y is not None]
            line, = ax.plot([s for s, _ in pts], [y for _, y in pts], label=curve.label, color=f"C{k}")
            if key in curve.targets:
                ax.axhline(curve.targets[key], color=line.get_color(), linestyle="--", linewidth=0.8)
        ax.set_ylabel(title, fontsize=8)
    axes[-1, 0].set_xlabel("RL step")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lstrip("."), dpi=150)
    plt.close(fig)
    write_atomic(path, buf.getvalue())
