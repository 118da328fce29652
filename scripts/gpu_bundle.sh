#!/usr/bin/env bash
# Prepares, on this machine, everything a GPU machine needs to run Mnemo that it lacks: such a machine has
# Python with a CUDA PyTorch but no Swift toolchain and no network, and takes at most 64 MiB of files per run.
#
#   scripts/gpu_bundle.sh            → gpu-bundle/ (ignored by git; name it in the device tool's `carry`)
#
# 1. Fetches the torch wheel of the version the GPU machine has (TORCH_VERSION, default 2.11.0 = its
#    2.11.0+cu130) from PyPI into the cache, and unpacks what building needs: the headers and the CPU
#    libraries to link against (libtorch_cpu, c10), plus the CUDA runtime and CUPTI wheels libtorch_cpu loads,
#    so the same binary can run here on the CPU.
# 2. Builds the release `mnemo` against those headers with the Swift runtime linked statically
#    (--static-swift-stdlib; scratch folder .build-gpu, apart from the normal build). It links libtorch_cpu
#    and c10 only: at start the shim opens libtorch_cuda.so from the folder libtorch_cpu.so was loaded from
#    (Sources/CTorch/cuda.cpp), so on the GPU machine LD_LIBRARY_PATH=<its torch>/lib gives it CUDA.
# 3. Packs gpu-bundle/: mnemo.xz (stripped, xz), data/tinyshakespeare.txt, data/minimind2-tokenizer.json (MiniMind2's
#    BPE), data/shakespeare-gpt2/ (GPT-2 BPE
#    shards prepared here by that binary), BUILD (versions, commit). Fails if it exceeds 48 MiB (the working
#    tree travels too).
# 4. Proves it here: the packed binary runs against the unpacked CPU libraries of that same torch version
#    (`mnemo check` on the CPU: every op fixture; a 3-step GPT-2 training on the packed shards).
#
# Then, with a GPU: scripts/gpu_check.sh (on the GPU machine; see its header).
#
# Environment: TORCH_VERSION (2.11.0), CUDA_TAG (cu130), CUDART_VERSION (13.0.96), CUPTI_VERSION (13.0.85),
# MNEMO_CACHE (~/.cache/mnemo), SHARED (../shared: tinyshakespeare and GPT-2's BPE files).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TORCH_VERSION="${TORCH_VERSION:-2.11.0}"
CUDA_TAG="${CUDA_TAG:-cu130}"
CUDART_VERSION="${CUDART_VERSION:-13.0.96}"
CUPTI_VERSION="${CUPTI_VERSION:-13.0.85}"
CACHE="${MNEMO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mnemo}"
SHARED="${SHARED:-$ROOT/../shared}"
LIBTORCH_DIR="$CACHE/torch-$TORCH_VERSION-$CUDA_TAG-cpu-libs"
BUNDLE="$ROOT/gpu-bundle"
SCRATCH="$ROOT/.build-gpu"
LIMIT_MB=48

say() { echo "gpu_bundle: $*" >&2; }
die() { echo "gpu_bundle: error: $*" >&2; exit 1; }

[[ -f "$SHARED/data/tinyshakespeare.txt" && -f "$SHARED/data/gpt2/encoder.json" ]] \
  || die "needs $SHARED/data/tinyshakespeare.txt and $SHARED/data/gpt2/ (set SHARED=/path/to/shared)"
command -v xz >/dev/null || die "xz is not installed (apt-get install xz-utils)"

# 1. headers and CPU libraries of the GPU machine's torch version
if [[ ! -f "$LIBTORCH_DIR/.complete" ]]; then
  say "fetching torch $TORCH_VERSION (its headers and CPU libraries) into $LIBTORCH_DIR (once per machine)"
  mkdir -p "$CACHE/wheels"
  wheel="$(ls "$CACHE/wheels"/torch-"$TORCH_VERSION"-*manylinux*_x86_64.whl 2>/dev/null | head -n 1 || true)"
  if [[ -z "$wheel" ]]; then
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --python-version 3.12 --platform manylinux_2_28_x86_64 -d "$CACHE/wheels" "torch==$TORCH_VERSION"
    wheel="$(ls "$CACHE/wheels"/torch-"$TORCH_VERSION"-*manylinux*_x86_64.whl | head -n 1)"
  fi
  rm -rf "$LIBTORCH_DIR.partial"
  mkdir -p "$LIBTORCH_DIR.partial"
  unzip -q "$wheel" 'torch/include/*' 'torch/lib/libc10.so' 'torch/lib/libtorch_cpu.so' 'torch/lib/libtorch.so' \
    'torch/lib/libgomp.so.1' 'torch/lib/libtorch_global_deps.so' 'torch/lib/libshm.so' 'torch/version.py' \
    -d "$LIBTORCH_DIR.partial"
  python3 -m pip install --quiet --disable-pip-version-check --no-deps --no-compile --only-binary=:all: \
    --target "$LIBTORCH_DIR.partial" "nvidia-cuda-runtime==$CUDART_VERSION" "nvidia-cuda-cupti==$CUPTI_VERSION"
  touch "$LIBTORCH_DIR.partial/.complete"
  rm -rf "$LIBTORCH_DIR"
  mv "$LIBTORCH_DIR.partial" "$LIBTORCH_DIR"
