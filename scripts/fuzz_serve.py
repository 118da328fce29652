"""Request fuzz of `mnemo serve`: malformed requests over raw sockets — bad JSON, bad UTF-8, wrong types, huge and
non-finite numbers, deep nesting, bodies over the size limit, bodies cut short, garbage instead of HTTP, random
mutations of valid requests (seeded) — and clients that disconnect mid-stream or before a non-streamed answer. After
every batch the server must answer /health; every refusal must be a 4xx with OpenAI's error JSON (never a 5xx); after
the disconnects every slot must be free again and every dropped request cancelled, not run to its end. Loopback only; bounded in count and time.

    PY="$(scripts/setup_python_env.sh --print-python | tail -1)"
    "$PY" scripts/fuzz_serve.py runs/serve-mm [--mutations 400] [--seed 1]

Prints the counts by status and `N passed, N failed`; exits 1 on a failure."""
import argparse
import collections
import json
import random
import socket
import sys
import time

from serve_common import Server, default_mnemo, health

VALID = [
    ("/v1/completions", {"prompt": "ROMEO:", "max_tokens": 4, "temperature": 0.7, "top_p": 0.9, "seed": 3, "stop": ["\n"],
                         "echo": False, "logprobs": 2, "stream": False}),
    ("/v1/completions", {"prompt": [[1, 2, 3], [4, 5]], "max_tokens": 0, "echo": True, "logprobs": 1}),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4, "stream": True,
                              "stream_options": {"include_usage": True}}),
]

# Hand-made requests, each refused unless its index is in VALID_HAND_MADE (-0.0, the smallest seed and a NUL
# character are legal).
HAND_MADE = [
    b"", b"{", b"}", b"null", b"[]", b"42", b'"text"', b"{\"prompt\": }", b"{'prompt': 'x'}", b"{\"prompt\": \"x\",}",
    b"{\"prompt\": \"\xff\xfe\"}", b"\xc0\xaf", b"{\"prompt\": \"\xed\xa0\x80\"}", b"[" * 100000, b"{\"a\":" * 5000,
    b"{\"prompt\": \"x\", \"max_tokens\": 1e999}", b"{\"prompt\": \"x\", \"max_tokens\": 99999999999999999999999999}",
    b"{\"prompt\": \"x\", \"temperature\": -0.0}", b"{\"prompt\": \"x\", \"temperature\": NaN}",
    b"{\"prompt\": \"x\", \"temperature\": Infinity}", b"{\"prompt\": \"x\", \"seed\": -9223372036854775808}",
    b"{\"prompt\": \"x\", \"seed\": 18446744073709551616}", b"{\"prompt\": [9223372036854775807]}",
    b"{\"prompt\": [-1]}", b"{\"prompt\": [[[1]]]}", b"{\"prompt\": \"\\ud800\"}", b"{\"prompt\": \"x\\u0000y\"}",
    b"{\"messages\": [{\"role\": \"user\", \"content\": null}]}", b"{\"messages\": {\"role\": \"user\"}}",
    b"{\"messages\": [{\"role\": \"user\", \"content\": \"" + b"a" * 300000 + b"\"}]}",
    b"{\"prompt\": \"" + b"b" * (3 << 20) + b"\"}",
]

VALID_HAND_MADE = {17, 20, 26}

WEIRD_VALUES = [None, True, False, 0, -1, 1, 2, 1.5, -1e308, 1e308, 10**30, -(10**30), "", "x", "\u0000", "\U0001F600",
                [], [1], ["a"], {}, {"a": 1}, [[1, 2]], "a" * 5000]


