#!/usr/bin/env python3
"""tiktoken's GPT-2 encoding throughput, measured like bench/tokenizer/main.swift (mnemo-bench-tokenizer).

Usage: bench_tokenizer.py [--repeat N] [--threads N] [--runs N] FILE
Needs tiktoken and TIKTOKEN_CACHE_DIR pointing at a cache made by shared/data/gpt2/make_tiktoken_cache.sh (no
network is used). Single thread: encode_ordinary(text). Several threads: the text is cut into one chunk per thread
where the cut cannot change the ids (before a whitespace character that follows a non-whitespace one, the rule
MnemoData uses), then encode_ordinary_batch(chunks, num_threads=N); the ids are checked against the single run.
Output: one `name value` line per measurement (MB/s = 10^6 UTF-8 bytes per second, best run).
"""
import argparse
import os
import time

import tiktoken


def safe_cuts(text, parts):
    cuts = [0]
    for k in range(1, parts):
        i = max(k * len(text) // parts, cuts[-1] + 1)
        while i < len(text) and not (text[i] in "\n \t\r" and not text[i - 1].isspace()):
            i += 1
        if i < len(text):
            cuts.append(i)
    return cuts + [len(text)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        raise SystemExit("error: set TIKTOKEN_CACHE_DIR to a cache made by shared/data/gpt2/make_tiktoken_cache.sh")

    encoding = tiktoken.get_encoding("gpt2")
    with open(args.file, encoding="utf-8") as f:
        text = f.read() * args.repeat
    megabytes = len(text.encode("utf-8")) / 1e6

    single_time, single = float("inf"), None
    for _ in range(args.runs):
        start = time.perf_counter()
        single = encoding.encode_ordinary(text)
        single_time = min(single_time, time.perf_counter() - start)

    cuts = safe_cuts(text, args.threads)
    multi_time, multi = float("inf"), None
    for _ in range(args.runs):
        start = time.perf_counter()
        chunks = [text[a:b] for a, b in zip(cuts, cuts[1:])]
        batches = encoding.encode_ordinary_batch(chunks, num_threads=args.threads)
        multi = [token for batch in batches for token in batch]
        multi_time = min(multi_time, time.perf_counter() - start)
    if multi != single:
        raise SystemExit("error: the batch ids differ from the single-thread ids")

    print(f"bytes {len(text.encode('utf-8'))}")
    print(f"tokens {len(single)}")
    print(f"single_mb_s {megabytes / single_time:.2f}")
    print(f"multi_mb_s {megabytes / multi_time:.2f}")
    print(f"threads {args.threads}")


if __name__ == "__main__":
    main()
