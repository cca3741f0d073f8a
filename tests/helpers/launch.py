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
