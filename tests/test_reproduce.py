"""`rgbench reproduce --preset toy-quick`: every stage of the paper runs end to end (base → SFT → five GRPO arms →
generation and evaluation on the three toy benchmarks → CoT words, curves, tables), and a rerun resumes."""

from rgbench.catalog import load_catalog
from rgbench.config import load_config
from rgbench.reproduce import plan
from rgbench.results import read_json, read_jsonl
from tests.helpers.cli import invoke

ARMS = ("main", "no-sft", "small-judge", "entropy-none", "entropy-fixed")


def test_toy_quick_runs_every_stage_and_resumes(tmp_path):
    load_catalog()
    out = tmp_path / "repro"
    result = invoke(["--quiet", "reproduce", "--preset", "toy-quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    stages = [r["stage"] for r in read_jsonl(out / "stages.jsonl")]
    assert stages == plan(load_config("reproduce", "toy-quick"))  # the progress view's plan is what ran
    assert f"[1/{len(stages)}] ✓ s0/sft (" in result.text and f"[{len(stages)}/{len(stages)}] → analysis/plans" in result.text
    assert stages[0] == "s0/sft" and [f"s0/grpo/{a}" for a in ARMS] == stages[1:6]
    assert len([s for s in stages if "/evaluate/" in s]) == 3 * (2 + len(ARMS))  # base, SFT, arms × 3 benchmarks
    # the plan diagnosis of every CoT model, and the gold-plan probe of the base and the SFT model
    assert {s for s in stages if "/plans/" in s} == {f"s0/plans/{m}" for m in ("sft", *ARMS, "gold-base", "gold-sft")}
    assert {"s0/generate/gold-base/toy-geneval", "s0/generate/gold-sft/toy-geneval"} <= set(stages)
    assert stages[-4:] == ["analysis/cot-words", "analysis/curves", "analysis/tables", "analysis/plans"]
    summary = read_json(out / "summary.json")
    assert set(summary["evaluations"]) == {"base", "sft", *ARMS}
    for bench in ("toy-geneval", "toy-dpg", "toy-t2i"):
        table = (out / "tables" / f"{bench}.md").read_text()
        assert all(f"| {label} |" in table for label in ("base", "sft", *ARMS))
    assert (out / "curves" / "entropy.png").stat().st_size > 1000
    assert all((out / "tables" / f"{b}-bars.png").stat().st_size > 1000 for b in ("toy-geneval", "toy-dpg", "toy-t2i"))
    ablation = (out / "tables" / "ablation-sft.md").read_text()  # every row of the SFT ablation, each benchmark
    assert all(f"| {row} |" in ablation for row in ("base model", "SFT", "RL without SFT", "SFT + RL"))
    assert "| Method | GenEval overall | DPG-Bench overall | T2I-CompBench (mean of categories) |" in ablation
    assert {"ablation-judge", "ablation-entropy"} <= set(summary["tables"])
    assert read_json(out / "cot-words" / "summary.json")["cots"] > 0
    report = (out / "report" / "index.html").read_text()
    assert report.count("<figure>") >= 2 + len(ARMS) and "toy-dpg: base, SFT and the GRPO arms" in report
    assert "Entropy control" in report and 'src="toy-t2i-bars.png"' in report
    assert "Plans of gold-sft (toy GenEval, 1 seed pooled)" in report and "obj: all three" in report
    gold = read_jsonl(out / "plans" / "s0" / "gold-sft.jsonl")
    assert gold and all(r["plans"] == "gold" and r["plan_satisfies_prompt"] for r in gold)
    assert set(read_json(out / "plans" / "plans.json")) == {"gold-base", "gold-sft", "sft", *ARMS}
    # the base model writes no CoT, every other model does
    base_cots = read_jsonl(out / "gen" / "base-s0" / "toy-geneval" / "cot.jsonl")
    assert base_cots and all(r["cot"] is None for r in base_cots)
    again = invoke(["--quiet", "reproduce", "--preset", "toy-quick", "--out", str(out)])
    assert again.exit_code == 0 and again.output.count("(done)") == len(stages) and " s)" not in again.text


def test_the_report_is_a_page_chromium_renders(tmp_path):
    """A report of a fake reproduction; headless Chromium (Debian's `chromium`, which CI installs) screenshots it
    and the screenshot is not blank."""
    import json
    import shutil
    import subprocess

    import numpy as np
    import pytest
    from PIL import Image

    from rgbench.analysis.report import write_report

    root = tmp_path / "repro"
    (root / "tables").mkdir(parents=True)
    table = "**toy-geneval: demo**\n\n| Method | Overall |\n|---|---:|\n| <b>sft</b> | 0.500 |\n"
    (root / "tables" / "toy-geneval.md").write_text(table)
    (root / "summary.json").write_text(json.dumps({"tables": {"toy-geneval": str(root / "tables" / "toy-geneval.md")},
                                                   "evaluations": {}}))
    page = write_report(root)
    text = page.read_text()
    assert "<td>&lt;b&gt;sft&lt;/b&gt;</td>" in text and "<td>0.500</td>" in text  # escaped, not injected
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium is not installed here (CI installs it: apt-get install chromium)")
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=800,600", page.as_uri()], check=True, capture_output=True, timeout=120)
    pixels = np.asarray(Image.open(shot).convert("L"))
    assert pixels.std() > 5 and (pixels < 128).mean() > 0.001  # dark text on a light page, not a blank image


def test_toy_preset_starts_every_seed_from_the_shipped_sft_model():
    load_catalog()
    cfg = load_config("reproduce", "toy", ["seeds=2"])
    stages = plan(cfg)
    assert cfg.sft_model == "toy-sft" and "s0/sft" not in stages and "s1/sft" not in stages
    assert [s for s in stages if s.startswith("s1/grpo/")] == [f"s1/grpo/{a}" for a in ARMS]
    assert {"s0/generate/gold-sft/toy-geneval", "s1/plans/gold-base", "s1/plans/main"} <= set(stages)
    assert stages[-1] == "analysis/plans"


def test_plan_tables_count_seed_folders_not_the_tables_beside_them(tmp_path):
    """A rerun of the analysis found plans/sft.md and plans/small-judge.md next to s0–s2 and said "5 seeds"."""
    from rgbench.reproduce import seed_folders

    for name in ("s0", "s1", "s2"):
        (tmp_path / name).mkdir()
    for name in ("sft.md", "small-judge.md", "plans.json"):
        (tmp_path / name).write_text("")
    assert [p.name for p in seed_folders(tmp_path)] == ["s0", "s1", "s2"]
