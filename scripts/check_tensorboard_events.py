#!/usr/bin/env python3
"""Checks that TensorBoard's own readers see a Mnemo run's event files as the run's metrics.jsonl and samples/.

How to run it (by hand, never in CI), after `pip install tensorboard tbparse` into the bench virtualenv and a build
of the mnemo binary (`swift build -c release --product mnemo`, or the debug one):
    PY="$(scripts/setup_python_env.sh --print-python | tail -1)"
    "$PY" scripts/check_tensorboard_events.py                      # trains a tiny run, kills it, resumes it
    "$PY" scripts/check_tensorboard_events.py --run runs/sc         # checks an existing run folder instead

The tiny run: shakespeare-char shrunk to one layer, 30 steps, an evaluation and a checkpoint every 10; the process is
killed (SIGKILL) once it has logged step 14 and resumed from its step-10 checkpoint, so that the folder holds two
event files and orphaned steps 10-14 that the readers must drop.

Readers checked, each against the points metrics.jsonl holds (float32 tolerance: the event files hold float32):
  1. tensorboard.backend.event_processing.event_accumulator.EventAccumulator — Scalars(tag) for every key of
     metrics.jsonl, Tensors("samples") for the text samples (and their plugin name, "text");
  2. tbparse.SummaryReader (scalars and text DataFrames): it reads each file on its own, so it also returns the
     killed process's orphaned points; every point of metrics.jsonl must be among its points;
  3. swanlab's TFEvent reader (what `swanlab convert -t tensorboard` reads with), when swanlab is installed: one
     file at a time like tbparse;
  4. the `tensorboard --logdir` server itself over HTTP on 127.0.0.1, with the Rust data server (--load_fast=true)
     and with the Python loader (--load_fast=false): /data/plugin/scalars/scalars and /data/plugin/text/text.
The Python readers keep every point in file order (a step logged twice stays twice: an evaluation line and a training
line both log lr at an evaluation step); the Rust data server keeps the last point of a series at a step (a point at
step s replaces that series' points at s and later): the expected points are derived from metrics.jsonl by each
rule. Every Mnemo event file starts with a SessionLog START at the step its process trains from, which the Python
readers use to drop a killed process's orphaned steps.
"""

import argparse
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def float32(x):
    import struct
    return struct.unpack("f", struct.pack("f", x))[0] if math.isfinite(x) and abs(x) < 3.4e38 else x


def same(expected, got):
    """metrics.jsonl writes null (NaN here) for NaN and ±infinity; the event file keeps the float32."""
    if math.isnan(expected):
        return not math.isfinite(got)
    want = float32(expected)
    return got == want or abs(got - want) <= 1e-7 * max(1.0, abs(want))


def read_metrics(run):
    """metrics.jsonl as Mnemo's MetricsLog reads it: {key: [(step, value)]} in file order (null -> NaN); steps that
    go back (a resume) replace the records from that step on."""
    records = []
    for line in (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        step = record.pop("step")
        if records and step < records[-1][0]:
            records = [r for r in records if r[0] < step]
        values = {k: (math.nan if v is None else float(v)) for k, v in record.items()
                  if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))}
        records.append((step, values))
    series = {}
    for step, values in records:
        for key in sorted(values):
            series.setdefault(key, []).append((step, values[key]))
    return series


def last_per_step(points):
    """The Rust data server's rule: a point at step s replaces the series' points at steps >= s."""
    kept = []
    for step, value in points:
        kept = [p for p in kept if p[0] < step]
        kept.append((step, value))
    return kept


def read_samples(run):
    folder = run / "samples"
    if not folder.is_dir():
        return []
    return [(int(p.stem.split("_")[1]), p.read_text(encoding="utf-8")) for p in sorted(folder.glob("step_*.txt"))]


class Check:
    def __init__(self, name):
        self.name, self.points, self.problems = name, 0, []

    def compare(self, tag, expected, got):
        self.points += len(got)
        if [s for s, _ in expected] != [s for s, _ in got]:
            self.problems.append(f"{tag}: steps {[s for s, _ in got]} != metrics.jsonl's {[s for s, _ in expected]}")
            return
        for (step, want), (_, value) in zip(expected, got):
            if not same(want, value):
                self.problems.append(f"{tag} at step {step}: {value!r} != {want!r}")

    def report(self, extra=""):
        status = "OK" if not self.problems else f"{len(self.problems)} PROBLEM(S)"
        print(f"  {self.name:<44} {self.points:5d} points {extra:<24} {status}")
        for problem in self.problems[:10]:
            print(f"      {problem}")
        return not self.problems


