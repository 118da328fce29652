#!/usr/bin/env python3
"""Checks a folder written by `mnemo export RUN DIR --reference REF.safetensors` with transformers itself:
AutoModelForCausalLM.from_pretrained(DIR) must give Mnemo's logits for the same batch. Run by hand (CI has no
Python):

    .build/release/mnemo export runs/minimind-cpu /tmp/mm-hf --reference /tmp/mm-ref.safetensors
    "$(scripts/setup_python_env.sh --print-python)" scripts/check_export.py /tmp/mm-hf /tmp/mm-ref.safetensors

Prints the model class, the largest |Δ| of the logits, and exits 1 when it exceeds --atol (default 1e-4).
"""

import argparse
import sys

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM


def main():
    p = argparse.ArgumentParser()
    p.add_argument("folder")
    p.add_argument("reference")
    p.add_argument("--atol", type=float, default=1e-4)
    args = p.parse_args()
    ref = load_file(args.reference)
    model = AutoModelForCausalLM.from_pretrained(args.folder, torch_dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        logits = model(input_ids=ref["idx"]).logits
    diff = (logits - ref["logits"]).abs().max().item()
    print(f"{type(model).__name__} from {args.folder}: logits {tuple(logits.shape)}, max |Δ| vs Mnemo {diff:.3g}")
    sys.exit(0 if diff <= args.atol else 1)


if __name__ == "__main__":
    main()
