"""Shared by the `mnemo serve` scripts (check_serve_openai.py, load_test_serve.py, fuzz_serve.py): start the server
on a free loopback port, wait for /health, stop it. Loopback only; every wait is bounded."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_mnemo():
    for build in (".build/release/mnemo", ".build/debug/mnemo"):
        if os.path.exists(build):
            return build
    sys.exit("no mnemo binary: swift build -c release --product mnemo (or pass --mnemo)")


def health(base, timeout=5):
    with urllib.request.urlopen(f"{base}/health", timeout=timeout) as reply:
        return json.loads(reply.read())


class Server:
    """`mnemo serve RUN` as a child process on 127.0.0.1:PORT."""

    def __init__(self, mnemo, run, *extra, start_timeout=120):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(os.devnull, "w")
        self.proc = subprocess.Popen([mnemo, "serve", run, "--port", str(self.port), *extra],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + start_timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"mnemo serve exited with status {self.proc.returncode}")
            try:
                health(self.base, timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        sys.exit("mnemo serve did not answer /health in time")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
