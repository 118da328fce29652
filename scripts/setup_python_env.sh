#!/usr/bin/env bash
# Creates the Python virtualenv used to regenerate the PyTorch reference fixtures
# (scripts/make_fixtures.py) and by `make bench`: the pinned torch plus numpy and safetensors,
# in a cache outside the work tree, keyed by torch version.
#
#   scripts/setup_python_env.sh                  create the venv if needed (quiet when it exists)
#   scripts/setup_python_env.sh --print-python   same, then print the venv's python as the last line
#                                                of stdout, e.g.
#                                                  "$(scripts/setup_python_env.sh --print-python)" scripts/make_fixtures.py
#
#   MNEMO_CACHE=/path   where the venv goes (default: $XDG_CACHE_HOME/mnemo or ~/.cache/mnemo).
#
# Progress messages go to stderr so that stdout carries only the python path. The venv is complete
# once it contains the marker file .complete; a folder without it (an interrupted attempt) is
# removed and rebuilt. Needs python3 with the venv module, and network access the first time.
# The Swift tests never need Python: the fixtures they read are committed.
set -euo pipefail

TORCH_VERSION=2.15.0
CACHE="${MNEMO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mnemo}"
VENV="$CACHE/venv-torch-$TORCH_VERSION"

print_python=0
for arg in "$@"; do
  case "$arg" in
    --print-python) print_python=1 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

if [[ ! -f "$VENV/.complete" ]]; then
  echo "setup: creating Python venv with torch $TORCH_VERSION in $VENV (once per machine)" >&2
  # A venv records its own absolute path, so it is built in place rather than in a temporary
  # folder that is renamed; the marker file is what says it is usable.
  rm -rf "$VENV"
  mkdir -p "$CACHE"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "torch==$TORCH_VERSION" numpy safetensors "transformers==5.23.0" tiktoken tokenizers >&2
  "$VENV/bin/python" -c 'import torch, numpy, safetensors' >&2
  touch "$VENV/.complete"
  echo "setup: Python venv ready" >&2
fi
# Tokenizer references for the tokenizer benchmark (added later: venvs made before get them here, once).
if ! "$VENV/bin/python" -c 'import tiktoken, tokenizers' 2>/dev/null; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check tiktoken tokenizers >&2
fi

if [[ $print_python -eq 1 ]]; then
  echo "$VENV/bin/python"
fi
