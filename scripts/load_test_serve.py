"""Load test of `mnemo serve`: N concurrent streaming clients against the same model generating alone (one client),
and against transformers' generate on the exported model (`mnemo export RUN DIR`, same prompt, greedy, the same number
of new tokens; batch 1 and batch N), on this machine, one after the other. Loopback only; bounded in requests.

    PY="$(scripts/setup_python_env.sh --print-python | tail -1)"
    "$PY" scripts/load_test_serve.py runs/serve-mm --hf /tmp/serve-mm-hf --clients 8 --requests 3 --tokens 64

Reports tokens/s (completion tokens over wall time), request latency and time to first token (p50 / p90 / p99)."""
import argparse
import http.client
import json
import statistics
import threading
import time

from serve_common import Server, default_mnemo


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def stream_once(port, prompt, tokens):
    """One streamed completion; returns (latency s, time to first text s, completion tokens)."""
    body = json.dumps({"prompt": prompt, "max_tokens": tokens, "temperature": 0, "ignore_eos": True, "stream": True,
                       "stream_options": {"include_usage": True}})
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200, response.read()
    first, count = None, 0
    for line in response:
        line = line.strip()
        if not line.startswith(b"data: ") or line == b"data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        if chunk.get("usage"):
            count = chunk["usage"]["completion_tokens"]
        if first is None and chunk["choices"] and chunk["choices"][0]["text"]:
            first = time.perf_counter() - start
    connection.close()
    return time.perf_counter() - start, first or 0.0, count


def run_clients(port, clients, requests, prompt, tokens):
    records, lock = [], threading.Lock()

    def client():
        for _ in range(requests):
            record = stream_once(port, prompt, tokens)
            with lock:
                records.append(record)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return wall, records


def report(name, wall, records):
    latencies = [r[0] for r in records]
    firsts = [r[1] for r in records]
    tokens = sum(r[2] for r in records)
    print(f"{name:<34} {len(records):>4} req {tokens:>6} tok {wall:>7.1f} s {tokens / wall:>8.1f} tok/s   "
          f"latency p50/p90/p99 {percentile(latencies, 50):.2f}/{percentile(latencies, 90):.2f}/{percentile(latencies, 99):.2f} s   "
          f"first token {percentile(firsts, 50):.2f}/{percentile(firsts, 90):.2f}/{percentile(firsts, 99):.2f} s")
    return tokens / wall


def transformers_generate(folder, prompt_ids, tokens, batch, repeats):
    import torch
    from transformers import AutoModelForCausalLM
    torch.set_num_threads(2)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    idx = torch.tensor([prompt_ids] * batch)
    with torch.no_grad():
        model.generate(idx, max_new_tokens=4, min_new_tokens=4, do_sample=False, pad_token_id=0)   # warm-up
        latencies = []
        start = time.perf_counter()
        for _ in range(repeats):
            t = time.perf_counter()
            out = model.generate(idx, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False, pad_token_id=0)
            latencies.append(time.perf_counter() - t)
        wall = time.perf_counter() - start
    produced = (out.shape[1] - len(prompt_ids)) * batch * repeats
    print(f"{'transformers generate, batch ' + str(batch):<34} {repeats * batch:>4} seq {produced:>6} tok {wall:>7.1f} s "
          f"{produced / wall:>8.1f} tok/s   latency p50 {statistics.median(latencies):.2f} s per call")
    return produced / wall


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("--hf", help="the exported run, for transformers' generate")
    parser.add_argument("--mnemo", default=None)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=3, help="requests per client")
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--prompt", default="ROMEO:\nWhat light through yonder window breaks?")
    args = parser.parse_args()

    with Server(args.mnemo or default_mnemo(), args.run, "--slots", str(args.clients)) as server:
        stream_once(server.port, args.prompt, 4)                                                  # warm-up
        alone = report("mnemo serve, 1 client (alone)", *run_clients(server.port, 1, args.requests * 2, args.prompt, args.tokens))
        together = report(f"mnemo serve, {args.clients} concurrent clients",
                          *run_clients(server.port, args.clients, args.requests, args.prompt, args.tokens))
        request = json.dumps({"prompt": args.prompt, "add_special_tokens": True})
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("POST", "/tokenize", request, {"Content-Type": "application/json"})
        prompt_ids = json.loads(connection.getresponse().read())["tokens"]
    print(f"concurrent / alone throughput: {together / alone:.2f}x")
    if args.hf:
        hf1 = transformers_generate(args.hf, prompt_ids, args.tokens, 1, args.requests * 2)
        hfn = transformers_generate(args.hf, prompt_ids, args.tokens, args.clients, args.requests)
        print(f"mnemo alone / transformers batch 1: {alone / hf1:.2f}x;  "
              f"mnemo {args.clients} clients / transformers batch {args.clients}: {together / hfn:.2f}x")


if __name__ == "__main__":
    main()