def check_event_accumulator(run, series, samples):
    from tensorboard.backend.event_processing import event_accumulator as ea
    acc = ea.EventAccumulator(str(run), size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
    acc.Reload()
    check = Check("EventAccumulator (tensorboard)")
    tags = acc.Tags()
    if set(tags["scalars"]) != set(series):
        check.problems.append(f"scalar tags {sorted(tags['scalars'])} != metrics.jsonl keys {sorted(series)}")
    for key, expected in series.items():
        if key in tags["scalars"]:
            check.compare(key, expected, [(e.step, e.value) for e in acc.Scalars(key)])
    texts, repeated = [], 0
    if samples:
        if acc.SummaryMetadata("samples").plugin_data.plugin_name != "text":
            check.problems.append("samples: not a text-plugin tensor")
        for event in acc.Tensors("samples"):
            text = (event.step, event.tensor_proto.string_val[0].decode("utf-8"))
            # this accumulator's restart rule purges scalars, images, … but not tensors: the sample at a resumed
            # run's step is there twice (the same text)
            if texts and texts[-1] == text:
                repeated += 1
                continue
            texts.append(text)
        if texts != samples:
            check.problems.append(f"samples: steps {[s for s, _ in texts]} vs samples/ {[s for s, _ in samples]}, "
                                  "or their texts differ")
    return check.report(f"{len(texts)} texts" + (f" ({repeated} repeated)" if repeated else ""))


def compare_superset(check, series, got_by_tag):
    """Every point of metrics.jsonl must be among the reader's points; returns how many others it has (orphaned)."""
    orphaned = 0
    for key, expected in series.items():
        got = list(got_by_tag.get(key, []))
        check.points += len(got)
        for step, want in expected:
            match = next((i for i, (s, v) in enumerate(got) if s == step and same(want, v)), None)
            if match is None:
                check.problems.append(f"{key} at step {step}: {want!r} missing")
            else:
                got.pop(match)
        orphaned += len(got)
    extra_tags = set(got_by_tag) - set(series)
    if extra_tags:
        check.problems.append(f"tags not in metrics.jsonl: {sorted(extra_tags)}")
    return orphaned


def check_tbparse(run, series, samples):
    """tbparse reads each event file on its own (an EventAccumulator per file), so TensorBoard's restart rule does
    not reach across files: a resumed run shows the killed process's orphaned steps too. Every point of metrics.jsonl
    must be there; the others are counted as orphaned."""
    try:
        from tbparse import SummaryReader
    except ImportError:
        print("  tbparse                                      not installed (pip install tbparse): skipped")
        return True
    check = Check("tbparse.SummaryReader")
    frame = SummaryReader(str(run)).scalars
    got = {tag: list(zip(rows["step"].astype(int), rows["value"].astype(float))) for tag, rows in frame.groupby("tag")}
    orphaned = compare_superset(check, series, got)
    text_frame = SummaryReader(str(run)).text
    texts = sorted(set(zip(text_frame["step"].astype(int), text_frame["value"]))) if len(text_frame) else []
    if texts != samples:
        check.problems.append(f"text: steps {[s for s, _ in texts]} vs samples/ {[s for s, _ in samples]}")
    return check.report(f"{len(texts)} texts, {orphaned} orphaned")


def check_swanlab(run, series, samples):
    """The reader `swanlab convert -t tensorboard` uses (swanlab.converter.tfb.utils: tensorboard's EventFileLoader,
    one file at a time, each file becoming a SwanLab run), when swanlab is installed. The conversion itself logs in
    to SwanLab first, so it is not run here."""
    try:
        from swanlab.converter.tfb.utils import get_tf_events_tags_data, get_tf_events_tags_type
    except ImportError:
        print("  swanlab                                      not installed (pip install swanlab): skipped")
        return True
    check = Check("swanlab convert's TFEvent reader")
    got, texts = {}, set()
    for path in sorted(run.glob("events.out.tfevents.*")):
        types = get_tf_events_tags_type(str(path))
        for tag, points in get_tf_events_tags_data(str(path), types).items():
            if types[tag] == "text":
                texts.update((step, text) for step, text, _ in points)
            else:
                got.setdefault(tag, []).extend((step, float(value)) for step, value, _ in points)
    orphaned = compare_superset(check, series, got)
    if sorted(texts) != samples:
        check.problems.append(f"text: steps {sorted(s for s, _ in texts)} vs samples/ {[s for s, _ in samples]}")
    return check.report(f"{len(texts)} texts, {orphaned} orphaned")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read().decode("utf-8").replace("NaN", "null"))


