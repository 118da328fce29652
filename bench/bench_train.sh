#!/usr/bin/env bash
# Training benchmark: `mnemo train` against PyTorch's nanoGPT loop on the same config, same machine, in
# alternating rounds, reporting the median ratio (one run of each swings 0.8–1.4 on a shared machine).
#
#   bench/bench_train.sh                 (make bench-train builds mnemo first, then runs this)
#
# Each round runs, one after the other (bench/alternate.sh does the alternation and the statistics):
#   mnemo             .build/release/mnemo train configs/shakespeare-char-cpu.toml --set data=<DATA>
#                         --set max_iters=<STEPS> --set eval_interval=0 --set eval_full=false
#                         --set cpu_matmul=onednn --set fused=true --out <fresh folder> --bench
#                     (Mnemo's fast path: linear layers and attention on oneDNN, the head's loss fused)
#   mnemo-unfused     the same with --set cpu_matmul=blas --set fused=false (libtorch's kernels one by one, as
#                     PyTorch eager runs them); the preset itself sets the fast path
#   pytorch           bench/train_pytorch.py --steps <STEPS>             (eager, nanoGPT's CPU loop as it is)
#   pytorch-compile-fused
#                     bench/train_pytorch.py --steps <STEPS> --compile --fused --warmup-steps <COMPILE_WARMUP>
#                     (torch.compile and fused AdamW: what a PyTorch user picks for speed; skip it with COMPILED=0)
# All run STEPS optimizer steps (shakespeare-char-cpu, float32, CPU); mnemo and eager PyTorch time all but
# their first 10, the compiled side all but its first COMPILE_WARMUP (its first step compiles). Each prints
# one final line `<label> ms_per_step=... tok_per_s=... peak_rss_mb=... final_loss=...`; this script prints
# every round's lines and per-round ratios, each side's median tok/s, and then
#     ratio_unfused=R (median of 5 pairs; min …, max …)    mnemo tok/s / mnemo-unfused tok/s
#     ratio=R (median of 5 pairs; min …, max …)            mnemo tok/s / eager PyTorch tok/s
#     ratio_compiled=R (median of 5 pairs; min …, max …)   mnemo tok/s / compiled PyTorch tok/s
# (3 decimals; > 1: Mnemo faster). Only these lines start with `ratio`.
#
# Environment (all optional):
#   PAIRS=5                                     rounds (mnemo, pytorch[, compiled] once each per round)
#   STEPS=200                                   optimizer steps for every side
#   COMPILED=1                                  0: skip the torch.compile side (no `ratio_compiled=` line)
#   COMPILE_WARMUP=20                           untimed first steps of the compiled side (below STEPS)
#   DATA=../shared/data/tinyshakespeare.txt     the text, relative to the repository root
#   MNEMO=.build/release/mnemo                  the mnemo binary (build: swift build -c release --product mnemo)
#   CONFIG=configs/shakespeare-char-cpu.toml    the mnemo config
#   THREADS=                                    if set, every side uses this many intra-op threads
#                                               (train_pytorch.py --threads, mnemo --set threads=); else
#                                               libtorch's default
#   TORCHINDUCTOR_CACHE_DIR=                    Inductor's kernel cache. If unset, a temporary one (and a
#                                               temporary TMPDIR for the compiled side, where Inductor puts
#                                               its precompiled headers), so the first round compiles from
#                                               scratch, later rounds reuse it, and nothing is left behind
# Temporary folders (mnemo's run folders, the Inductor cache) are removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

PAIRS="${PAIRS:-5}"
STEPS="${STEPS:-200}"
COMPILED="${COMPILED:-1}"
COMPILE_WARMUP="${COMPILE_WARMUP:-20}"
DATA="${DATA:-../shared/data/tinyshakespeare.txt}"
MNEMO="${MNEMO:-.build/release/mnemo}"
CONFIG="${CONFIG:-configs/shakespeare-char-cpu.toml}"

die() { echo "bench_train: error: $*" >&2; exit 1; }

