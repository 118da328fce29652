#!/usr/bin/env bash
# Speed of one grokking-study arm (the demo's MLP, full batch) in Mnemo and in PyTorch, same machine, one run:
# prints both lines and `ratio=<mnemo steps/s / pytorch steps/s>` (> 1: Mnemo faster).
#
#   bench/bench_grok.sh
#
# Environment (all optional):
#   ARM=b1-orth-adamw-wd0       the arm (see bench/grok_pytorch.py for those it knows)
#   STEPS=200                   optimizer steps for both; the first 5 are not timed, evaluations never are
#   THREADS=1                   libtorch / torch intra-op threads for both (the demo runs each arm with one)
#   MNEMO=.build/release/mnemo  the mnemo binary (build: swift build -c release --product mnemo)
# The temporary run folder is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

ARM="${ARM:-b1-orth-adamw-wd0}"
STEPS="${STEPS:-200}"
THREADS="${THREADS:-1}"
MNEMO="${MNEMO:-.build/release/mnemo}"

die() { echo "bench_grok: error: $*" >&2; exit 1; }
[[ -x "$MNEMO" ]] || die "mnemo binary not found at $MNEMO; build it with: swift build -c release --product mnemo (or set MNEMO=...)"
[[ "$STEPS" =~ ^[0-9]+$ && "$STEPS" -gt 5 ]] || die "STEPS must be an integer above 5, got '$STEPS'"

PY="$(scripts/setup_python_env.sh --print-python)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/mnemo-bench-grok.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
field() { tr ' ' '\n' <<< "$2" | sed -n "s/^$1=//p"; }

echo "bench_grok: $ARM, $STEPS steps, $THREADS thread(s), $(nproc) cores" >&2
python_out="$("$PY" bench/grok_pytorch.py --arm "$ARM" --steps "$STEPS" --threads "$THREADS")" \
  || die "bench/grok_pytorch.py failed: $python_out"
pytorch_line="$(grep '^pytorch steps_per_s=' <<< "$python_out" | tail -n 1)"
mnemo_out="$("$MNEMO" grok --suite full --arm "$ARM" --steps "$STEPS" --eval-every 0 --threads "$THREADS" --out "$tmp")" \
  || die "$MNEMO grok failed: $mnemo_out"
mnemo_line="$(grep '^mnemo-grok ' <<< "$mnemo_out" | tail -n 1)"
[[ -n "$pytorch_line" && -n "$mnemo_line" ]] || die "missing result lines: '$pytorch_line' / '$mnemo_line'"

echo "$pytorch_line"
echo "$mnemo_line"
awk -v m="$(field steps_per_s "$mnemo_line")" -v p="$(field steps_per_s "$pytorch_line")" \
  'BEGIN { if (p <= 0) exit 1; printf "ratio=%.3f  (mnemo steps/s / pytorch steps/s)\n", m / p }'
