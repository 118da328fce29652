#!/usr/bin/env bash
# MiniMind's CPU benchmark: configs/minimind-cpu.toml in Mnemo (rotate-half RoPE, as Llama's) with its fast path
# (cpu_matmul = "onednn", fused = true), the same shapes in transformers' LlamaForCausalLM
# (bench/minimind_pytorch.py), the same Mnemo run without the fast path, and a Mnemo GPT of equal parameter count
# (4 layers × 128 wide, context 128, the same 6400-token vocabulary, fast path), alternated by bench/alternate.sh;
# prints the medians of Mnemo-MiniMind's tokens/s over each: `ratio=` (vs PyTorch), `ratio_unfused=` (vs itself
# without the fast path) and `ratio_gpt=` (vs Mnemo's GPT).
#
#   bench/bench_minimind.sh            (after `swift build -c release --product mnemo` and the Python venv)
#
# Environment: STEPS (200), PAIRS (5), THREADS (every side; default libtorch's), MNEMO (.build/release/mnemo),
# DATA (../shared/data/tinyshakespeare.txt), TOKENIZER (../shared/data/minimind/minimind2/tokenizer.json).
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS="${STEPS:-200}"
PAIRS="${PAIRS:-5}"
MNEMO="${MNEMO:-.build/release/mnemo}"
DATA="${DATA:-../shared/data/tinyshakespeare.txt}"
TOKENIZER="${TOKENIZER:-../shared/data/minimind/minimind2/tokenizer.json}"
[[ -x "$MNEMO" ]] || { echo "bench_minimind: no $MNEMO; run: swift build -c release --product mnemo" >&2; exit 1; }
PY="$(scripts/setup_python_env.sh --print-python)"
cmd() { local line; line="$(printf '%q ' "$@")"; printf '%s' "${line% }"; }
mt=(); pt=()
if [[ -n "${THREADS:-}" ]]; then mt=(--set "threads=$THREADS"); pt=(--threads "$THREADS"); fi
common=(--set "data=$DATA" --set "tokenizer=hf:$TOKENIZER" --set "max_iters=$STEPS" --set eval_interval=0
        --set eval_iters=1 --set eval_full=false ${mt[@]+"${mt[@]}"} --bench)
fast=(--set cpu_matmul=onednn --set fused=true)   # Mnemo's fast path (the preset's): oneDNN matmuls, fused head loss
unfused=(--set cpu_matmul=blas --set fused=false)
gpt=(--set model=gpt --set n_layer=4 --set n_head=4 --set n_embd=128 --set block_size=128 --set vocab_size=6400)
echo "bench_minimind: $PAIRS rounds, $STEPS steps each, threads ${THREADS:-default}, $(nproc) cores" >&2
bench/alternate.sh -n "$PAIRS" -r ratio,ratio_unfused,ratio_gpt -p bench_minimind \
  mnemo "$(cmd "$MNEMO" train configs/minimind-cpu.toml --set rope_layout=rotate_half "${fast[@]}" "${common[@]}") --out \"\$RUN_DIR\"" \
  pytorch-llama "$(cmd "$PY" bench/minimind_pytorch.py --steps "$STEPS" --data "$DATA" --tokenizer "$TOKENIZER" ${pt[@]+"${pt[@]}"})" \
  mnemo-unfused "set -o pipefail; $(cmd "$MNEMO" train configs/minimind-cpu.toml --set rope_layout=rotate_half "${unfused[@]}" "${common[@]}") --out \"\$RUN_DIR\" | sed 's/^mnemo ms_per_step/mnemo-unfused ms_per_step/'" \
  mnemo-gpt "set -o pipefail; $(cmd "$MNEMO" train configs/minimind-cpu.toml "${gpt[@]}" "${fast[@]}" "${common[@]}") --out \"\$RUN_DIR\" | sed 's/^mnemo ms_per_step/mnemo-gpt ms_per_step/'"
