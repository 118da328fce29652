"""Writes the safetensors files that Tests/SafeTensorsTests loads, with PyTorch and Python's `safetensors`.

    python scripts/fixtures_safetensors.py [OUT_DIR]     # default: Tests/SafeTensorsTests/Fixtures

Files (a few KB in all). The Rust library writes "__metadata__" keys in hash order, which changes from run to
run; so a file is replaced only when its tensors or metadata differ, and re-running leaves git clean:
  dtypes.safetensors    one [2, 3] tensor per dtype torch can save, named by its code ("F32", "BF16", ...), with
                        exactly representable values; metadata {"format": "pt", "writer": ...}
  special.safetensors   "empty" F32 [0, 3], "scalar" F32 0-d = 3.5, "vector" I64 [3] = [7, 8, 9]; no metadata
  metadata.safetensors  one tensor and metadata with non-ASCII text, quotes, a backslash, a newline, ""
  expected.json         for each file: metadata, and for each tensor dtype, shape, the raw bytes in hex (what
                        torch holds in memory, little-endian) and the values (complex as [re, im])

The Swift tests compare every byte with `hex` and decode `values` themselves. Imported by make_fixtures.py:
    from fixtures_safetensors import write_safetensors_fixtures
and, for `save_fixture` (write only on change), by every make_*_fixtures.py.
"""

import json
import os
import struct
import sys

import torch
from safetensors.torch import save_file

# code -> (torch dtype name, how to build the 6 values of the [2, 3] tensor)
_SIGNED = lambda: torch.arange(6, dtype=torch.float64) - 3            # -3 .. 2
_HALVES = lambda: (torch.arange(6, dtype=torch.float64) - 2) * 0.5    # -1.0 .. 1.5, exact in every float format
_DTYPES = {
    "F64": ("float64", lambda: (torch.arange(6, dtype=torch.float64) - 2) / 3),
    "F32": ("float32", lambda: (torch.arange(6, dtype=torch.float64) - 2) * 0.25),
    "F16": ("float16", _HALVES),
    "BF16": ("bfloat16", _HALVES),
    "F8_E4M3": ("float8_e4m3fn", _HALVES),
    "F8_E5M2": ("float8_e5m2", _HALVES),
    "F8_E4M3FNUZ": ("float8_e4m3fnuz", _HALVES),
    "F8_E5M2FNUZ": ("float8_e5m2fnuz", _HALVES),
    "F8_E8M0": ("float8_e8m0fnu", lambda: 2.0 ** (torch.arange(6, dtype=torch.float64) - 2)),  # powers of 2 only
    "C64": ("complex64", None),
    "I64": ("int64", lambda: _SIGNED() * 10**12),
    "I32": ("int32", lambda: _SIGNED() * 10**6),
    "I16": ("int16", lambda: _SIGNED() * 1000),
    "I8": ("int8", _SIGNED),
    "U64": ("uint64", lambda: torch.arange(6, dtype=torch.float64) * 10**12),
    "U32": ("uint32", lambda: torch.arange(6, dtype=torch.float64) * 10**6),
    "U16": ("uint16", lambda: torch.arange(6, dtype=torch.float64) * 1000),
    "U8": ("uint8", lambda: torch.arange(6, dtype=torch.float64) * 40),
    "BOOL": ("bool", lambda: torch.arange(6) % 2 == 1),
}


def _make(code):
    dtype = getattr(torch, _DTYPES[code][0])
    if code == "C64":
        real = torch.arange(6, dtype=torch.float32) - 2
        return torch.complex(real, -real * 0.5).reshape(2, 3)
    values = _DTYPES[code][1]()
    if values.dtype == torch.float64 and not dtype.is_floating_point and dtype != torch.bool:
        values = values.to(torch.int64)  # exact integers before narrowing
    return values.to(dtype).reshape(2, 3)


def _describe(tensor, code):
    raw = tensor.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
    if code == "C64":
        values = torch.view_as_real(tensor).reshape(-1, 2).tolist()
    elif code == "BOOL":
        values = [int(v) for v in tensor.reshape(-1).tolist()]
    elif tensor.dtype.is_floating_point:
        values = tensor.to(torch.float64).reshape(-1).tolist()
    else:
        values = [int(v) for v in tensor.reshape(-1).tolist()]
    return {"dtype": code, "shape": list(tensor.shape), "hex": raw.hex(), "values": values}


def _parsed(path):
    """(header as a dict, data bytes) of a safetensors file, or None if it cannot be read."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        n = struct.unpack("<Q", raw[:8])[0]
        return json.loads(raw[8 : 8 + n]), raw[8 + n :]
    except (OSError, ValueError, struct.error):
        return None


def _save_if_changed(tensors, path, metadata):
    """save_file to path, unless the file there already holds the same header entries and data."""
    temporary = f"{path}.tmp-{os.getpid()}"
    save_file(tensors, temporary, metadata=metadata)
    old = _parsed(path)
    if old is not None and old == _parsed(temporary):
        os.remove(temporary)
    else:
        os.replace(temporary, path)


def save_fixture(path, tensors, metadata, max_bytes):
    """The fixture scripts' writer: tensors (made contiguous and unshared, as safetensors requires) to path, replacing
    the file only when its header entries or data differ (so re-running leaves git clean), readable by everyone;
    fails if the file exceeds max_bytes. Returns the size."""
    from pathlib import Path
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous().clone() for k, v in tensors.items()}
    _save_if_changed(tensors, str(path), metadata)
    path.chmod(0o644)  # safetensors creates files readable by the owner only
    size = path.stat().st_size
    assert size <= max_bytes, f"{path.name} is {size} bytes (limit {max_bytes})"
    return size


def write_safetensors_fixtures(out_dir):
    """Writes the fixture files into out_dir (created if needed). Returns the paths written."""
    os.makedirs(out_dir, exist_ok=True)
    expected = {}
    written = []

    def save(file_name, tensors, codes, metadata):
        path = os.path.join(out_dir, file_name)
        _save_if_changed(tensors, path, metadata)
        expected[file_name] = {
            "metadata": metadata or {},
            "tensors": {name: _describe(t, codes[name]) for name, t in tensors.items()},
        }
        written.append(path)

    available = [code for code, (name, _) in _DTYPES.items() if hasattr(torch, name)]
    missing = sorted(set(_DTYPES) - set(available))
    if missing:
        print(f"fixtures_safetensors: torch {torch.__version__} lacks {missing}; skipped", file=sys.stderr)
    save("dtypes.safetensors", {code: _make(code) for code in available}, {c: c for c in available},
         {"format": "pt", "writer": "scripts/fixtures_safetensors.py"})

    special = {
        "empty": torch.zeros(0, 3, dtype=torch.float32),
        "scalar": torch.tensor(3.5, dtype=torch.float32),
        "vector": torch.tensor([7, 8, 9], dtype=torch.int64),
    }
    save("special.safetensors", special, {"empty": "F32", "scalar": "F32", "vector": "I64"}, None)

    save("metadata.safetensors", {"w": torch.ones(2, dtype=torch.float32)}, {"w": "F32"},
         {"format": "pt", "note": 'naïve ✓ "quoted" back\\slash\nnew line', "empty": "", "ünïcödé kéy": "ok"})

    expected_path = os.path.join(out_dir, "expected.json")
    with open(expected_path, "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    written.append(expected_path)
    return written


if __name__ == "__main__":
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Tests", "SafeTensorsTests", "Fixtures")
    for path in write_safetensors_fixtures(out):
        print(f"  {os.path.relpath(path)} ({os.path.getsize(path)} bytes)")
