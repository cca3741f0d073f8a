#!/usr/bin/env bash
# Create (or reuse) rgbench's virtualenv and install rgbench into it, never pulling a CUDA torch on a CPU machine.
#   RGBENCH_VENV  where the virtualenv lives (default: .venv in the repository)
#   PYTHON        the interpreter that creates it (default: python3)
# Sourced by quickstart.sh and test.sh; prints the venv's python on the last line when run directly.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${RGBENCH_VENV:-$repo/.venv}"
py="${PYTHON:-python3}"
TORCH_CPU_PIN="torch==2.13.0"

if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
pip_install() { "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@"; }

if ! "$venv/bin/python" -c "import torch" >/dev/null 2>&1; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    pip_install "torch>=2.6"          # a GPU machine: the default (CUDA) build
  else
    pip_install "$TORCH_CPU_PIN"      # CPU machine: the CPU wheel first, so nothing below pulls a CUDA build
  fi
fi
pip_install -e "$repo[dev]"
if [ "${BASH_SOURCE[0]}" = "$0" ]; then echo "$venv/bin/python"; fi
