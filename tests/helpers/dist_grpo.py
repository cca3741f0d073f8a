"""Run a few GRPO steps (torchrun or plain python) and dump the metrics and a weight summary to JSON.

    python -m torch.distributed.run --nproc_per_node 2 tests/helpers/dist_grpo.py OUT.json CKPT_DIR

Also trains 1 step, checkpoints, loads into a differently initialised policy and takes the second step, to check
that distributed GRPO checkpoints resume exactly.
"""

import hashlib
import sys
from dataclasses import replace

import torch
from launch import dump_result  # same folder: the script runs from there

from rgbench.policy.generate import GenerationOptions
from rgbench.toy.policy import build_toy_policy
from rgbench.train.distributed import init_distributed
from rgbench.train.grpo import AdaptiveEntropyOptions, EntropyOptions, GRPOOptions, GRPOTrainer
from rgbench.train.judges import Verdict

PROMPTS = [(f"p{i}", t) for i, t in enumerate(["a red circle", "two squares", "a blue triangle above a green cross",
                                              "a white ring", "three diamonds", "a black square left of a pink circle"])]
OPTS = GRPOOptions(steps=2, prompts_per_step=4, samples_per_prompt=4, mini_batch_prompts=2, micro_batch=4, lr=1e-3,
                   max_generation_batches=2, generation=GenerationOptions(cot=True, cfg_weight=1.0, max_cot_tokens=6),
                   entropy=EntropyOptions("adaptive", adaptive=AdaptiveEntropyOptions(0.5, 1.0, sync=True)))
TIMING = ("seconds_rollout", "seconds_reward", "seconds_update")


class CoinJudge:
    name = "coin"

    def judge(self, prompts, images):
        return [Verdict(float(hashlib.sha256(im.tobytes()).digest()[0] % 2), "coin") for im in images]


def main(out: str, ckpt: str) -> None:
    ctx = init_distributed(torch.device("cpu"))
    opts = replace(OPTS, micro_batch=OPTS.micro_batch // ctx.world)  # per process: the same global micro-batches
    trainer = GRPOTrainer(build_toy_policy(seed=0), PROMPTS, CoinJudge(), opts, ctx)
    rows = [{k: v for k, v in trainer.train_step()[0].items() if k not in TIMING} for _ in range(OPTS.steps)]
    state = trainer.export_state()
    first = GRPOTrainer(build_toy_policy(seed=0), PROMPTS, CoinJudge(), opts, ctx)
    first.train_step()
    first.save(ckpt)
    second = GRPOTrainer(build_toy_policy(seed=3), PROMPTS, CoinJudge(), opts, ctx)
    second.load(ckpt)
    resumed = {k: v for k, v in second.train_step()[0].items() if k not in TIMING}
    dump_result(ctx, out, state, metrics=rows, resumed=resumed)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
