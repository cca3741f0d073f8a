#!/usr/bin/env bash
# The main job on a fresh machine: set up the virtualenv (CPU torch pin first), then run the most complete
# pipeline rgbench has today: the toy world's contact sheet and its instruments' acceptance numbers, then
# CoT → image generation in GenEval's official layout with the (still untrained) toy policy, scored by the
# GenEval evaluator with the toy backends: the untrained floor (high on single and two objects, where any
# shape-like blob in the noise passes; low on counting, colours and position).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/setup.sh"
cd "$repo"
mkdir -p results
"$venv/bin/rgbench" toy show -o results/toy_sheet.png
"$venv/bin/rgbench" toy render "a photo of a red circle left of a blue square" -o results/toy_render.png
"$venv/bin/python" benchmarks/toy_world.py
"$venv/bin/rgbench" generate --model toy-init --benchmark toy-geneval --limit 8 --n 4 \
    --max-cot-tokens 32 --out results/toy-init-geneval
"$venv/bin/rgbench" eval geneval --images results/toy-init-geneval --results results
"$venv/bin/python" benchmarks/generation.py --batch 32
