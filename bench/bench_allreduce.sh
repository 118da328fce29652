#!/usr/bin/env bash
# Data parallel on this machine, measured (issue: data-parallel training on c10d):
#   1. all-reduce latency / bandwidth between 2 CPU ranks, 1 KB … 64 MB: Mnemo's ProcessGroup against
#      torch.distributed.all_reduce, both Gloo, alternated PAIRS times (default 3); per size the median of the
#      per-pair time ratios (Mnemo / PyTorch; < 1 = Mnemo faster) with its range.
#   2. the training step of shakespeare-char-cpu on 2 ranks (batch 6 each) against 1 process (batch 12): the same
#      global batch. Two cores cannot show a speed-up; this measures the overhead.
# Needs the venv `make bench` creates (torchrun) and a release build with gloo (make setup installs libgloo-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$(scripts/setup_python_env.sh --print-python)"
TORCHRUN="$(dirname "$PY")/torchrun"
PAIRS="${PAIRS:-3}"
export GLOO_SOCKET_IFNAME="${GLOO_SOCKET_IFNAME:-lo}"
swift build -c release --product mnemo-bench-allreduce >/dev/null
swift build -c release --product mnemo >/dev/null
out="$(mktemp -d)"
for i in $(seq "$PAIRS"); do
  "$TORCHRUN" --standalone --nproc_per_node=2 --no-python .build/release/mnemo-bench-allreduce > "$out/swift.$i" 2>/dev/null
  "$TORCHRUN" --standalone --nproc_per_node=2 bench/allreduce_pytorch.py > "$out/python.$i" 2>/dev/null
done
echo "all-reduce, 2 ranks, Gloo over loopback, $PAIRS alternated pairs (medians; ratio = Mnemo time / PyTorch time)"
printf "%10s %14s %14s %12s %12s %8s %s\n" bytes "mnemo µs" "pytorch µs" "mnemo GB/s" "pytorch GB/s" ratio "range"
"$PY" - "$out" "$PAIRS" <<'PYEOF'
import statistics, sys
out, pairs = sys.argv[1], int(sys.argv[2])
def read(side, i):
    return {int(l.split()[1]): (float(l.split()[2]), float(l.split()[3])) for l in open(f"{out}/{side}.{i}") if l.startswith("allreduce")}
swift = [read("swift", i) for i in range(1, pairs + 1)]
python = [read("python", i) for i in range(1, pairs + 1)]
for size in sorted(swift[0]):
    ratios = [s[size][0] / p[size][0] for s, p in zip(swift, python)]
    su = statistics.median(s[size][0] for s in swift); pu = statistics.median(p[size][0] for p in python)
    sb = statistics.median(s[size][1] for s in swift); pb = statistics.median(p[size][1] for p in python)
    print(f"{size:>10} {su:>14.1f} {pu:>14.1f} {sb:>12.3f} {pb:>12.3f} {statistics.median(ratios):>8.3f} {min(ratios):.3f}–{max(ratios):.3f}")
PYEOF

DATA="${DATA:-../shared/data/tinyshakespeare.txt}"
echo
echo "training step, configs/shakespeare-char-cpu.toml, 200 steps, global batch 12 × 64 ($PAIRS alternated pairs)"
for i in $(seq "$PAIRS"); do
  rm -rf "$out/one" "$out/two"
  .build/release/mnemo train configs/shakespeare-char-cpu.toml --bench --quiet --set data="$DATA" --set max_iters=200 \
    --set eval_interval=1000 --set eval_full=false --set threads=2 --out "$out/one" | grep '^mnemo ' >> "$out/one.txt"
  OMP_NUM_THREADS=1 "$TORCHRUN" --standalone --nproc_per_node=2 --no-python .build/release/mnemo train configs/shakespeare-char-cpu.toml \
    --bench --quiet --set data="$DATA" --set max_iters=200 --set eval_interval=1000 --set eval_full=false --set batch_size=6 \
    --set threads=1 --out "$out/two" 2>/dev/null | grep '^mnemo ' >> "$out/two.txt"
done
"$PY" - "$out" <<'PYEOF'
import re, statistics, sys
out = sys.argv[1]
def ms(name):
    return [float(re.search(r"ms_per_step=([0-9.]+)", l).group(1)) for l in open(f"{out}/{name}.txt")]
one, two = ms("one"), ms("two")
ratios = [b / a for a, b in zip(one, two)]
print(f"1 process × batch 12 (2 threads): {statistics.median(one):.2f} ms/step; 2 ranks × batch 6 (1 thread each): "
      f"{statistics.median(two):.2f} ms/step; ratio {statistics.median(ratios):.3f} ({min(ratios):.3f}–{max(ratios):.3f})")
PYEOF
rm -rf "$out"
