"""The release's data read in place: SFT parquet shards in the Hugging Face layout (a tiny fixture in the release's
schema, written here), the 95/5 split, and the RL prompt files given as a list."""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from PIL import Image

from rgbench.config import apply_overrides, build, load_config
from rgbench.train.release_data import drop_overlong, read_prompt_files, read_release_sft, split_indices
from rgbench.train.sft_data import Augmentation, RecordError, center_square
from tests.helpers.release_world import hub_folder, png, write_shard


@pytest.fixture
def tok():
    from rgbench.toy.tokenizer import PatchTokenizer

    return PatchTokenizer.load()


def key_of(g: int, sizes=(25, 15)) -> str:
    """Global row → the record key (shard name : row in shard)."""
    return f"data/train-00000-of-00002.parquet:{g}" if g < sizes[0] else \
        f"data/train-00001-of-00002.parquet:{g - sizes[0]}"


# ---------------------------------------------------------------- the 95/5 split


def test_split_is_datasets_train_test_split():
    # n = 40: n_test = ceil(0.05 · 40) = 2; default_rng(42).permutation(40) starts 32, 7, 39, 18
    train, test = split_indices(40)
    assert test.tolist() == [32, 7] and train[:2].tolist() == [39, 18]
    assert len(train) == 38 and sorted([*train, *test]) == list(range(40))
    perm = np.random.default_rng(42).permutation(40)
    assert train.tolist() == perm[2:].tolist()  # train keeps the permutation's order
    assert len(split_indices(41)[1]) == 3  # ceil(2.05) = 3: any fraction rounds the test side up
    for n in (20, 99, 218_000):
        assert len(split_indices(n)[1]) == math.ceil(0.05 * n)
    with pytest.raises(RecordError, match="train side would be empty"):
        split_indices(1)


# ---------------------------------------------------------------- SFT shards


def test_hub_folder_gives_train_side_in_release_order(tmp_path, tok):
    root = hub_folder(tmp_path / "ReasonGen-R1-SFT-230k")
    records, report = read_release_sft(str(root), tok)
    train, test = split_indices(40)
    assert [r.key for r in records] == [key_of(g) for g in train]  # both shards, one split, release order
    assert report.splits == {"train": 40} and report.records == 38 and report.tokenized == 38
    assert report.split_rule == "train_test_split(test_size=0.05, seed=42)"
    first = records[0]  # global row 39 = shard 1, row 14
    assert (first.prompt, first.cot) == ("brief 39", "cot 39")
    assert first.augmented_prompts["object_prompts"] == ["cup", "dog", "o39"]
    with Image.open(io.BytesIO(png(39))) as im:
        assert first.codes.dtype == np.uint16 and list(first.codes) == tok.encode(center_square(im, tok.image_size)[None])[0].tolist()
    held_out, _ = read_release_sft(str(root), tok, split="test")
    assert [r.key for r in held_out] == [key_of(g) for g in test]


def test_prompt_is_drawn_from_the_stored_caption_styles(tmp_path, tok):
    import random

    records, _ = read_release_sft(str(hub_folder(tmp_path / "d")), tok, limit=1)  # row 39
    draw = {s: records[0].example(Augmentation(styles=(s,)), random.Random(0)).prompt
            for s in ("short_caption", "tags", "object_prompts", "paraphrases")}
    assert draw == {"short_caption": "short 39", "tags": "red,t39", "object_prompts": "cup, dog and o39",
                    "paraphrases": "para 39"}
    assert records[0].example(Augmentation(), random.Random(0)).cot == "cot 39"


def test_codes_are_cached_and_the_limit_reads_only_its_rows(tmp_path, tok):
    root = hub_folder(tmp_path / "d")
    few, report = read_release_sft(str(root), tok, limit=3)
    assert len(few) == 3 and report.tokenized == 3
    again, report = read_release_sft(str(root), tok, limit=3)
    assert report.tokenized == 0 and [list(r.codes) for r in again] == [list(r.codes) for r in few]
    cache = root / f"rgbench-codes-64px-8x8-k{tok.codebook_size}.jsonl"
    assert report.cache == str(cache) and len(cache.read_text().splitlines()) == 3
    read_release_sft(str(root), tok, limit=5, write_cache=False)  # another rank: reads the cache, writes nothing
    assert len(cache.read_text().splitlines()) == 3


