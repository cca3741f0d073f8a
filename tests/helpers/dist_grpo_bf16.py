"""One GRPO step under torchrun with bf16 autocast (the GPU setting, here on gloo CPU processes): dump the
sampler's dtype, the step's metrics, and whether the exported weights are the fp32 trained ones.

    python -m torch.distributed.run --nproc_per_node 2 tests/helpers/dist_grpo_bf16.py OUT.json SCRATCH
"""

import json
import sys
from dataclasses import replace

import torch
from dist_grpo import OPTS, PROMPTS, CoinJudge  # same folder: the script runs from there

from rgbench.toy.policy import build_toy_policy
from rgbench.train.distributed import init_distributed
from rgbench.train.grpo import GRPOTrainer


def main(out: str, scratch: str) -> None:
    ctx = init_distributed(torch.device("cpu"))
    opts = replace(OPTS, steps=1, micro_batch=OPTS.micro_batch // ctx.world)
    trainer = GRPOTrainer(build_toy_policy(seed=0), PROMPTS, CoinJudge(), opts, ctx, autocast=torch.bfloat16)
    row = trainer.train_step()[0]
    state = trainer.export_state()
    sampler = {p.dtype for p in trainer.sampler.parameters()}
    if ctx.is_main:
        head = state["janus.lm_head.weight"]
        sampled = trainer.sampler.state_dict()["janus.lm_head.weight"]
        json.dump({"world": ctx.world, "sampler_dtypes": sorted(map(str, sampler)), "export_dtype": str(head.dtype),
                   "sampler_is_bf16_of_export": bool(torch.equal(sampled, head.to(torch.bfloat16))),
                   "metrics": {k: v for k, v in row.items() if isinstance(v, (int, float))}}, open(out, "w"))
    if ctx.enabled:
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
