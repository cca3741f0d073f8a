"""Training curves from GRPO metrics: reading runs (targets from an adaptive config), smoothing, the figure."""

import json

import numpy as np
import pytest
from PIL import Image

from rgbench.analysis.curves import band_markdown, mean_curve, moving_average, read_run
from tests.helpers.cli import invoke


def fake_run(folder, control, h_text):
    folder.mkdir(parents=True)
    rows = [{"step": s, "reward_mean": 0.1 * s, "h_text": h, "h_image": 0.7, "alpha_text": 0.001 * s,
             "alpha_image": None} for s, h in enumerate(h_text, 1)]
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    entropy = {"control": control, "adaptive": {"target_text": 1.2, "target_image": 0.7}}
    (folder / "config.yaml").write_text(json.dumps({"train": {"entropy": entropy}}))  # JSON is YAML
    return folder


def test_read_run_takes_targets_only_from_adaptive_runs(tmp_path):
    adaptive = read_run(fake_run(tmp_path / "a", "adaptive", [1.0, 1.1, 1.3]))
    assert adaptive.steps == [1, 2, 3] and adaptive.values["h_text"] == [1.0, 1.1, 1.3]
    assert adaptive.targets == {"h_text": 1.2, "h_image": 0.7}
    assert read_run(fake_run(tmp_path / "n", "none", [1.0]), "none arm").targets == {}
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "metrics.jsonl").write_text("")
    with pytest.raises(ValueError, match="no metrics.jsonl rows"):
        read_run(tmp_path / "empty")


def test_moving_average_is_trailing_and_skips_missing_values():
    assert moving_average([1.0, 3.0, None, 5.0], 2) == [1.0, 2.0, None, 5.0]
    assert moving_average([2.0, 4.0, 6.0], 3) == [2.0, 3.0, 4.0]


def test_mean_curve_averages_seeds_step_by_step(tmp_path):
    a = read_run(fake_run(tmp_path / "a", "adaptive", [1.0, 2.0, 3.0]))
    b = read_run(fake_run(tmp_path / "b", "adaptive", [3.0, 4.0]))  # a seed that logged one step fewer
    mean = mean_curve([a, b], "main (mean of 2 seeds)")
    assert mean.steps == [1, 2, 3] and mean.values["h_text"] == [2.0, 3.0, 3.0]
    assert mean.values["alpha_image"] == [None, None, None] and mean.targets == a.targets
    assert mean_curve([a], "one").values == a.values


def test_band_table_measures_every_run_against_the_adaptive_targets(tmp_path):
    adaptive = read_run(fake_run(tmp_path / "a", "adaptive", [1.0, 1.1, 1.3, 1.2]), "adaptive")  # target 1.2
    none = read_run(fake_run(tmp_path / "n", "none", [2.0, 1.25, 1.0, 0.5]), "none")
    text = band_markdown([none, adaptive], window=2, tolerance=0.1)
    # none: first 2 steps 1.625, last 2 0.75; within ±0.12 of 1.2: only 1.25 → 25 %; h_image 0.7 = its target
    # none's trailing means (window 2) at steps 1-4: 2.0, 1.625, 1.125, 0.75; 1.125 is within 1.2 ± 0.12, so it
    # leaves the band for good at step 4
    assert "| none | 1.625 → 0.750 | 1.2 | 25% | step 4 | 0.700 → 0.700 | 0.7 | 100% | stays |" in text
    assert "| adaptive | 1.050 → 1.250 | 1.2 | 75% | stays |" in text  # 1.1, 1.3, 1.2 are within 0.12 of 1.2
    only = band_markdown([read_run(tmp_path / "n", "only")])  # no adaptive run: no targets; window 10 = all steps
    assert "| only | 1.188 → 1.188 | – | – | – | 0.700 → 0.700 | – | – | – |" in only


def test_curves_command_draws_every_run(tmp_path):
    runs = [fake_run(tmp_path / n, c, [1.0, 1.2, 1.4, 1.3]) for n, c in (("none", "none"), ("adaptive", "adaptive"))]
    result = invoke(["analyze", "curves", *map(str, runs), "--out", str(tmp_path / "out"),
                                      "--smooth", "1"])
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "out" / "curves.png") as im:
        assert len(np.unique(np.asarray(im.convert("L")))) > 10
    svg = (tmp_path / "out" / "curves.svg").read_text()
    assert "<!-- none -->" in svg and "<!-- adaptive -->" in svg  # both legend entries
    assert "<!-- α_image -->" not in svg  # a metric no run logged gets no panel
    table = (tmp_path / "out" / "curves.md").read_text()  # 1.0, 1.2, 1.4, 1.3 vs 1.2 ± 0.12: two of four inside
    assert "| adaptive | 1.225 → 1.225 | 1.2 | 50% | stays |" in table
    assert invoke(["analyze", "curves", str(runs[0]), "--label", "a", "--label", "b"]).exit_code == 2