def check_server(run, series, samples, load_fast):
    """`tensorboard --logdir PARENT` answering over HTTP on 127.0.0.1 (bounded: at most 90 s of polling)."""
    port = free_port()
    tensorboard = Path(sys.executable).with_name("tensorboard")
    process = subprocess.Popen([str(tensorboard), "--logdir", str(run.parent), "--host", "127.0.0.1", "--port",
                                str(port), f"--load_fast={'true' if load_fast else 'false'}", "--reload_interval", "1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    name = f"tensorboard --logdir (load_fast={'true' if load_fast else 'false'})"
    check = Check(name)
    base = f"http://127.0.0.1:{port}"
    run_name = run.name
    try:
        deadline = time.time() + 90
        tags = {}
        while time.time() < deadline:
            try:
                tags = get_json(f"{base}/data/plugin/scalars/tags").get(run_name, {})
                if set(tags) >= set(series) and get_json(f"{base}/data/plugin/text/tags").get(run_name):
                    break
            except OSError:
                pass
            time.sleep(1)
        if set(tags) != set(series):
            check.problems.append(f"scalar tags {sorted(tags)} != metrics.jsonl keys {sorted(series)}")
        for key, expected in series.items():
            if key not in tags:
                continue
            query = urllib.parse.urlencode({"run": run_name, "tag": key})
            points = get_json(f"{base}/data/plugin/scalars/scalars?{query}")
            got = [(int(step), math.nan if value is None else float(value)) for _, step, value in points]
            check.compare(key, last_per_step(expected) if load_fast else expected, got)
        query = urllib.parse.urlencode({"run": run_name, "tag": "samples"})
        texts = get_json(f"{base}/data/plugin/text/text?{query}") if samples else []
        steps = [t["step"] for t in texts]
        if steps != [s for s, _ in samples]:
            check.problems.append(f"text: steps {steps} vs samples/ {[s for s, _ in samples]}")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    return check.report(f"{len(texts)} texts")


def train_killed_and_resumed(mnemo, data, run):
    """Trains a tiny run, kills it with SIGKILL after it logged step 14 (checkpoint at 10), resumes it to step 30."""
    settings = ["n_layer=1", "n_head=2", "n_embd=32", "block_size=32", "batch_size=8", "max_iters=30",
                "lr_decay_iters=30", "warmup_iters=5", "eval_interval=10", "checkpoint_interval=10", "eval_iters=2",
                "log_interval=1", "sample_tokens=64", f"data={data}"]
    command = [str(mnemo), "train", str(ROOT / "configs" / "shakespeare-char-cpu.toml"), "--out", str(run)]
    for setting in settings:
        command += ["--set", setting]
    print("$ " + " ".join(command))
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    killed = False
    for line in process.stdout:
        if line.startswith("iter 14:"):
            process.send_signal(signal.SIGKILL)
            killed = True
            break
    process.wait()
    if not killed:
        sys.exit("the run ended before step 14; nothing was killed")
    print(f"  killed after step 14; event files: {sorted(p.name for p in run.glob('events.out.tfevents.*'))}")
    command = [str(mnemo), "train", "--resume", str(run)]
    print("$ " + " ".join(command))
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    print(f"  resumed to step 30; event files: {sorted(p.name for p in run.glob('events.out.tfevents.*'))}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, help="check this run folder instead of training one")
    parser.add_argument("--mnemo", type=Path, help="the mnemo binary (default: .build/release/mnemo, else debug)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "tinyshakespeare.txt")
    parser.add_argument("--keep", action="store_true", help="keep the trained run's folder")
    parser.add_argument("--no-server", action="store_true", help="skip the `tensorboard --logdir` HTTP checks")
    args = parser.parse_args()

    scratch = None
    if args.run is None:
        mnemo = args.mnemo or next((p for p in [ROOT / ".build/release/mnemo", ROOT / ".build/debug/mnemo"] if p.exists()),
                                   None)
        if mnemo is None:
            sys.exit("no mnemo binary: swift build -c release --product mnemo (or pass --mnemo)")
        scratch = Path(tempfile.mkdtemp(prefix="mnemo-tensorboard-"))
        run = scratch / "tiny"
        train_killed_and_resumed(mnemo, args.data, run)
    else:
        run = args.run.resolve()

    series = read_metrics(run)
    samples = read_samples(run)
    files = sorted(p.name for p in run.glob("events.out.tfevents.*"))
    print(f"{run}: {len(files)} event file(s), metrics.jsonl has {len(series)} keys, "
          f"{sum(len(p) for p in series.values())} points, {len(samples)} samples")
    ok = check_event_accumulator(run, series, samples)
    ok &= check_tbparse(run, series, samples)
    ok &= check_swanlab(run, series, samples)
    if not args.no_server:
        ok &= check_server(run, series, samples, load_fast=True)
        ok &= check_server(run, series, samples, load_fast=False)
    if scratch is not None and not args.keep:
        shutil.rmtree(scratch)
    elif scratch is not None:
        print(f"kept {run}")
    print("all readers agree with metrics.jsonl and samples/" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