fi
grep -q "__version__ = '$TORCH_VERSION" "$LIBTORCH_DIR/torch/version.py" || die "$LIBTORCH_DIR is not torch $TORCH_VERSION"

# 2. the static release binary against those headers
say "building the release mnemo against torch $TORCH_VERSION headers (static Swift runtime, $SCRATCH)"
LIBTORCH="$LIBTORCH_DIR" swift build -c release --static-swift-stdlib --product mnemo --scratch-path "$SCRATCH" \
  >"$SCRATCH.log" 2>&1 || { tail -n 40 "$SCRATCH.log" >&2; die "the build failed (log: $SCRATCH.log)"; }
binary="$SCRATCH/release/mnemo"

# 3. the bundle
rm -rf "$BUNDLE.partial"
mkdir -p "$BUNDLE.partial/data"
strip -o "$BUNDLE.partial/mnemo" "$binary"
xz -T2 -6 "$BUNDLE.partial/mnemo"
cp "$SHARED/data/tinyshakespeare.txt" "$BUNDLE.partial/data/"
cp "$SHARED/data/minimind/minimind2/tokenizer.json" "$BUNDLE.partial/data/minimind2-tokenizer.json"
"$binary" data prepare "$SHARED/data/tinyshakespeare.txt" --out "$BUNDLE.partial/data/shakespeare-gpt2" \
  --tokenizer "gpt2:$SHARED/data/gpt2" >/dev/null
{
  echo "torch $TORCH_VERSION ($CUDA_TAG) headers; libtorch_cpu + c10 linked, libtorch_cuda opened at start"
  echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo ' + uncommitted changes')"
  echo "built $(date -u +%Y-%m-%dT%H:%MZ) with $(swift --version 2>/dev/null | head -n 1)"
} >"$BUNDLE.partial/BUILD"
rm -rf "$BUNDLE"
mv "$BUNDLE.partial" "$BUNDLE"
size_mb=$(( $(du -sk "$BUNDLE" | cut -f1) / 1024 ))
(( size_mb <= LIMIT_MB )) || die "gpu-bundle/ is $size_mb MiB, over $LIMIT_MB MiB"
say "gpu-bundle/ is $size_mb MiB: $(ls "$BUNDLE" | tr '\n' ' ')"

# 4. proof on this machine's CPU, against the same torch version's libraries
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
xz -dc "$BUNDLE/mnemo.xz" >"$tmp/mnemo"
chmod +x "$tmp/mnemo"
export LD_LIBRARY_PATH="$LIBTORCH_DIR/torch/lib"
"$tmp/mnemo" check --device cpu --fixtures Tests/TorchTests/Fixtures >"$tmp/check.txt" \
  || { cat "$tmp/check.txt" >&2; die "mnemo check failed on the CPU"; }
head -n 1 "$tmp/check.txt" >&2
grep "all:" "$tmp/check.txt" >&2
"$tmp/mnemo" train configs/gpt2-124m.toml --set data="$BUNDLE/data/shakespeare-gpt2" --set device=cpu \
  --set n_layer=2 --set n_embd=64 --set n_head=2 --set block_size=64 --set batch_size=2 \
  --set gradient_accumulation_steps=1 --set max_iters=3 --set eval_interval=0 --set eval_iters=1 \
  --set warmup_iters=1 --set lr_decay_iters=3 --set dtype=float32 --out "$tmp/run" --quiet >"$tmp/train.txt" \
  || { cat "$tmp/train.txt" >&2; die "a 3-step training run failed"; }
echo "3-step GPT-2 BPE run: $(grep '^step' "$tmp/run/log.txt" | tail -n 1)" >&2
say "ready: the bundle runs here against torch $TORCH_VERSION's CPU libraries"
