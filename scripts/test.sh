#!/usr/bin/env bash
# The test suite, on a fresh machine: set up the virtualenv (CPU torch pin first), then run pytest.
# Extra arguments go to pytest, e.g. scripts/test.sh -k config
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/setup.sh"
cd "$repo"
set +e
"$venv/bin/python" -m pytest tests "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi
exit "$rc"
