#!/usr/bin/env bash
# GPT-2 encoding throughput: MnemoData (Swift, release build) against tiktoken, same input, same machine, one run.
#
#   bench/run_bench_tokenizer.sh [FILE] [REPEAT]     default ../shared/data/tinyshakespeare.txt, repeated 10 times
#
#   MNEMO_BUILD=.build-tok   the SwiftPM scratch folder (default .build); the benchmark is built there if missing
#   THREADS=N                threads for the parallel runs (default: all cores)
#
# Needs the Python venv (scripts/setup_python_env.sh) with tiktoken (`pip install tiktoken`); the tiktoken cache
# is made offline from shared/data/gpt2 by make_tiktoken_cache.sh. Goal: ratio swift/tiktoken >= 1.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="$(cd .. && pwd)/shared/data"
FILE="${1:-$DATA/tinyshakespeare.txt}"
REPEAT="${2:-10}"
BUILD="${MNEMO_BUILD:-.build}"
THREADS="${THREADS:-$(nproc)}"

BENCH="$BUILD/release/mnemo-bench-tokenizer"
if [[ ! -x "$BENCH" ]]; then
  swift build -c release --scratch-path "$BUILD" --product mnemo-bench-tokenizer >&2
fi
PY="$(scripts/setup_python_env.sh --print-python)"
if ! "$PY" -c 'import tiktoken' 2>/dev/null; then
  echo "error: tiktoken is not installed in $PY's environment. hint: \"$PY\" -m pip install tiktoken" >&2
  exit 1
fi
CACHE="$(mktemp -d)"
trap 'rm -rf "$CACHE"' EXIT
"$DATA/gpt2/make_tiktoken_cache.sh" "$CACHE" >/dev/null

swift_out="$("$BENCH" --gpt2 "$DATA/gpt2" --repeat "$REPEAT" --threads "$THREADS" "$FILE")"
python_out="$(TIKTOKEN_CACHE_DIR="$CACHE" "$PY" bench/bench_tokenizer.py --repeat "$REPEAT" --threads "$THREADS" "$FILE")"
value() { echo "$1" | awk -v n="$2" '$1 == n { print $2 }'; }

echo "input: $FILE × $REPEAT = $(value "$swift_out" bytes) bytes; $THREADS threads; machine has $(nproc) cores; tiktoken $("$PY" -c 'import tiktoken; print(tiktoken.__version__)')"
if [[ "$(value "$swift_out" tokens)" != "$(value "$python_out" tokens)" ]]; then
  echo "error: token counts differ: swift $(value "$swift_out" tokens), tiktoken $(value "$python_out" tokens)" >&2
  exit 1
fi
echo "tokens: $(value "$swift_out" tokens) (both); swift load time $(value "$swift_out" load_s) s"
printf "%-22s %12s %12s %8s  %s\n" measurement swift tiktoken ratio meaning
for name in single_mb_s multi_mb_s; do
  s="$(value "$swift_out" "$name")"; p="$(value "$python_out" "$name")"
  printf "%-22s %12s %12s %8s  %s\n" "$name" "$s" "$p" "$(awk -v s="$s" -v p="$p" 'BEGIN { printf "%.2f", s / p }')" \
    "MB/s, swift/tiktoken (goal >= 1)"
done
