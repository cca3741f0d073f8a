"""Batch sizes split over processes as the release means them: micro-batches per process, steps global."""

import pytest

from rgbench.catalog import load_catalog
from rgbench.config import load_config, presets
from rgbench.train.grpo import GRPOOptions
from rgbench.train.sft import SFTOptions
from rgbench.train.topology import TopologyError, grpo_split, sft_split


def test_release_sft_batch_is_global_and_accumulation_follows_the_process_count():
    opts = SFTOptions(batch_size=128, micro_batch=4)
    assert sft_split(opts, 4).grad_accum == 8  # the release: 4 GPUs × micro 4 × accumulation 8
    assert (sft_split(opts, 1).grad_accum, sft_split(opts, 8).grad_accum) == (32, 4)
    assert {sft_split(opts, p).batch_size for p in (1, 2, 4, 8)} == {128}
    assert sft_split(opts, 4).global_micro == 16


def test_sft_without_batch_size_accumulates_per_process():
    split = sft_split(SFTOptions(micro_batch=4, grad_accum=2), 2)
    assert (split.global_micro, split.batch_size, split.grad_accum) == (8, 16, 2)


def test_sft_batch_that_does_not_split_names_the_fields_and_the_fix():
    with pytest.raises(TopologyError) as err:
        sft_split(SFTOptions(batch_size=128, micro_batch=4), 3)
    message = str(err.value)
    assert "train.batch_size 128" in message and "train.micro_batch 4" in message
    assert "process count dividing 32 (1, 2, 4, 8, 16, 32)" in message
    with pytest.raises(TopologyError, match="not both"):
        sft_split(SFTOptions(batch_size=128, micro_batch=4, grad_accum=8), 4)


def test_paper_grpo_micro_batch_is_per_process():
    opts = GRPOOptions(prompts_per_step=32, samples_per_prompt=8, mini_batch_prompts=16, micro_batch=2)
    split = grpo_split(opts, 8)
    # 16 prompts × 8 samples = 128 sequences per mini-batch, 16 per GPU, 8 micro-batches of 2: method.md's
    # (256 / 8) / 2 = 16 α steps per rank per RL step over the 2 mini-batches
    assert (split.mini_batch_sequences, split.micro_batches, split.global_micro) == (128, 8, 16)
    assert grpo_split(opts, 1).micro_batches == 64


def test_grpo_sizes_that_do_not_split_name_the_fields_and_the_fix():
    opts = GRPOOptions(prompts_per_step=32, samples_per_prompt=8, mini_batch_prompts=16, micro_batch=3)
    with pytest.raises(TopologyError) as err:
        grpo_split(opts, 8)
    assert "train.micro_batch 3" in str(err.value) and "one of 1, 2, 4, 8, 16" in str(err.value)
    with pytest.raises(TopologyError, match="does not split over 3 processes"):
        grpo_split(GRPOOptions(prompts_per_step=32, samples_per_prompt=8, mini_batch_prompts=16, micro_batch=2), 3)
    with pytest.raises(TopologyError, match="multiple of train.mini_batch_prompts"):
        grpo_split(GRPOOptions(prompts_per_step=6, mini_batch_prompts=4), 1)


def paper_training_configs():
    """(kind, config, processes) of every training stage of the paper reproduction, as it resolves them."""
    load_catalog()
    repro = load_config("reproduce", "paper")
    stages = [("sft", load_config("sft", repro.sft_preset, repro.sft_overrides))]
    stages += [("grpo", load_config("grpo", arm.preset, arm.overrides)) for arm in repro.arms]
    return [(kind, cfg, repro.processes[kind]) for kind, cfg in stages]


def test_every_paper_stage_splits_at_the_release_topology():
    seen = set()
    for kind, cfg, processes in paper_training_configs():
        split = (sft_split if kind == "sft" else grpo_split)(cfg.train, processes)
        seen.add((kind, processes, split.micro_batch))
    assert seen == {("sft", 4, 4), ("grpo", 8, 2)}


@pytest.mark.parametrize("kind", ["sft", "grpo"])
def test_every_shipped_training_preset_splits_on_one_process(kind):
    load_catalog()
    split = sft_split if kind == "sft" else grpo_split
    for name in presets(kind):
        split(load_config(kind, name).train, 1)
