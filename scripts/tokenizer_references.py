#!/usr/bin/env python3
"""Writes Tests/MnemoDataTests/TokenizerReferences.swift: ids of tricky strings from the reference libraries.

GPT-2: tiktoken get_encoding("gpt2") (encode_ordinary, and encode with allowed_special="all"), loaded offline from
the cache that shared/data/gpt2/make_tiktoken_cache.sh lays out. MiniMind: Hugging Face tokenizers
Tokenizer.from_file(...).encode(text, add_special_tokens=False). Pieces: GPT-2's regex with the `regex` module.

Usage: scripts/tokenizer_references.py [SHARED_DATA]   (default ../shared/data next to the package)
Needs: pip install tiktoken tokenizers regex
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(ROOT), "shared", "data")

cache = tempfile.mkdtemp()
subprocess.run([os.path.join(DATA, "gpt2", "make_tiktoken_cache.sh"), cache], check=True, stdout=subprocess.DEVNULL)
os.environ["TIKTOKEN_CACHE_DIR"] = cache
import regex  # noqa: E402
import tiktoken  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

gpt2 = tiktoken.get_encoding("gpt2")
minimind3 = Tokenizer.from_file(os.path.join(DATA, "minimind", "tokenizer.json"))
minimind2 = Tokenizer.from_file(os.path.join(DATA, "minimind", "minimind2", "tokenizer.json"))
PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")

TEXTS = [
    "",
    "Hello world",
    "Hello, world! How's it going? I'm fine; they'll say we've done it, I'd think.",
    "  multiple   spaces    here  ",
    "tabs\tand\nnewlines\n\n\nand \r\n crlf\r\n",
    "trailing spaces   ",
    "   leading",
    "Unicode: café, naïve, Ünïcödé, 日本語のテキスト, 中文, 한국어, Ελληνικά, русский",
    "emoji: 😀👍🏽🇫🇷 👨‍👩‍👧‍👦! 🤖🦄",
    "numbers 1234567890 ٣٤٥ ½ Ⅻ 3.14159 1,000,000 ²³",
    "contractions: 'S 'T 'Re don't DON'T y'all it's' 'll've 'd'm ''s",
    "   \n\n   \t  x \u000b\u000c y",
    "\u00a0nbsp\u3000ideographic\u2003em space\u2028line\u0085next",
    "zero\u200bwidth soft\u00adhyphen e\u0301 combining \u0915\u093f",
    "math ∑∫ symbols ≠ ≤ → ← ©®™ ÿ þ ß",
    "a" * 100,
    " " * 200 + "x",
    "\n" * 70,
    "!!!!!!!!!!???? ...... ---- ====",
    "<|endoftext|>",
    "text<|endoftext|>more",
    " <|endoftext|> \n<|endoftext|><|endoftext|>",
    "<|im_start|>user\n你好<|im_end|>",
    "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
    "<tool_call>{\"name\": \"f\"}</tool_call> <|buffer1|>",
    "\u0000\u0001 control \u007f del",
    "mixed123abc456 abc123 12ab 1.5e-10",
]


def swift_string(text):
    out = '"'
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out += '\\"'
        elif ch == "\\":
            out += "\\\\"
        elif code < 0x20 or code == 0x7F or (0x80 <= code < 0xA0) or code in (0x2028, 0x2029, 0x200B, 0xAD, 0x301):
            out += "\\u{%X}" % code
        else:
            out += ch
    return out + '"'


def ints(values):
    return "[" + ", ".join(str(v) for v in values) + "]"


lines = [
    "// TokenizerReferences.swift — written by scripts/tokenizer_references.py; do not edit.",
    f"// tiktoken {tiktoken.__version__} (gpt2), tokenizers {__import__('tokenizers').__version__} (MiniMind files), "
    f"regex {regex.__version__} (pieces).",
    "",
    "struct TokenizerReference {",
    "    let text: String",
    "    /// GPT-2 regex pieces.",
    "    let pieces: [String]",
    "    /// tiktoken gpt2 encode_ordinary / encode(allowed_special=\"all\").",
    "    let gpt2Ordinary: [Int]",
    "    let gpt2Special: [Int]",
    "    /// HF tokenizers encode(text, add_special_tokens=False) with minimind/tokenizer.json and minimind2/.",
    "    let minimind3: [Int]",
    "    let minimind2: [Int]",
    "}",
    "",
    "let tokenizerReferences: [TokenizerReference] = [",
]
for text in TEXTS:
    pieces = PATTERN.findall(text)
    lines.append("    TokenizerReference(")
    lines.append(f"        text: {swift_string(text)},")
    lines.append("        pieces: [" + ", ".join(swift_string(p) for p in pieces) + "],")
    lines.append(f"        gpt2Ordinary: {ints(gpt2.encode_ordinary(text))},")
    lines.append(f"        gpt2Special: {ints(gpt2.encode(text, allowed_special='all'))},")
    lines.append(f"        minimind3: {ints(minimind3.encode(text, add_special_tokens=False).ids)},")
    lines.append(f"        minimind2: {ints(minimind2.encode(text, add_special_tokens=False).ids)}")
    lines.append("    ),")
lines.append("]")
path = os.path.join(ROOT, "Tests", "MnemoDataTests", "TokenizerReferences.swift")
with open(path, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {path}: {len(TEXTS)} texts")