[[ -x "$MNEMO" ]] || die "mnemo binary not found at $MNEMO; build it with: swift build -c release --product mnemo (or set MNEMO=/path/to/mnemo)"
[[ -f "$CONFIG" ]] || die "config not found: $CONFIG"
[[ -f "$DATA" ]] || die "data file not found: $DATA (set DATA=/path/to/tinyshakespeare.txt)"
[[ "$PAIRS" =~ ^[0-9]+$ && "$PAIRS" -ge 1 ]] || die "PAIRS must be a positive integer, got '$PAIRS'"
[[ "$STEPS" =~ ^[0-9]+$ && "$STEPS" -gt 10 ]] || die "STEPS must be an integer above 10 (the untimed warm-up), got '$STEPS'"
[[ "$COMPILED" == 0 || "$COMPILED" == 1 ]] || die "COMPILED must be 0 or 1, got '$COMPILED'"
if [[ "$COMPILED" == 1 ]]; then
  [[ "$COMPILE_WARMUP" =~ ^[0-9]+$ && "$COMPILE_WARMUP" -lt "$STEPS" ]] \
    || die "COMPILE_WARMUP must be an integer below STEPS ($STEPS), got '$COMPILE_WARMUP'"
fi
[[ -z "${THREADS:-}" || "$THREADS" =~ ^[1-9][0-9]*$ ]] || die "THREADS must be a positive integer, got '$THREADS'"

PY="$(scripts/setup_python_env.sh --print-python)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/mnemo-bench-train.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
compile_env=()
if [[ -z "${TORCHINDUCTOR_CACHE_DIR:-}" ]]; then
  mkdir "$tmp/inductor" "$tmp/pytmp"
  compile_env=(env "TORCHINDUCTOR_CACHE_DIR=$tmp/inductor" "TMPDIR=$tmp/pytmp")
fi

# cmd WORD…: the words as one shell-quoted command line, for bench/alternate.sh
cmd() { local line; line="$(printf '%q ' "$@")"; printf '%s' "${line% }"; }

threads_arg=()
mnemo_threads=()
if [[ -n "${THREADS:-}" ]]; then threads_arg=(--threads "$THREADS"); mnemo_threads=(--set "threads=$THREADS"); fi

fast=(--set cpu_matmul=onednn --set fused=true)
unfused=(--set cpu_matmul=blas --set fused=false)
sides=(
  mnemo "$(cmd "$MNEMO" train "$CONFIG" --set "data=$DATA" --set "max_iters=$STEPS" --set eval_interval=0 \
    --set eval_full=false "${fast[@]}" ${mnemo_threads[@]+"${mnemo_threads[@]}"} --bench) --out \"\$RUN_DIR\""
  mnemo-unfused "set -o pipefail; $(cmd "$MNEMO" train "$CONFIG" --set "data=$DATA" --set "max_iters=$STEPS" "${unfused[@]}" \
    --set eval_interval=0 --set eval_full=false ${mnemo_threads[@]+"${mnemo_threads[@]}"} --bench) --out \"\$RUN_DIR\" \
    | sed 's/^mnemo ms_per_step/mnemo-unfused ms_per_step/'"
  pytorch "$(cmd "$PY" bench/train_pytorch.py --steps "$STEPS" --data "$DATA" ${threads_arg[@]+"${threads_arg[@]}"})"
)
names=ratio_unfused,ratio
if [[ "$COMPILED" == 1 ]]; then
  sides+=(pytorch-compile-fused "$(cmd ${compile_env[@]+"${compile_env[@]}"} "$PY" bench/train_pytorch.py --steps "$STEPS" --data "$DATA" --compile --fused \
    --warmup-steps "$COMPILE_WARMUP" ${threads_arg[@]+"${threads_arg[@]}"})")
  names=ratio_unfused,ratio,ratio_compiled
fi

echo "bench_train: $PAIRS rounds of $((${#sides[@]} / 2)) sides, $STEPS steps each, threads ${THREADS:-default}," \
  "$(nproc) cores" >&2
bench/alternate.sh -n "$PAIRS" -m tok_per_s -r "$names" -p bench_train "${sides[@]}"
