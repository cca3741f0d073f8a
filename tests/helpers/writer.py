"""A resumable job used by the SIGKILL test: squares 0..n-1 in batches, one run-store row per number.

usage: python -m tests.helpers.writer ROOT DELAY_SECONDS
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from rgbench.runs import Run


@dataclass
class JobCfg:
    n: int = 120
    batch: int = 4


def main(root: str, delay: float) -> None:
    cfg = JobCfg()
    with Run.open(root, "squares", cfg, kind="test-job", seed=0, provenance={"benchmark": "squares"}) as run:
        todo = [i for i in range(cfg.n) if str(i) not in run.samples]
        for start in range(0, len(todo), cfg.batch):
            batch = todo[start:start + cfg.batch]
            run.raw("outputs").append([{"key": str(i), "value": i * i} for i in batch])
            run.samples.append([{"key": str(i), "square": i * i, "even": i % 2 == 0,
                                 **run.provenance} for i in batch])
            time.sleep(delay)
        run.write_summary({"rows": len(run.samples)})


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
