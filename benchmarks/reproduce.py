"""Wall time and peak memory of `rgbench reproduce` for a preset, measured in one run and recorded in the
reproduction folder (`benchmark.json`), against the preset's budget (toy-quick ≤ 3 minutes, toy ≤ 30 minutes
per seed, ≤ 4 GiB); for the toy presets also the toy paper's targets (rgbench.analysis.targets: plan following,
the GenEval orderings), printed one per line and kept in `targets.md`.

    python benchmarks/reproduce.py --preset toy-quick --out /tmp/repro-quick
    python benchmarks/reproduce.py --preset toy --seeds 3 --out /tmp/repro-toy   # = rgbench reproduce --preset toy --seeds 3, timed

Run it on a fresh folder: stages already done are skipped and would not be timed. The numbers depend on the
machine (2 CPU cores here); the script prints them with the core count and torch's thread count.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

BUDGET_S = {"toy-quick": 180, "toy": 1800}
BUDGET_RSS_GIB = 4.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="toy-quick")
    parser.add_argument("--seeds", type=int, default=None, help="Seeds [default: the preset's].")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if (args.out / "stages.jsonl").exists():
        sys.exit(f"{args.out} already holds stages: use a fresh folder, or the finished stages are not timed")
    import torch

    from rgbench.catalog import load_catalog
    from rgbench.config import load_config
    from rgbench.reproduce import reproduce
    from rgbench.results import write_json

    load_catalog()
    cfg = load_config("reproduce", args.preset, [f"seeds={args.seeds}"] if args.seeds else [])
    start = time.perf_counter()
    reproduce(cfg, args.out, say=lambda m: print(m, flush=True))
    seconds = time.perf_counter() - start
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux reports KiB
    budget = BUDGET_S.get(args.preset)
    per_seed = seconds / cfg.seeds
    result = {"preset": args.preset, "seeds": cfg.seeds, "seconds": round(seconds, 1),
              "seconds_per_seed": round(per_seed, 1), "budget_seconds_per_seed": budget,
              "peak_rss_gib": round(peak_gib, 2), "budget_rss_gib": BUDGET_RSS_GIB, "cpus": os.cpu_count(),
              "torch_threads": torch.get_num_threads()}
    write_json(args.out / "benchmark.json", result)
    if (args.out / "plans" / "plans.json").is_file():  # the toy presets: what the toy paper is meant to show
        from rgbench.analysis.targets import targets_markdown, toy_targets
        from rgbench.results import write_atomic

        targets = toy_targets(args.out)
        write_atomic(args.out / "targets.md", targets_markdown(targets))
        for target in targets:
            print(target.line())
    print(f"{args.preset}: {per_seed:.0f} s per seed (budget {budget} s: {per_seed / budget:.2f}×), peak RSS "
          f"{peak_gib:.2f} GiB (budget {BUDGET_RSS_GIB} GiB: {peak_gib / BUDGET_RSS_GIB:.2f}×) on {os.cpu_count()} "
          f"CPUs, {torch.get_num_threads()} torch threads")


if __name__ == "__main__":
    main()
