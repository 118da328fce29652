#!/usr/bin/env python3
"""Writes a TensorBoard event file with PyTorch's own writer (torch.utils.tensorboard.SummaryWriter, on tensorboard's
EventFileWriter) into Tests/MnemoReportTests/Fixtures/tensorboard/, with fixed wall times, and a description of the
same events (events.json) from which the Swift test rebuilds them with Mnemo's encoder and compares the bytes.

How to run it (by hand, never in CI), after `pip install tensorboard` into the bench virtualenv:
    "$(scripts/setup_python_env.sh --print-python | tail -1)" scripts/make_tensorboard_fixtures.py

The events cover what a Mnemo run writes: the file-version event, scalars (simple_value: step 0, a value float32
cannot hold exactly, zero, NaN, infinity, a step past 2^32), several scalars in one event, a text sample (the text
plugin, UTF-8), and the restart marker of a resumed run (SummaryWriter's purge_step: a file-version event at the
step, then SessionLog START).
"""

import json
import math
import os
import shutil
import tempfile
import time
from pathlib import Path
from unittest import mock

import tensorboard
import torch
from tensorboard.compat.proto.summary_pb2 import Summary
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import scalar

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "MnemoReportTests" / "Fixtures" / "tensorboard"
START_TIME = 1700000000.25  # time.time() while the writer starts (the file-version events)


def number(value):
    """A float as text that Swift's Double(String) reads back exactly (repr, or nan / inf / -inf)."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


def main():
    scalars = [  # (tag, value, step, wall time)
        ("train_loss", 3.4375, 0, 1700000001.5),
        ("lr", 0.0003, 10, 1700000002.123456),
        ("val_loss", 0.0, 250, 1700000003.0),
        ("grad_norm", float("nan"), 260, 1700000004.0),
        ("tok_per_s", float("inf"), 270, 1700000005.0),
        ("elapsed_s", 1.0e-7, 2**40 + 3, 1700000006.0),
    ]
    text = ("samples", "ROMEO:\nWhat, ho! apothecary! — é ✓\n\nJULIET:", 250, 1700000007.5)
    together = ([("a_loss", 1.25), ("b_metric", -2.5)], 300, 1700000008.0)
    purge_step = 250

    description = []
    with tempfile.TemporaryDirectory() as folder:
        with mock.patch("time.time", return_value=START_TIME):
            writer = SummaryWriter(log_dir=folder, purge_step=purge_step)
            file_writer = writer._get_file_writer()  # writes the version event and the purge_step marker now
        description.append({"wall_time": number(START_TIME), "step": 0, "file_version": "brain.Event:2",
                            "writer": "tensorboard.summary.writer.event_file_writer"})
        description.append({"wall_time": number(START_TIME), "step": purge_step, "file_version": "brain.Event:2"})
        description.append({"wall_time": number(START_TIME), "step": purge_step, "session_start": True})

        for tag, value, step, wall_time in scalars:
            writer.add_scalar(tag, value, step, walltime=wall_time)
            description.append({"wall_time": number(wall_time), "step": step, "scalars": [[tag, number(value)]]})

        tag, body, step, wall_time = text
        writer.add_text(tag, body, step, walltime=wall_time)
        description.append({"wall_time": number(wall_time), "step": step, "text": [tag + "/text_summary", body]})

        values, step, wall_time = together
        summary = Summary(value=[v for name, x in values for v in scalar(name, x).value])
        file_writer.add_summary(summary, step, walltime=wall_time)
        description.append({"wall_time": number(wall_time), "step": step,
                            "scalars": [[name, number(x)] for name, x in values]})
        writer.close()

        files = [name for name in os.listdir(folder) if name.startswith("events.out.tfevents.")]
        assert len(files) == 1, files
        OUT.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(folder) / files[0], OUT / "torch_writer.tfevents")

    (OUT / "events.json").write_text(json.dumps(description, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    size = (OUT / "torch_writer.tfevents").stat().st_size
    (OUT / "README.md").write_text(
        "# TensorBoard event file fixture\n\n"
        f"Written by `scripts/make_tensorboard_fixtures.py` with torch {torch.__version__} and tensorboard "
        f"{tensorboard.__version__}; do not edit by hand. Regenerate (by hand, never in CI) with\n\n"
        '    "$(scripts/setup_python_env.sh --print-python | tail -1)" scripts/make_tensorboard_fixtures.py\n\n'
        "- `torch_writer.tfevents` "
        f"({size} bytes): the event file torch.utils.tensorboard.SummaryWriter wrote (tensorboard's EventFileWriter, "
        "wall times fixed), renamed.\n"
        "- `events.json`: the same events, in order, as the Swift test rebuilds them with Mnemo's encoder "
        "(TensorBoardFormatTests): wall times and values as text that Swift's Double(String) reads exactly.\n",
        encoding="utf-8")
    print(f"wrote {OUT / 'torch_writer.tfevents'} ({size} bytes, {len(description)} events) and events.json")


if __name__ == "__main__":
    main()
