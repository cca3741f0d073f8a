"""Launch a helper script on 1 process (plain python) or N gloo processes (torchrun) and read its JSON output."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent


def run_helper(helper: Path, tmp_path: Path, name: str, processes: int, port_offset: int = 0) -> dict:
    out, ckpt = tmp_path / f"{name}.json", tmp_path / f"{name}-ckpt"
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes),
                "--master_port", str(29500 + port_offset + os.getpid() % 1000)] if processes > 1 else [sys.executable]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([*launcher, str(helper), str(out), str(ckpt)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


def dump_result(ctx, out: str, state: dict, **fields) -> None:
    """Rank 0 writes the world size, a fingerprint of the trained weights (the first 64 lm_head values and every
    tensor's norm) and `fields` to `out`; then the process group is closed."""
    import torch

    if ctx.is_main:
        head = state["janus.lm_head.weight"].flatten()[:64].tolist()
        norms = {k: float(v.float().norm()) for k, v in state.items() if v.is_floating_point()}
        with open(out, "w") as f:
            json.dump({"world": ctx.world, "lm_head": head, "norms": norms, **fields}, f)
    if ctx.enabled:
        torch.distributed.destroy_process_group()
