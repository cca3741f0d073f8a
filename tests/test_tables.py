"""Paper tables from run summaries: mean ± std over seeds worked by hand, quoted rows, every benchmark's columns,
and the errors for mixed or unreadable inputs."""

import json

import pytest

from rgbench.analysis.tables import ablation_rows, build_rows, csv_text, latex, markdown, values_of
from tests.helpers.cli import invoke

TASKS = ("single_object", "two_object", "counting", "colors", "position", "color_attr")


def geneval_summary(folder, scores):
    folder.mkdir(parents=True)
    summary = {"tasks": {t: {"accuracy": s} for t, s in zip(TASKS, scores)}, "overall": sum(scores) / 6}
    (folder / "summary.json").write_text(json.dumps(summary))
    return str(folder)


def test_mean_and_sample_std_over_seeds_and_quoted_rows(tmp_path):
    runs = [geneval_summary(tmp_path / f"s{k}", [0.5 + 0.1 * k] * 6) for k in range(3)]  # 0.5, 0.6, 0.7
    spec = {"rows": [{"label": "SFT", "runs": runs},
                     {"label": "Janus-Pro-7B", "quoted": {"single_object": 0.99, "overall": 0.80}, "source": "Tab. 4"}]}
    kind, rows = build_rows(spec)
    assert kind == "geneval" and rows[0].mean("overall") == pytest.approx(0.6)
    assert rows[0].std("overall") == pytest.approx(0.1)  # sample std of 0.5, 0.6, 0.7
    text = markdown(kind, rows, "Toy GenEval")
    assert "| SFT (n=3) | 0.600 ± 0.100 |" in text and "| Janus-Pro-7B (quoted) | 0.990 | – |" in text
    assert "Janus-Pro-7B: quoted from Tab. 4, not measured here" in text
    assert csv_text(kind, rows).splitlines()[1].startswith("SFT,False,3,0.6")
    tex = latex(kind, rows, "a_b & c")
    assert r"0.600 $\pm$ 0.100" in tex and r"\caption{a\_b \& c}" in tex


def test_dpg_and_t2i_columns():
    dpg = {"l1": {"global": 90.0, "entity": 80.0}, "overall": 85.0}
    assert values_of(dpg) == {"global": 90.0, "entity": 80.0, "overall": 85.0}
    t2i = {"categories": {"color": {"score": 0.5}, "spatial": {"score": None}}}
    assert values_of(t2i) == {"color": 0.5, "spatial": None}


def test_mixed_benchmarks_and_empty_rows_are_errors(tmp_path):
    g = geneval_summary(tmp_path / "g", [0.5] * 6)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "summary.json").write_text(json.dumps({"l1": {}, "overall": 1.0}))
    with pytest.raises(ValueError, match="is a dpg summary in a geneval table"):
        build_rows({"rows": [{"label": "a", "runs": [g, str(tmp_path / "d")]}]})
    with pytest.raises(ValueError, match="no runs with scores"):
        build_rows({"rows": [{"label": "a", "runs": []}]})
    with pytest.raises(FileNotFoundError):
        build_rows({"rows": [{"label": "a", "runs": [str(tmp_path / "none")]}]})


def test_tables_command_writes_three_formats(tmp_path):
    spec = tmp_path / "ablation.yaml"
    spec.write_text(json.dumps({"title": "t", "rows": [{"label": "A", "runs": [geneval_summary(tmp_path / "a", [1] * 6)]}]}))
    result = invoke(["tables", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"ablation.md", "ablation.csv", "ablation.tex",
                                                             "ablation-bars.png", "ablation-bars.svg"}
    assert (tmp_path / "out" / "ablation-bars.png").stat().st_size > 1000
    (tmp_path / "bad.yaml").write_text("rows: [{label: x, runs: []}]")
    assert invoke(["tables", str(tmp_path / "bad.yaml")]).exit_code == 2


def summary_file(folder, summary):
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps(summary))
    return str(folder)


def test_ablation_rows_take_one_headline_per_benchmark_and_seed(tmp_path):
    g = [geneval_summary(tmp_path / f"g{k}", [0.4 + 0.2 * k] * 6) for k in range(2)]  # overall 0.4, 0.6
    d = [summary_file(tmp_path / f"d{k}", {"l1": {"global": 1.0}, "overall": 40.0 + 2 * k}) for k in range(2)]
    # T2I has no official overall: the mean of the scored categories (spatial not scored → left out)
    t = [summary_file(tmp_path / "t0", {"categories": {"color": {"score": 0.2}, "shape": {"score": 0.4},
                                                       "spatial": {"score": None}}})]
    (row,) = ablation_rows([("SFT + RL", {"toy-geneval": g, "toy-dpg": d, "toy-t2i": t})])
    assert row.mean("geneval") == pytest.approx(0.5) and row.std("geneval") == pytest.approx(0.1414, abs=1e-4)
    assert row.mean("dpg") == pytest.approx(41.0) and row.mean("t2i") == pytest.approx(0.3)
    assert row.std("t2i") is None  # one seed
    text = markdown("ablation", [row], "Entropy")
    assert "| Method | GenEval overall | DPG-Bench overall | T2I-CompBench (mean of categories) |" in text
    assert "| SFT + RL (n=2) | 0.500 ± 0.141 | 41.000 ± 1.414 | 0.300 |" in text
    # the same table from a spec file
    kind, rows = build_rows({"benchmark": "ablation", "rows": [{"label": "SFT + RL", "runs": {"geneval": g}},
                                                              {"label": "paper", "quoted": {"geneval": 0.86}}]})
    assert kind == "ablation" and rows[0].values["geneval"] == pytest.approx([0.4, 0.6]) and rows[1].quoted
    with pytest.raises(ValueError, match="ablation row 'x' has no runs"):
        ablation_rows([("x", {"toy-geneval": []})])
