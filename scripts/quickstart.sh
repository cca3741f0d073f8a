#!/usr/bin/env bash
# The main job on a fresh machine: set up the virtualenv (CPU torch pin first), then the toy reproduction of the
# whole paper: the shipped toy base → CoT SFT → the GRPO arms (main, no-SFT, small judge, entropy none / fixed)
# → generation and evaluation on toy GenEval, toy DPG-Bench and toy T2I-CompBench → CoT word figure, entropy
# curves, tables and an HTML report under results/reproduce-toy/. Rerun to resume after an interruption.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/setup.sh"
cd "$repo"
mkdir -p results
"$venv/bin/rgbench" toy show -o results/toy_sheet.png
"$venv/bin/rgbench" reproduce --preset toy --out results/reproduce-toy
