#!/usr/bin/env bash
# Installs the pinned libtorch (the C++ library inside PyPI's `torch` wheel) into a cache outside the
# work tree, keyed by version, and points the checkout at it through the ignored symlink `.libtorch`.
#
#   LIBTORCH=/path/to/libtorch   use that libtorch instead (tch-rs's convention; e.g. a CUDA build).
#                                It must contain include/ and lib/ (a libtorch zip) or torch/include and
#                                torch/lib (a site-packages folder).
#   MNEMO_CACHE=/path            where downloads go (default: $XDG_CACHE_HOME/mnemo or ~/.cache/mnemo).
#
# Idempotent and quiet when there is nothing to do. Needs python3 with pip (to fetch wheels) only the
# first time on a machine.
set -euo pipefail

TORCH_VERSION=2.15.0
CUDA_RT_VERSION=13.2.86          # the CUDA series the torch 2.15.0 wheel names (cu132)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${MNEMO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mnemo}"
DEST="$CACHE/torch-$TORCH_VERSION-cu132"
LINK="$ROOT/.libtorch"

resolve_layout() { # prints the folder holding include/ and lib/
  local base="$1"
  if [[ -d "$base/torch/lib" && -d "$base/torch/include" ]]; then echo "$base/torch"
  elif [[ -d "$base/lib" && -d "$base/include" ]]; then echo "$base"
  else return 1; fi
}

if [[ -n "${LIBTORCH:-}" ]]; then
  target="$(resolve_layout "$LIBTORCH")" || { echo "error: LIBTORCH=$LIBTORCH has neither include/+lib/ nor torch/include+torch/lib" >&2; exit 1; }
else
  if [[ ! -f "$DEST/.complete" ]]; then
    echo "setup: installing torch $TORCH_VERSION (libtorch) into $DEST (once per machine)"
    rm -rf "$DEST.partial"
    mkdir -p "$CACHE"
    python3 -m pip install --quiet --disable-pip-version-check --no-deps --no-compile \
      --only-binary=:all: --target "$DEST.partial" \
      "torch==$TORCH_VERSION" "nvidia-cuda-runtime==$CUDA_RT_VERSION" "nvidia-cuda-cupti==$CUDA_RT_VERSION"
    touch "$DEST.partial/.complete"
    rm -rf "$DEST"
    mv "$DEST.partial" "$DEST"
  fi
  target="$DEST/torch"
fi

# A libtorch with CUDA kernels is linked with torch_cuda (Package.swift reads this marker). The pinned wheel
# has libtorch_cuda.so too, but without the CUDA libraries it needs, so only a LIBTORCH given by hand counts.
if [[ -n "${LIBTORCH:-}" && -f "$target/lib/libtorch_cuda.so" ]]; then
  [[ -f "$ROOT/.libtorch-cuda" ]] || { touch "$ROOT/.libtorch-cuda"; echo "setup: CUDA libtorch: torch_cuda will be linked"; }
else
  rm -f "$ROOT/.libtorch-cuda"
fi

if [[ "$(readlink "$LINK" 2>/dev/null || true)" != "$target" ]]; then
  ln -sfn "$target" "$LINK"
  echo "setup: .libtorch -> $target"
fi

# gloo's headers (Debian's libgloo-dev) let the shim build c10d's Gloo process group for data-parallel training
# (Sources/CTorch/distributed.cpp: the wheel links gloo into libtorch_cpu but ships no gloo headers). Without them
# everything else builds, and `mnemo train` under a launcher says what is missing. Installed when apt-get can run
# (as root, or with password-less sudo); then the shim file is touched so that the next build compiles it again.
if [[ ! -f /usr/include/gloo/config.h ]] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [[ "$(id -u)" != 0 ]]; then if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi; fi
  if [[ "$SUDO" == none ]]; then
    echo "setup: note: libgloo-dev is missing and apt-get needs root; data-parallel training will be unavailable"
  else
    echo "setup: installing libgloo-dev (gloo's headers, for data-parallel training)"
    if { $SUDO apt-get install -y -q --no-install-recommends libgloo-dev >/dev/null 2>&1 \
         || { $SUDO apt-get update -q >/dev/null 2>&1 \
              && $SUDO apt-get install -y -q --no-install-recommends libgloo-dev >/dev/null 2>&1; }; }; then
      touch "$ROOT/Sources/CTorch/distributed.cpp"
    else
      echo "setup: warning: could not install libgloo-dev; data-parallel training will be unavailable"
    fi
  fi
fi
