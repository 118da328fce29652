#!/usr/bin/env python3
"""Checks that Hugging Face `tokenizers` loads a tokenizer.json and gives the ids MnemoData gave.

Usage:
  mnemo tokenizer encode --hf TOKENIZER_JSON --allow-special TEXT_FILE > ids.txt
  scripts/check_hf_tokenizer.py TOKENIZER_JSON TEXT_FILE ids.txt

Compares tokenizers' Tokenizer.from_file(TOKENIZER_JSON).encode(text, add_special_tokens=False).ids (which, like
--allow-special, matches the added tokens in the text) with the ids in ids.txt, and checks that decoding gives the
text back. Exit status 0 when all agree. Needs: pip install tokenizers
"""
import sys

import tokenizers
from tokenizers import Tokenizer


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    path, text_path, ids_path = sys.argv[1:]
    tokenizer = Tokenizer.from_file(path)
    with open(text_path, encoding="utf-8") as f:
        text = f.read()
    with open(ids_path) as f:
        theirs = [int(word) for word in f.read().split()]
    ours = tokenizer.encode(text, add_special_tokens=False).ids
    same = ours == theirs
    decoded = tokenizer.decode(ours, skip_special_tokens=False) == text
    first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    print(f"tokenizers {tokenizers.__version__}: {path}: vocabulary {tokenizer.get_vocab_size()}, "
          f"{len(ours)} ids (MnemoData {len(theirs)}), identical: {same}, decode gives the text: {decoded}"
          + ("" if same else f", first difference at {first}"))
    sys.exit(0 if same and decoded else 1)


if __name__ == "__main__":
    main()
