#!/usr/bin/env bash
# The main job on a fresh machine: set up the virtualenv (CPU torch pin first), then run the most complete
# pipeline rgbench has today. Extra arguments go to the last command.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/setup.sh"
cd "$repo"
"$venv/bin/rgbench" env
