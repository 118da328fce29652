#!/usr/bin/env bash
# The looped GPT's all-layer loss at GPT-2's vocabulary, fused and unfused (`fused = true`: each layer's cross-entropy
# from its hidden states in chunks, Torch.linearCrossEntropy, never holding a layer's (B·T, V) logits): the looped
# study's shared 12 × 64 model (configs/looped-cpu.toml) on tinyshakespeare with the GPT-2 BPE tokenizer (50,257 ids),
# batch 4 × 64 tokens, `mnemo train --bench` for STEPS steps (the first 10 untimed), four variants alternated over
# ROUNDS rounds (bench/alternate.sh): the last layer's loss and every layer's, each unfused (libtorch's kernels one by
# one: `fused = false`, `cpu_matmul = "blas"`) and on the fast path (`fused = true`, `cpu_matmul = "onednn"`). Prints
# each variant's tok/s and peak resident memory per round, and the medians of the speed ratios to the unfused
# last-layer step; the all-layer step's cost against the last-layer step on the same path is ratio_last_fast /
# ratio_all_fast.
#
#   bench/bench_all_layer_loss.sh            # ROUNDS=5 STEPS=20 (MNEMO=.build/release/mnemo, GPT2=../shared/data/gpt2)
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${ROUNDS:-5}"
STEPS="${STEPS:-20}"
DATA="${DATA:-../shared/data/tinyshakespeare.txt}"
GPT2="${GPT2:-../shared/data/gpt2}"
MNEMO="${MNEMO:-.build/release/mnemo}"

die() { echo "bench_all_layer_loss: error: $*" >&2; exit 1; }
[[ -x "$MNEMO" ]] || die "mnemo binary not found at $MNEMO; build it with: swift build -c release --product mnemo"
[[ -f "$DATA" ]] || die "data file not found: $DATA"
[[ -d "$GPT2" ]] || die "GPT-2 tokenizer folder not found: $GPT2"
[[ "$STEPS" =~ ^[0-9]+$ && "$STEPS" -gt 10 ]] || die "STEPS must be an integer above 10 (the untimed warm-up), got '$STEPS'"

variant() {   # $1 label, $2 layer_loss, $3 fused, $4 cpu_matmul: the bench line relabelled from "mnemo" to $1
  printf 'set -o pipefail; '
  printf '%q ' "$MNEMO" train configs/looped-cpu.toml --set "data=$DATA" --set "tokenizer=gpt2:$GPT2" \
    --set share_block=true --set share_final_norm=true --set "layer_loss=$2" --set "fused=$3" --set "cpu_matmul=$4" \
    --set batch_size=4 --set "max_iters=$STEPS" --set warmup_iters=0 --set eval_interval=0 --set eval_iters=1 \
    --set eval_full=false --set sample_tokens=0 --bench --quiet
  printf -- '--out "$RUN_DIR" 2>&1 | sed -e "s/^mnemo /%s /"' "$1"
}

bench/alternate.sh -n "$ROUNDS" -p bench_all_layer_loss -r ratio_last_fast,ratio_all,ratio_all_fast \
  last "$(variant last last false blas)" last_fast "$(variant last_fast last true onednn)" \
  all "$(variant all all false blas)" all_fast "$(variant all_fast all true onednn)"