def request_bytes(path, body, headers=None, method="POST", content_length=None):
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", "Connection: close",
            f"Content-Length: {len(body) if content_length is None else content_length}"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def exchange(port, raw, read=True, timeout=60):
    """Sends raw bytes; returns (status, body bytes) or (None, b"") when the server closed without a response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(raw)
        except OSError:
            pass
        if not read:
            return None, b""
        data = b""
        try:
            while True:
                piece = s.recv(65536)
                if not piece:
                    break
                data += piece
        except OSError:
            pass
    if not data.startswith(b"HTTP/1.1 "):
        return None, data
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head[9:12]), body


def is_openai_error(body):
    if b"chunked" in body[:0]:
        return False
    try:
        error = json.loads(body)["error"]
        return isinstance(error["message"], str) and "type" in error and "param" in error and "code" in error
    except (ValueError, KeyError, TypeError):
        return False


def mutate(rng, body):
    body = json.loads(json.dumps(body))
    for _ in range(rng.randint(1, 3)):
        key = rng.choice(list(body) + ["n", "max_completion_tokens", "top_k", "repetition_penalty", "stream_options",
                                       "logit_bias", "frequency_penalty", "best_of", "suffix", "ignore_eos"])
        if rng.random() < 0.15:
            body.pop(key, None)
        else:
            body[key] = rng.choice(WEIRD_VALUES)
    return json.dumps(body, allow_nan=True).encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("--mnemo", default=None)
    parser.add_argument("--mutations", type=int, default=400)
    parser.add_argument("--disconnects", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    statuses, failures = collections.Counter(), []
    checks = 0

    def fail(what):
        failures.append(what)
        print("FAIL ", what)

    with Server(args.mnemo or default_mnemo(), args.run, "--slots", "4") as server:
        port = server.port
        started = time.time()

        def judge(label, status, body, allow_ok=True):
            statuses[status] += 1
            if status is None:
                fail(f"{label}: no HTTP response")
            elif status >= 500:
                fail(f"{label}: {status} {body[:200]!r}")
            elif status >= 400 and not is_openai_error(body):
                fail(f"{label}: {status} without OpenAI's error JSON: {body[:200]!r}")
            elif status < 400 and not allow_ok:
                fail(f"{label}: accepted: {body[:200]!r}")

        for i, body in enumerate(HAND_MADE):
            for path in ("/v1/completions", "/v1/chat/completions"):
                status, reply = exchange(port, request_bytes(path, body))
                judge(f"hand-made #{i} {path}", status, reply, allow_ok=i in VALID_HAND_MADE)
        print(f"hand-made: {2 * len(HAND_MADE)} requests")

        for i in range(args.mutations):
            path, body = rng.choice(VALID)
            status, reply = exchange(port, request_bytes(path, mutate(rng, body)))
            judge(f"mutation #{i}", status, reply)
        print(f"mutations: {args.mutations} requests")

        # not HTTP, cut short, wrong method, no such route, an over-long header
        for raw in [b"GARBAGE\r\n\r\n", b"\x00\x01\x02" * 100, request_bytes("/v1/completions", b"{\"prompt\": \"x\"", content_length=100),
                    request_bytes("/v1/completions", b"", method="GET"), request_bytes("/nowhere", b"{}"),
                    request_bytes("/v1/models", b"", headers={"X-Long": "a" * 100000}, method="GET")]:
            status, reply = exchange(port, raw, timeout=15)
            statuses[status] += 1
            if status is not None and status >= 500:
                fail(f"raw {raw[:30]!r}: {status}")
        try:
            checks += 1
            health(server.base)
        except OSError as error:
            fail(f"/health after the fuzz: {error}")

        # disconnects mid-stream (read the first chunk of a long stream, then hang up) and before a non-streamed
        # answer (send, wait 50 ms, hang up)
        cancelled_before = health(server.base)["cancelled"]
        stream = json.dumps({"prompt": "ROMEO:", "max_tokens": 100, "ignore_eos": True, "stream": True}).encode()
        whole = json.dumps({"prompt": "ROMEO:", "max_tokens": 100, "ignore_eos": True}).encode()
        for _ in range(args.disconnects):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(request_bytes("/v1/completions", stream))
            s.recv(4096)
            s.close()
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(request_bytes("/v1/completions", whole))
            time.sleep(0.05)
            s.close()
        deadline = time.time() + 60
        load = health(server.base)
        while (load["active"] or load["waiting"]) and time.time() < deadline:
            time.sleep(0.25)
            load = health(server.base)
        checks += 1
        print(f"disconnects: {args.disconnects} streams dropped after the first chunk, {args.disconnects} non-streamed "
              f"requests dropped after 50 ms; /health then: {load}")
        if load["active"] or load["waiting"]:
            fail(f"slots not freed after the disconnects: {load}")
        checks += 1
        if load["cancelled"] - cancelled_before != 2 * args.disconnects:
            fail(f"{load['cancelled'] - cancelled_before} of {2 * args.disconnects} dropped requests were cancelled")
        checks += 1
        if not server.alive():
            fail("the server process died")
        print(f"statuses: {dict(sorted(statuses.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)))}; "
              f"{time.time() - started:.0f} s")

    total = sum(statuses.values()) + checks
    print(f"{total - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
