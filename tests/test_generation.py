"""`rgbench generate`: prompt sets, official layouts, cot.jsonl, resume, shards, settings guard."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from rgbench.dpg.layout import split_2x2, tile_2x2
from rgbench.generation import GenerateSettings, GenerationError, generate_to_folder
from rgbench.policy.generate import GenerationOptions
from rgbench.policy.sampling import RowStreams
from rgbench.policy.tiny import TinyJanus
from rgbench.prompt_sets import load_prompt_set
from rgbench.registry import RegistryError
from rgbench.results import read_jsonl
from rgbench.sharding import parse_shard
from rgbench.toy.policy import build_toy_policy
from tests.helpers.cli import invoke

OPTS = GenerationOptions(max_cot_tokens=8)


@pytest.fixture(scope="module")
def toy():
    return build_toy_policy(seed=2, size=TinyJanus(hidden=32, layers=2, heads=2, intermediate=64))


def settings(prompt_set, n=2, seed=0, opts=OPTS):
    return GenerateSettings("toy-small", prompt_set.name, prompt_set.version, n, seed, opts)


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.png"))}


def test_prompt_sets_load_with_versions_and_layouts():
    assert len(load_prompt_set("geneval").items) == 553
    assert len(load_prompt_set("dpg").items) == 1065
    color = load_prompt_set("t2i:color")
    assert color.layout == "t2i" and {it.group for it in color.items} == {"color"} and len(color.items) == 300
    assert {it.group for it in load_prompt_set("t2i").items} == {"color", "shape", "texture", "spatial",
                                                                  "non_spatial", "numeracy", "complex"}
    toy = load_prompt_set("toy-geneval")
    assert toy.version.startswith("toy-") and toy.items[0].record["tag"] == "single_object"
    with pytest.raises(RegistryError, match="did you mean 'geneval'"):
        load_prompt_set("genevall")
    with pytest.raises(ValueError, match="did you mean 'color'"):
        load_prompt_set("t2i:colour")


def test_geneval_layout_cot_rows_and_resume(toy, tmp_path):
    ps = load_prompt_set("toy-geneval")
    out = tmp_path / "gen"
    report = generate_to_folder(toy, ps, out, settings(ps), limit=3, batch_size=4, progress=False)
    assert (report.generated, report.skipped, report.images) == (3, 0, 6)
    for it in ps.items[:3]:
        assert json.loads((out / it.key / "metadata.jsonl").read_text()) == it.record
        for k in range(2):
            assert Image.open(out / it.key / "samples" / f"{k:04d}.png").size == (64, 64)
    rows = read_jsonl(out / "cot.jsonl")
    assert len(rows) == 6 and {r["prompt_id"] for r in rows} == {"00000", "00001", "00002"}
    assert {"prompt_id", "sample", "cot", "seed", "prompt", "image", "model", "benchmark_version"} <= set(rows[0])
    before = files_of(out)
    (out / "00001" / "samples" / "0001.png").unlink()  # a lost image: that prompt is redone, identically
    again = generate_to_folder(toy, ps, out, settings(ps), limit=4, batch_size=4, progress=False)
    assert (again.generated, again.skipped) == (2, 2)
    after = files_of(out)
    assert all(after[name] == data for name, data in before.items()) and len(after) == 8
    assert len(read_jsonl(out / "cot.jsonl")) == 8  # no duplicate rows
    with pytest.raises(GenerationError, match="differs in: seed"):
        generate_to_folder(toy, ps, out, settings(ps, seed=1), limit=4, progress=False)


def test_shards_together_equal_one_run(toy, tmp_path):
    ps = load_prompt_set("toy-t2i:spatial")
    whole = tmp_path / "whole"
    generate_to_folder(toy, ps, whole, settings(ps, n=1), limit=5, batch_size=3, progress=False)
    split = tmp_path / "split"
    for i in range(2):
        generate_to_folder(toy, ps, split, settings(ps, n=1), limit=5, batch_size=2, shard=(i, 2), progress=False)
    assert files_of(whole) == files_of(split) and len(files_of(whole)) == 5
    assert all(name.startswith("spatial/samples/") for name in files_of(whole))
    assert sorted(r["key"] for r in read_jsonl(whole / "cot.jsonl")) == \
        sorted(r["key"] for r in read_jsonl(split / "cot.jsonl"))


def test_t2i_file_names_follow_the_official_index(toy, tmp_path):
    ps = load_prompt_set("toy-t2i:color")
    generate_to_folder(toy, ps, tmp_path, settings(ps, n=2), limit=2, progress=False)
    names = sorted(files_of(tmp_path))
    expected = sorted(f"color/samples/{ps.items[i].prompt}_{i * 2 + k:06d}.png" for i in range(2) for k in range(2))
    assert names == expected


def test_dpg_writes_one_2x2_grid_per_prompt(toy, tmp_path):
    ps = load_prompt_set("toy-dpg")
    generate_to_folder(toy, ps, tmp_path, settings(ps, n=4), limit=2, batch_size=8, progress=False)
    grid = np.asarray(Image.open(tmp_path / f"{ps.items[0].key}.png"))
    assert grid.shape == (128, 128, 3)
    rows = [r for r in read_jsonl(tmp_path / "cot.jsonl") if r["prompt_id"] == ps.items[0].key]
    assert sorted(r["image"] for r in rows) == [f"{ps.items[0].key}.png#tile{k}" for k in range(4)]
    with pytest.raises(ValueError, match="2×2"):
        generate_to_folder(toy, ps, tmp_path / "bad", settings(ps, n=3), limit=1, progress=False)


def test_tile_and_split_are_inverse():
    tiles = [np.full((8, 8, 3), v, np.uint8) for v in (10, 20, 30, 40)]
    grid = tile_2x2(tiles)
    assert grid[0, 15, 0] == 20 and grid[15, 0, 0] == 30  # top-right = sample 1, bottom-left = sample 2
    assert all(np.array_equal(a, b) for a, b in zip(split_2x2(grid), tiles))


def test_parse_shard_rejects_bad_values():
    assert parse_shard("1/4") == (1, 4)
    for bad in ("4/4", "x", "1-4"):
        with pytest.raises(ValueError):
            parse_shard(bad)


def test_generate_cli_end_to_end(tmp_path):
    args = ["generate", "--model", "toy-init", "-b", "toy-geneval", "--out", str(tmp_path), "--n", "2",
            "--limit", "2", "--max-cot-tokens", "6", "--no-cot"]
    result = invoke(args)
    assert result.exit_code == 0, result.output
    assert "2 prompts generated" in result.text and "images/s" in result.text
    meta = json.loads((tmp_path / "generation.json").read_text())
    assert meta["settings"]["options"]["cot"] is False and meta["provenance"]["git"]
    assert meta["settings"]["prompt_format"]["plain_template"] == "A photo of {}."
    assert all(r["cot"] is None for r in read_jsonl(tmp_path / "cot.jsonl"))
    rerun = invoke(args)
    assert rerun.exit_code == 0 and "0 prompts generated, 2 already done" in rerun.text
    bad = invoke(args[:-1])  # --cot now: other settings, same folder
    assert bad.exit_code == 2 and "other settings" in bad.text
    other = invoke(args + ["--template", "{}. "])  # a different template is a different folder
    assert other.exit_code == 2 and "prompt_format" in other.text
    assert invoke(args + ["--template", "no slot"]).exit_code == 2
    templated = invoke(args[:5] + ["--out", str(tmp_path / "tpl"), "--template", "{}. ", "--no-cot",
                                                "--limit", "1", "--n", "1"])
    assert templated.exit_code == 0, templated.output
    fmt = json.loads((tmp_path / "tpl" / "generation.json").read_text())["settings"]["prompt_format"]
    assert fmt["plain_template"] == "{}. "
    unknown = invoke(["generate", "--model", "toy-init", "-b", "toy-genval", "--out", str(tmp_path / "x")])
    assert unknown.exit_code == 2 and "did you mean 'toy-geneval'" in unknown.text
    missing = invoke(["generate", "--model", "janus-pro-7b", "-b", "geneval", "--out", str(tmp_path / "y")],
                            env={"RGBENCH_WEIGHTS": str(tmp_path / "none"), "HF_HOME": str(tmp_path / "hf")})
    assert missing.exit_code == 2 and "hf download deepseek-community/Janus-Pro-7B" in missing.text


def test_row_streams_do_not_depend_on_batch_members():
    a = RowStreams([(0, "k", 0), (0, "j", 1)])
    b = RowStreams([(0, "j", 1)])
    assert torch.equal(a.uniform("image", [1]), b.uniform("image"))