def test_dataset_with_its_own_splits_and_shard_lists(tmp_path, tok):
    write_shard(tmp_path / "data" / "train-00000-of-00001.parquet", 0, 4)
    write_shard(tmp_path / "data" / "test-00000-of-00001.parquet", 100, 2)
    records, report = read_release_sft(str(tmp_path), tok)
    assert [r.prompt for r in records] == ["brief 0", "brief 1", "brief 2", "brief 3"]  # no 95/5 cut
    assert report.split_rule == "dataset" and report.splits == {"train": 4, "test": 2}
    test, _ = read_release_sft(str(tmp_path), tok, split="test")
    assert [r.prompt for r in test] == ["brief 100", "brief 101"]
    # a glob or a list of shards: the same split inference on the shard names
    listed, _ = read_release_sft([str(tmp_path / "data" / "train-00000-of-00001.parquet")], tok)
    assert len(listed) == 3  # one split (train) of 4 rows: ceil(0.2) = 1 test row
    globbed, _ = read_release_sft(str(tmp_path / "data" / "*.parquet"), tok)
    assert [r.prompt for r in globbed] == [r.prompt for r in records]


def test_base64_image_strings_and_legacy_paraphrase_strings(tmp_path, tok):
    urls = [f"data:image/png;base64,{base64.b64encode(png(i)).decode()}" for i in range(20)]
    write_shard(tmp_path / "train.parquet", 0, 20, image_type=pa.string(), images=urls)
    records, _ = read_release_sft(str(tmp_path), tok)
    row = int(records[0].prompt.split()[1])  # "brief <row>"
    with Image.open(io.BytesIO(png(row))) as im:
        assert list(records[0].codes) == tok.encode(center_square(im, tok.image_size)[None])[0].tolist()
    from rgbench.train.release_data import prompt_styles

    assert prompt_styles({"paraphrases": "['a', 'b']"}, "x")["paraphrases"] == ["a", "b"]


def test_bad_input_names_shard_row_and_column(tmp_path, tok):
    write_shard(tmp_path / "a" / "train.parquet", 0, 3, drop="detailed_caption")
    with pytest.raises(RecordError, match=r"train\.parquet: missing column\(s\) \['detailed_caption'\]"):
        read_release_sft(str(tmp_path / "a"), tok)
    images = [{"bytes": png(i), "path": None} for i in range(20)]
    images[6] = {"bytes": b"not an image", "path": None}
    write_shard(tmp_path / "b" / "train.parquet", 0, 20, images=images)
    with pytest.raises(RecordError, match=r"train\.parquet row 6: column 'image' cannot be decoded"):
        read_release_sft(str(tmp_path / "b"), tok)
    (tmp_path / "empty").mkdir()
    with pytest.raises(RecordError, match="no parquet files.*Franklin0/ReasonGen-R1-SFT-230k"):
        read_release_sft(str(tmp_path / "empty"), tok)
    with pytest.raises(RecordError, match="not found"):
        read_release_sft([str(tmp_path / "nope.parquet")], tok)


# ---------------------------------------------------------------- RL prompt files


def test_prompt_files_are_read_as_a_list_in_order(tmp_path):
    (tmp_path / "geneval_train.txt").write_text("a photo of a cat\n  two dogs \n\na cup")
    (tmp_path / "t2i_train.txt").write_text("a red car\na red car\n")
    lines = read_prompt_files(["geneval_train.txt", "t2i_train.txt"], str(tmp_path))
    assert [(ln.id, ln.prompt) for ln in lines] == [
        ("geneval_train:0", "a photo of a cat"), ("geneval_train:1", "two dogs"), ("geneval_train:3", "a cup"),
        ("t2i_train:0", "a red car"), ("t2i_train:1", "a red car")]  # no dedup, no "a photo of" removal
    assert [ln.raw for ln in lines][1:3] == ["  two dogs \n", "a cup"]
    single = read_prompt_files([str(tmp_path / "t2i_train.txt")])
    assert [ln.id for ln in single] == ["0", "1"]
    with pytest.raises(ValueError, match="not found.*examples/rl_prompts"):
        read_prompt_files(["dpg_train.txt"], str(tmp_path))


def test_overlong_prompts_are_dropped_as_the_release_does(tmp_path):
    (tmp_path / "p.txt").write_text("one two three\none two three four five\n")
    lines = read_prompt_files(["p.txt"], str(tmp_path))
    encode = lambda text: text.replace("\n", " \n").split(" ")  # noqa: E731  one token per word, one for "\n"
    kept, dropped = drop_overlong(lines, encode, 14)  # 3 words + "\n" + 10 = 14 ≤ 14; 5 + 1 + 10 = 16 > 14
    assert [ln.prompt for ln in kept] == ["one two three"] and dropped == 1
    assert drop_overlong(lines, encode, 13) == ([], 2)  # the newline the release reads with the line is a token


