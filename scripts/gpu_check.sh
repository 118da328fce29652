#!/usr/bin/env bash
# The whole GPU check in one command, for a GPU machine that has Python with a CUDA PyTorch and no Swift:
#
#   scripts/gpu_check.sh            (in the repository root, with gpu-bundle/ from scripts/gpu_bundle.sh)
#
# It writes $OUT/results.md (OUT defaults to /tmp/gpu-check) and one log per part beside it:
#   1. the card (nvidia-smi) and the PyTorch it has; the bundle's binary runs against that PyTorch's torch/lib
#      (LD_LIBRARY_PATH), whose version must equal the headers it was built with;
#   2. `mnemo check --device cuda`: every op fixture case on the GPU against the PyTorch CPU references, and
#      the device behaviour the trainer needs (device generators, checkpointable CUDA stream, bf16 autocast,
#      allocator statistics)                                                             → check.log
#   3. GPT-2 124M training speed, build-nanogpt's per-GPU micro-batch (B 64, T 1024, bf16 autocast), 30 steps
#      of which the last 20 are timed: Mnemo, PyTorch eager, Mnemo, PyTorch eager (alternated), and at the end
#      (after part 4) PyTorch with torch.compile; ms/step, tokens/s, MFU against the card's dense bf16 peak,
#      peak memory; the table is written last
#                                                                                         → gpt2.log
#   6. (before 5's table) MiniMind's CPU preset on CUDA for 500 steps, and the KV-cache speed-up of generation on
#      the GPU (GPT and MiniMind)                                                        → minimind.log
#   4. the shakespeare-char CPU preset on CUDA, 2,000 steps: its losses (CPU reference: val 1.89–1.91) and
#      a sample drawn on the GPU; then `mnemo eval`/`sample --device cuda` of that run and a resume to 2,250
#      steps (the checkpointed CUDA generator)                                  → shakespeare.log, eval.txt, sample.txt
# Each part has a time limit; the whole takes about 5 minutes on an H100/H200. Exit status 1 if a part failed.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-/tmp/gpu-check}"
mkdir -p "$OUT"
R="$OUT/results.md"
: >"$R"
status=0
note() { echo "$*" | tee -a "$R"; }
fail() { note "**FAILED:** $*"; status=1; }

[[ -f gpu-bundle/mnemo.xz ]] || { echo "gpu_check: no gpu-bundle/mnemo.xz; run scripts/gpu_bundle.sh on the build machine and carry gpu-bundle" >&2; exit 2; }
TORCH_LIB="$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')" \
  || { echo "gpu_check: python3 has no torch" >&2; exit 2; }
export LD_LIBRARY_PATH="$TORCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
MNEMO=/tmp/mnemo-gpu
xz -dc gpu-bundle/mnemo.xz >"$MNEMO" && chmod +x "$MNEMO"
# The shim opens libtorch_cuda.so itself at start; should that ever find no device (ATen caches its CUDA hooks on
# first use), preloading the library is the fallback, and the results say so.
probe="$("$MNEMO" check --device cpu --fixtures /nonexistent 2>&1 | head -n 1)"
if [[ "$probe" == *"CUDA devices: 0"* ]]; then
  export LD_PRELOAD="$TORCH_LIB/libtorch_cuda.so"
  probe="$probe — retried with LD_PRELOAD=libtorch_cuda.so: $("$MNEMO" check --device cpu --fixtures /nonexistent 2>&1 | head -n 1)"
fi

note "# Mnemo GPU check — $(date -u +%Y-%m-%dT%H:%MZ)"
note ""
note "## 1. Machine"
note '```'
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,power.limit --format=csv 2>&1 | tee -a "$R"
python3 -c 'import torch; print("python torch", torch.__version__, "CUDA", torch.version.cuda, "| device:", torch.cuda.get_device_name(0))' 2>&1 | tee -a "$R"
sed 's/^/bundle: /' gpu-bundle/BUILD | tee -a "$R"
note "mnemo: $probe"
note '```'
GPU_NAME="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1)"
# Dense bf16 tensor-core peak (no sparsity) of the SXM parts: H100 989.4 TFLOP/s, H200 the same chip and clocks.
case "$GPU_NAME" in
  *H100*|*H200*) PEAK=989.4e12 ;;
  *A100*) PEAK=312e12 ;;
  *) PEAK=0 ;;
esac

note ""
note "## 2. Op fixtures and device behaviour on CUDA (\`mnemo check --device cuda\`)"
note '```'
timeout 90 "$MNEMO" check --device cuda --fixtures Tests/TorchTests/Fixtures >"$OUT/check.log" 2>&1 || fail "mnemo check --device cuda (exit $?)"
cat "$OUT/check.log" >>"$R"
note '```'

