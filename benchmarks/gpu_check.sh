#!/usr/bin/env bash
# The GPU check: one line per figure (bf16 generation at batch 1 vs 32 with SDPA and flash-attn, GenEval detector and
# CLIP batched vs one by one, one FSDP2 SFT step and one GRPO step on NCCL), each figure in its own process with a
# time limit, the whole under 8 minutes on one H100/H200. Needs no network: every model has random weights.
#   benchmarks/gpu_check.sh            # on a GPU machine, with rgbench installed in .venv (or $RGBENCH_VENV)
#   benchmarks/gpu_check.sh --smoke    # tiny shapes on the CPU (fp32, gloo): what tests/test_gpu_check.py runs
# Environment: RGBENCH_PYTHON (the interpreter), GPU_CHECK_TOTAL_S (default 470), GPU_CHECK_PART_S (default 200).
# Each figure's stderr goes to a log file in $GPU_CHECK_LOGS (default: a fresh temporary folder).
set -u
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
venv="${RGBENCH_VENV:-$repo/.venv}"
if [ -n "${RGBENCH_PYTHON:-}" ]; then py="$RGBENCH_PYTHON"
elif [ -x "$venv/bin/python" ]; then py="$venv/bin/python"
else py="python3"; fi
total="${GPU_CHECK_TOTAL_S:-470}"
part="${GPU_CHECK_PART_S:-200}"
logs="${GPU_CHECK_LOGS:-$(mktemp -d -t gpu-check-XXXXXX)}"
mkdir -p "$logs"
export PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}"

figures="$("$py" benchmarks/gpu_check.py --list)" || { echo "gpu_check: cannot list the figures with $py" >&2; exit 1; }
echo "gpu_check: $py, logs in $logs, ${total} s in all, ≤ ${part} s per figure $*"
end=$((SECONDS + total))
failed=0
for fig in $figures; do
  left=$((end - SECONDS))
  if [ "$left" -lt 20 ]; then
    echo "$fig: not run: the ${total} s budget is spent"
    continue
  fi
  limit=$((left < part ? left : part))
  start=$SECONDS
  out="$(timeout -k 10 "$limit" "$py" benchmarks/gpu_check.py "$fig" "$@" 2>"$logs/$fig.log")"
  rc=$?
  took=$((SECONDS - start))
  line="${out##*$'\n'}"  # the figure's line is its last line on stdout
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "$fig: timed out after ${limit} s (log: $logs/$fig.log)"; failed=1
  elif [ "$rc" -ne 0 ] || [ -z "$line" ]; then
    echo "$fig: failed (exit $rc): $(tail -n 1 "$logs/$fig.log") (log: $logs/$fig.log)"; failed=1
  else
    echo "$line [${took} s]"
  fi
done
exit "$failed"
