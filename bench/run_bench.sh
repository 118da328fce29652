#!/usr/bin/env bash
# Runs the Swift and the Python op benchmarks on this machine, one after the other, and prints them side by
# side with ratios. Goals (issue 2): Swift's per-op cost ≤ 0.5 × Python's; matmul within 5% of Python's.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$(scripts/setup_python_env.sh --print-python)"
swift_out="$(.build/release/mnemo-bench)"
python_out="$("$PY" bench/bench_ops.py)"
echo "threads: libtorch default (machine has $(nproc) cores); torch $("$PY" -c 'import torch; print(torch.__version__)')"
printf "%-24s %12s %12s %10s  %s\n" measurement swift python ratio meaning
while read -r name swift_value; do
  python_value="$(echo "$python_out" | awk -v n="$name" '$1 == n { print $2 }')"
  case "$name" in
    *_us) meaning="µs per op, swift/python (goal ≤ 0.5)"; ratio="$(awk -v s="$swift_value" -v p="$python_value" 'BEGIN { printf "%.3f", s / p }')" ;;
    *) meaning="GFLOP/s, swift/python (goal ≥ 0.95)"; ratio="$(awk -v s="$swift_value" -v p="$python_value" 'BEGIN { printf "%.3f", s / p }')" ;;
  esac
  printf "%-24s %12s %12s %10s  %s\n" "$name" "$swift_value" "$python_value" "$ratio" "$meaning"
done <<< "$swift_out"
