"""Run a few SFT steps (torchrun or plain python) and dump losses and a parameter summary to JSON.

    python -m torch.distributed.run --nproc_per_node 2 tests/helpers/dist_sft.py OUT.json CKPT_DIR

Also trains 2 steps, checkpoints, loads the checkpoint into a differently initialised policy and takes the third
step, to check that distributed checkpoints resume exactly.
"""

import sys
from dataclasses import replace

import torch
from launch import dump_result  # same folder: the script runs from there

from rgbench.toy.policy import build_toy_policy
from rgbench.train.distributed import init_distributed
from rgbench.train.sft import SFTOptions, SFTTrainer
from rgbench.train.sft_data import SFTRecord

RECORDS = [SFTRecord(f"r{k}", f"a {c} {s}", f"{c} {s} r{k % 4 + 1} c{k % 3 + 1}", [(k * 13 + i) % 97 for i in range(64)])
           for k, (c, s) in enumerate([("red", "circle"), ("blue", "square"), ("green", "cross"), ("white", "ring"),
                                       ("black", "diamond"), ("pink", "triangle"), ("brown", "circle")])]
OPTS = SFTOptions(steps=3, micro_batch=4, grad_accum=2, lr=3e-3, condition_dropout=0.3, seed=2)


def main(out: str, ckpt: str) -> None:
    ctx = init_distributed(torch.device("cpu"))
    opts = replace(OPTS, micro_batch=OPTS.micro_batch // ctx.world)  # per process: the same global micro-batches
    trainer = SFTTrainer(build_toy_policy(seed=0), RECORDS, opts, ctx=ctx)
    losses = [trainer.train_step() for _ in range(OPTS.steps)]
    state = trainer.export_state()
    first = SFTTrainer(build_toy_policy(seed=0), RECORDS, opts, ctx=ctx)
    resumed = [first.train_step()["loss"] for _ in range(2)]
    first.save(ckpt)
    second = SFTTrainer(build_toy_policy(seed=5), RECORDS, opts, ctx=ctx)
    second.load(ckpt)
    resumed.append(second.train_step()["loss"])
    dump_result(ctx, out, state, metrics=losses, resumed=resumed)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