note ""
note "## 3. GPT-2 124M training step (B 64 × T 1024 = 65,536 tokens, bf16 autocast, fused AdamW, 20 timed steps after 10)"
G="$OUT/gpt2.log"
: >"$G"
mnemo_gpt2() {
  rm -rf /tmp/gpt2-run
  timeout 90 "$MNEMO" train configs/gpt2-124m.toml --set data=gpu-bundle/data/shakespeare-gpt2 --set device=cuda \
    --set batch_size=64 --set gradient_accumulation_steps=1 --set max_iters=30 --set warmup_iters=10 \
    --set lr_decay_iters=30 --set eval_interval=0 --set eval_iters=1 --set eval_full=false --set keep_checkpoints=1 \
    --out /tmp/gpt2-run --bench >>"$G" 2>&1 || fail "mnemo train gpt2-124m on CUDA (exit $?)"
}
pytorch_gpt2() {
  PYTHONUNBUFFERED=1 timeout "$2" python3 bench/gpt2_gpu_pytorch.py --data gpu-bundle/data/shakespeare-gpt2 \
    --batch 64 --block 1024 --steps 30 --warmup 10 $1 >>"$G" 2>&1 || fail "bench/gpt2_gpu_pytorch.py $1 (exit $?)"
}
mnemo_gpt2; pytorch_gpt2 "" 90; mnemo_gpt2; pytorch_gpt2 "" 90
note ""
note "## 4. shakespeare-char (configs/shakespeare-char-cpu.toml) on CUDA, 2,000 steps"
S="$OUT/shakespeare.log"
rm -rf /tmp/sc-cuda
start=$(date +%s)
timeout 150 "$MNEMO" train configs/shakespeare-char-cpu.toml --set data=gpu-bundle/data/tinyshakespeare.txt \
  --set device=cuda --out /tmp/sc-cuda --quiet >"$S" 2>&1 || fail "shakespeare-char on CUDA (exit $?)"
note '```'
grep -E '^(mnemo train:|step )' /tmp/sc-cuda/log.txt 2>/dev/null | tee -a "$R" >/dev/null
note "wall $(( $(date +%s) - start )) s including start-up and evaluations"
last_sample="$(ls /tmp/sc-cuda/samples 2>/dev/null | tail -n 1)"
if [[ -n "$last_sample" ]]; then
  note "sample drawn on the GPU ($last_sample):"
  head -c 300 "/tmp/sc-cuda/samples/$last_sample" | tee -a "$R" >/dev/null
  note ""
else
  fail "no sample was written"
fi
note '```'
note ""
note "The run again on CUDA: \`mnemo eval\` and \`mnemo sample\` on the GPU, and \`--resume --set max_iters=2250\` (the"
note "checkpointed CUDA generator restored):"
note '```'
timeout 60 "$MNEMO" eval /tmp/sc-cuda --device cuda >"$OUT/eval.txt" 2>&1 || fail "mnemo eval --device cuda (exit $?)"
cat "$OUT/eval.txt" >>"$R"
timeout 60 "$MNEMO" sample /tmp/sc-cuda --device cuda --tokens 80 --seed 7 >"$OUT/sample.txt" 2>&1 || fail "mnemo sample --device cuda (exit $?)"
head -c 200 "$OUT/sample.txt" >>"$R"; note ""
timeout 90 "$MNEMO" train --resume /tmp/sc-cuda --set max_iters=2250 --quiet >>"$S" 2>&1 || fail "resume on CUDA (exit $?)"
grep -E '^step 2250' /tmp/sc-cuda/log.txt | tee -a "$R" >/dev/null
note '```'
cp /tmp/sc-cuda/metrics.jsonl "$OUT/shakespeare-metrics.jsonl" 2>/dev/null || true
note ""
note "## 6. MiniMind (configs/minimind-cpu.toml, MiniMind2's tokenizer) on CUDA, 500 steps; KV-cache generation on the GPU"
M="$OUT/minimind.log"
rm -rf /tmp/mm-cuda
timeout 150 "$MNEMO" train configs/minimind-cpu.toml --set data=gpu-bundle/data/tinyshakespeare.txt \
  --set tokenizer=hf:gpu-bundle/data/minimind2-tokenizer.json --set device=cuda --set max_iters=500 \
  --set lr_decay_iters=500 --out /tmp/mm-cuda --quiet >"$M" 2>&1 || fail "minimind on CUDA (exit $?)"
note '```'
grep -E '^(mnemo train:|step )' /tmp/mm-cuda/log.txt 2>/dev/null | tee -a "$R" >/dev/null
timeout 120 "$MNEMO" sample /tmp/sc-cuda --device cuda --tokens 60 --compare-cache >>"$M" 2>&1 || fail "compare-cache on CUDA (exit $?)"
timeout 120 "$MNEMO" sample /tmp/mm-cuda --device cuda --tokens 100 --compare-cache >>"$M" 2>&1 || fail "compare-cache on CUDA (exit $?)"
grep -E '^(generate|  with|  without|kv_cache)' "$M" | tee -a "$R" >/dev/null
note '```'

note ""
note "## 5. GPT-2 124M step: Mnemo and PyTorch eager alternated, then PyTorch with torch.compile (its 10 untimed steps hold the compilation)"
pytorch_gpt2 --compile 200
FLOPS_PER_TOKEN="$(grep -o 'flops_per_token=[0-9]*' "$G" | head -n 1 | cut -d= -f2)"
note ""
note "| run | ms/step | tokens/s | MFU (of ${PEAK%e12} TFLOP/s) | peak allocated MiB | peak reserved MiB | loss at step 30 |"
note "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
grep -E '^(mnemo|pytorch-eager|pytorch-compile) ms_per_step=' "$G" | while read -r line; do
  name="${line%% *}"
  get() { tr ' ' '\n' <<<"$line" | sed -n "s/^$1=//p"; }
  ms="$(get ms_per_step)"; tps="$(get tok_per_s)"
  mfu="$(awk -v t="$tps" -v f="${FLOPS_PER_TOKEN:-0}" -v p="$PEAK" 'BEGIN { if (p > 0 && f > 0) printf "%.1f%%", 100 * t * f / p; else print "?" }')"
  note "| $name | $ms | $tps | $mfu | $(get peak_alloc_mb) | $(get peak_reserved_mb) | $(get final_loss) |"
done
note ""
note "flops per token (nanoGPT's 6N + 12·L·C·T): ${FLOPS_PER_TOKEN:-?}. Full output: gpt2.log."

note ""
note "gpu_check: exit $status"
exit "$status"
