"""Launch a training run from the command line: resolve the config, open the run in the run store (rank 0 only
under torchrun), train, write the summary; any config / data / weights error becomes one `error:` line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rgbench.console import fail


def train_run(kind: str, config: str | None, overrides: list[str] | None, device: str | None, run_id: str | None,
             root: Path | None, provenance: Callable[[Any], dict], train: Callable[..., dict],
             errors: tuple[type[Exception], ...] = (), stop_after: int | None = None) -> tuple[Path, dict] | None:
    """Resolve a training config and run it in the run store; under torchrun only rank 0 owns the run folder and
    the other ranks train and join the collectives (they return None). With `stop_after` the run trains at most
    that many steps, checkpoints and is left `paused` (no summary); a rerun continues it."""
    from rgbench.catalog import load_catalog
    from rgbench.config import ConfigError, load_config
    from rgbench.devices import resolve_device
    from rgbench.policy.model import PolicyLoadError
    from rgbench.registry import RegistryError
    from rgbench.runs import Run, RunError, default_run_id, results_root
    from rgbench.train.distributed import init_distributed
    from rgbench.weights import WeightsNotFound

    load_catalog()
    try:
        cfg = load_config(kind, config, overrides)
        rid = run_id or default_run_id(kind, config or "default", cfg)
        ctx = init_distributed(resolve_device(device))  # torchrun: one process per device; else one process
        if not ctx.is_main:
            ctx.barrier()
            train(results_root(root) / rid, cfg, device, ctx, stop_after=stop_after)
            return None
        with Run.open(root, rid, cfg, kind=f"train-{kind}", seed=cfg.train.seed, device=device or "auto",
                      provenance={**provenance(cfg), "world_size": ctx.world}) as run:
            ctx.barrier()
            summary = train(run.dir, cfg, device, ctx, stop_after=stop_after)
            if summary.get("paused"):
                run.close("paused")
            else:
                run.write_summary(summary)
    except (ConfigError, RegistryError, RunError, PolicyLoadError, WeightsNotFound, ValueError, *errors) as err:
        fail(str(err))
    return run.dir, summary
