#!/usr/bin/env bash
# Training benchmark: PyTorch's nanoGPT loop and `mnemo train` on the same config, same machine, one run.
#
#   bench/bench_train.sh
#
# Runs bench/train_pytorch.py (shakespeare-char-cpu, float32, CPU) and then
#   .build/release/mnemo train configs/shakespeare-char-cpu.toml --set data=<DATA> --set max_iters=<STEPS>
#       --set eval_interval=0 --out <fresh temporary folder> --bench
# Each prints one final line `<name> ms_per_step=... tok_per_s=... peak_rss_mb=... final_loss=...`. This
# script prints both lines, then `ratio=<mnemo tok_per_s / pytorch tok_per_s>` (3 decimals; > 1: Mnemo faster).
#
# Environment (all optional):
#   STEPS=200                                   optimizer steps for both (PyTorch times all but its first 10)
#   DATA=../shared/data/tinyshakespeare.txt     the text, relative to the repository root
#   MNEMO=.build/release/mnemo                  the mnemo binary (build: swift build -c release --product mnemo)
#   CONFIG=configs/shakespeare-char-cpu.toml    the mnemo config
#   THREADS=                                    if set, both use this many intra-op threads (train_pytorch.py
#                                               --threads, mnemo --set threads=); else libtorch's default
# The temporary output folder is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

STEPS="${STEPS:-200}"
DATA="${DATA:-../shared/data/tinyshakespeare.txt}"
MNEMO="${MNEMO:-.build/release/mnemo}"
CONFIG="${CONFIG:-configs/shakespeare-char-cpu.toml}"

die() { echo "bench_train: error: $*" >&2; exit 1; }

[[ -x "$MNEMO" ]] || die "mnemo binary not found at $MNEMO; build it with: swift build -c release --product mnemo (or set MNEMO=/path/to/mnemo)"
[[ -f "$CONFIG" ]] || die "config not found: $CONFIG"
[[ -f "$DATA" ]] || die "data file not found: $DATA (set DATA=/path/to/tinyshakespeare.txt)"
[[ "$STEPS" =~ ^[0-9]+$ ]] || die "STEPS must be a positive integer, got '$STEPS'"

PY="$(scripts/setup_python_env.sh --print-python)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/mnemo-bench-train.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# field NAME LINE: the value of NAME=... in LINE
field() { tr ' ' '\n' <<< "$2" | sed -n "s/^$1=//p"; }

# last_line PREFIX OUTPUT: the last line of OUTPUT that starts with "PREFIX ms_per_step="
last_line() { grep "^$1 ms_per_step=" <<< "$2" | tail -n 1 || true; }

threads_arg=()
mnemo_threads=()
if [[ -n "${THREADS:-}" ]]; then threads_arg=(--threads "$THREADS"); mnemo_threads=(--set "threads=$THREADS"); fi

echo "bench_train: PyTorch, $STEPS steps ($(nproc) cores)" >&2
python_out="$("$PY" bench/train_pytorch.py --steps "$STEPS" --data "$DATA" ${threads_arg[@]+"${threads_arg[@]}"})" \
  || die "bench/train_pytorch.py failed; its output was:
$python_out"
pytorch_line="$(last_line pytorch "$python_out")"
[[ -n "$pytorch_line" ]] || die "bench/train_pytorch.py printed no 'pytorch ms_per_step=...' line; its output was:
$python_out"

echo "bench_train: mnemo, $STEPS steps" >&2
mnemo_out="$("$MNEMO" train "$CONFIG" --set "data=$DATA" --set "max_iters=$STEPS" --set eval_interval=0 \
  --set eval_full=false ${mnemo_threads[@]+"${mnemo_threads[@]}"} --out "$tmp" --bench)" || die "$MNEMO train failed; its output was:
$mnemo_out"
mnemo_line="$(last_line mnemo "$mnemo_out")"
[[ -n "$mnemo_line" ]] || die "$MNEMO train printed no 'mnemo ms_per_step=...' line; its output was:
$mnemo_out"

pytorch_tps="$(field tok_per_s "$pytorch_line")"
mnemo_tps="$(field tok_per_s "$mnemo_line")"
[[ -n "$pytorch_tps" && -n "$mnemo_tps" ]] || die "tok_per_s missing in: '$pytorch_line' / '$mnemo_line'"

echo "$pytorch_line"
echo "$mnemo_line"
awk -v m="$mnemo_tps" -v p="$pytorch_tps" 'BEGIN { if (p <= 0) exit 1; printf "ratio=%.3f\n", m / p }' \
  || die "cannot compute the ratio from tok_per_s $mnemo_tps / $pytorch_tps"
