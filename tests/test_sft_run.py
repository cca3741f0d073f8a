"""`rgbench train sft` end to end on toy records: metrics, checkpoint, a policy folder that generates, resume."""

import json

import torch

from rgbench.results import read_json, read_jsonl
from rgbench.toy.sft import toy_sft_records
from rgbench.train.sft import STATE_FILE
from tests.helpers.cli import invoke

ARGS = ["--quiet", "train", "sft", "-c", "toy", "--set", "train.steps=4", "--set", "train.micro_batch=4",
        "--set", "save_every=2", "--set", "data_limit=16", "--run-id", "s"]


def test_toy_records_are_reproducible_and_plans_describe_the_scene():
    a, b = toy_sft_records(5), toy_sft_records(5)
    assert [(r.prompt, r.cot, r.codes) for r in a] == [(r.prompt, r.cot, r.codes) for r in b]
    assert all(len(r.codes) == 64 and r.cot for r in a)
    many = toy_sft_records(5, variants=3)
    assert [r.key for r in many[:3]] == ["train0", "train0~1", "train0~2"]
    assert (many[0].prompt, many[0].codes) == (a[0].prompt, a[0].codes)  # variant 0 is the shipped scene
    assert len({tuple(r.codes) for r in many[:3]}) == 3 and len({r.prompt for r in many[:3]}) == 1


def test_train_sft_cli_trains_saves_and_resumes(tmp_path):
    run = tmp_path / "s"
    paused = invoke([*ARGS, "--results", str(tmp_path), "--stop-after", "3"])  # checkpoints at 3 (save_every 2)
    assert paused.exit_code == 0 and "paused at step 3 of 4" in paused.text, paused.output
    assert read_json(run / "meta.json")["status"] == "paused" and not (run / "summary.json").exists()
    assert [m["step"] for m in read_jsonl(run / "metrics.jsonl")] == [1, 2, 3] and not (run / "model").exists()
    assert torch.load(run / "checkpoint" / STATE_FILE, weights_only=True)["step"] == 3
    result = invoke([*ARGS, "--results", str(tmp_path)])
    assert result.exit_code == 0, result.output
    metrics = read_jsonl(run / "metrics.jsonl")
    assert [m["step"] for m in metrics] == [1, 2, 3, 4]
    assert {"loss", "ce_cot", "ce_image", "lr", "grad_norm", "tokens_per_s"} <= set(metrics[0])
    assert (run / "checkpoint" / "model.safetensors").is_file() and (run / "model" / "config.json").is_file()
    assert read_json(run / "summary.json")["steps"] == 4
    again = invoke([*ARGS, "--results", str(tmp_path)])  # finished: resumes at step 4, adds nothing
    assert again.exit_code == 0 and len(read_jsonl(run / "metrics.jsonl")) == 4
    gen = invoke(["--quiet", "generate", "-m", str(run / "model"), "-b", "toy-geneval", "--limit", "1",
                              "--n", "1", "--max-cot-tokens", "8", "--out", str(tmp_path / "gen")])
    assert gen.exit_code == 0, gen.output
    assert json.loads((tmp_path / "gen" / "cot.jsonl").read_text().splitlines()[0])["model"] == str(run / "model")


def test_records_file_with_images_is_tokenized_once(tmp_path):
    import numpy as np
    from PIL import Image

    from rgbench.toy.tokenizer import PatchTokenizer
    from rgbench.train.sft_data import read_records

    tok = PatchTokenizer.load()
    Image.fromarray(np.full((80, 64, 3), 153, np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "r.jsonl").write_text(json.dumps({"id": "a", "brief_caption": "gray", "detailed_caption": "plan",
                                                  "image": "a.png"}) + "\n")
    first = read_records(tmp_path / "r.jsonl", tok)
    assert first[0].prompt == "gray" and len(first[0].codes) == 64
    (tmp_path / "a.png").unlink()  # the cache answers now
    assert read_records(tmp_path / "r.jsonl", tok)[0].codes == first[0].codes