def test_grpo_read_prompts_takes_a_list_and_a_single_file(tmp_path):
    from rgbench.train.grpo_run import GRPOConfig, load_prompts, read_prompts

    (tmp_path / "a.txt").write_text("x\ny\n")
    (tmp_path / "b.txt").write_text("z\n")
    assert load_prompts(["a.txt", "b.txt"], folder=str(tmp_path)) == [("a:0", "x"), ("a:1", "y"), ("b:0", "z")]
    assert [ln.prompt for ln in read_prompts(str(tmp_path / "a.txt"))] == ["x", "y"]
    cfg = build(GRPOConfig, apply_overrides({}, ["prompts=[a.txt, b.txt]", f"prompt_dir={tmp_path}"]))
    assert cfg.prompts == ["a.txt", "b.txt"] and build(GRPOConfig, apply_overrides({}, ["prompts=a.txt"])).prompts == "a.txt"


# ---------------------------------------------------------------- the presets


def test_release_presets_name_the_release_files_and_say_where_to_get_them(tmp_path, monkeypatch):
    from rgbench.catalog import load_catalog
    from rgbench.train.grpo_run import read_prompts
    from rgbench.train.sft_run import check_data

    load_catalog()
    monkeypatch.chdir(tmp_path)
    sft = load_config("sft", "release")
    assert sft.data == "ReasonGen-R1-SFT-230k"
    with pytest.raises(RecordError, match="huggingface-cli download Franklin0/ReasonGen-R1-SFT-230k"):
        check_data(sft)
    grpo = load_config("grpo", "paper")
    assert grpo.prompts == ["geneval_train.txt", "dpg_train.txt", "t2i_train.txt"]
    assert grpo.prompt_dir == "ReasonGen-R1/examples/rl_prompts" and grpo.prompt_max_tokens == 156
    with pytest.raises(ValueError, match="Franklin-Zhang0/ReasonGen-R1"):
        read_prompts(grpo.prompts, grpo.prompt_dir)
    hub_folder(tmp_path / "ReasonGen-R1-SFT-230k", sizes=(3,))
    check_data(sft)  # there now: passes
    other = load_config("sft", "release", [f"data={tmp_path / 'ReasonGen-R1-SFT-230k'}"])
    assert other.data == str(tmp_path / "ReasonGen-R1-SFT-230k")


# ---------------------------------------------------------------- end to end


def test_train_sft_cli_on_the_release_layout(tmp_path):
    from rgbench.results import read_json, read_jsonl
    from tests.helpers.cli import invoke

    root = hub_folder(tmp_path / "ReasonGen-R1-SFT-230k")
    out = invoke(["--quiet", "train", "sft", "-c", "toy", "--set", f"data={root}", "--set", "train.steps=2",
                  "--set", "train.micro_batch=4", "--set", "data_limit=8", "--run-id", "s",
                  "--results", str(tmp_path / "runs")])
    assert out.exit_code == 0, out.output
    summary = read_json(tmp_path / "runs" / "s" / "summary.json")
    assert summary["records"] == 8 and summary["data_read"]["splits"] == {"train": 40}
    assert len(read_jsonl(tmp_path / "runs" / "s" / "metrics.jsonl")) == 2


def test_train_grpo_cli_on_a_list_of_prompt_files(tmp_path):
    from rgbench.results import read_json
    from rgbench.train.grpo_run import load_prompts
    from tests.helpers.cli import invoke
    from tests.test_grpo import GRPO_ARGS

    toy = [p for _, p in load_prompts("toy")[:6]]
    (tmp_path / "geneval_train.txt").write_text("\n".join(toy[:3]))
    (tmp_path / "t2i_train.txt").write_text("\n".join([*toy[3:], " ".join(toy * 4)]))  # the last one is overlong
    out = invoke([*GRPO_ARGS, "--set", "prompts=[geneval_train.txt, t2i_train.txt]", "--set", f"prompt_dir={tmp_path}",
                  "--set", "prompt_max_tokens=64", "--set", "eval_every=0", "--set", "train.steps=1",
                  "--results", str(tmp_path / "runs")])
    assert out.exit_code == 0, out.output
    summary = read_json(tmp_path / "runs" / "g" / "summary.json")
    assert summary["prompts"] == 6 and summary["prompts_dropped_overlong"] == 1


def test_ranks_share_the_first_tokenization_and_read_the_same_records(tmp_path):
    """Under torchrun each rank tokenizes every world-th image the cache lacks; all ranks then read all codes, and
    rank 0 folds the ranks' part files into the cache: 2 processes read what 1 does, each tokenizing half."""
    from tests.helpers.launch import run_helper

    helper = Path(__file__).parent / "helpers" / "dist_release_data.py"
    one, two = run_helper(helper, tmp_path, "one", 1), run_helper(helper, tmp_path, "two", 2, port_offset=200)
    assert (one["keys"], one["codes"]) == (two["keys"], two["codes"]) and len(one["keys"]) == 15  # 16 rows, 95/5
    assert one["tokenized"] == [15] and two["tokenized"] == [8, 7]
    assert one["cache_rows"] == two["cache_rows"] == 15 and two["parts_left"] == []
