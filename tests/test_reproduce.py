"""`rgbench reproduce --preset toy-quick`: every stage of the paper runs end to end (base → SFT → five GRPO arms →
generation and evaluation on the three toy benchmarks → CoT words, curves, tables), and a rerun resumes."""

from typer.testing import CliRunner

from rgbench.cli import app
from rgbench.results import read_json, read_jsonl

ARMS = ("main", "no-sft", "small-judge", "entropy-none", "entropy-fixed")


def test_toy_quick_runs_every_stage_and_resumes(tmp_path):
    out = tmp_path / "repro"
    result = CliRunner().invoke(app, ["--quiet", "reproduce", "--preset", "toy-quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    stages = [r["stage"] for r in read_jsonl(out / "stages.jsonl")]
    assert stages[0] == "s0/sft" and [f"s0/grpo/{a}" for a in ARMS] == stages[1:6]
    assert len([s for s in stages if "/evaluate/" in s]) == 3 * (2 + len(ARMS))  # base, SFT, arms × 3 benchmarks
    assert stages[-3:] == ["analysis/cot-words", "analysis/curves", "analysis/tables"]
    summary = read_json(out / "summary.json")
    assert set(summary["evaluations"]) == {"base", "sft", *ARMS}
    for bench in ("toy-geneval", "toy-dpg", "toy-t2i"):
        table = (out / "tables" / f"{bench}.md").read_text()
        assert all(f"| {label} |" in table for label in ("base", "sft", *ARMS))
    assert (out / "curves" / "entropy.png").stat().st_size > 1000
    assert read_json(out / "cot-words" / "summary.json")["cots"] > 0
    # the base model writes no CoT, every other model does
    base_cots = read_jsonl(out / "gen" / "base-s0" / "toy-geneval" / "cot.jsonl")
    assert base_cots and all(r["cot"] is None for r in base_cots)
    again = CliRunner().invoke(app, ["--quiet", "reproduce", "--preset", "toy-quick", "--out", str(out)])
    assert again.exit_code == 0 and again.output.count("(done)") == len(stages)
