#!/usr/bin/env python3
"""Writes the SentencePiece-style BPE fixtures: Llama-2-family tokenizer.json files and the ids and texts that
Hugging Face `tokenizers` gives for tricky strings.

TinyLlama and the other Llama-2-family folders ship a tokenizer.json converted from a SentencePiece BPE: a BPE
model over Unicode characters with `byte_fallback` (characters outside the vocabulary become <0x..> byte tokens),
`▁` for spaces, and a decoder chain that turns both back into text. This script trains such a tokenizer with
`tokenizers` on part of tinyshakespeare (a small alphabet, so that byte fallback is exercised), lays it out as
Llama-2 does (<unk>, <s>, </s>, then the 256 byte tokens, then the merged pieces), and writes it in four forms:

  legacy.json            TinyLlama / Llama-2: normalizer Prepend("▁") + Replace(" ", "▁"), no pre-tokenizer,
                         decoder Replace("▁", " ") + ByteFallback + Fuse + Strip(" ", 1, 0)
  metaspace_first.json   what transformers' LlamaTokenizerFast writes with legacy=False: Metaspace pre-tokenizer
                         (prepend_scheme "first", split false) and Metaspace decoder chain
  metaspace_split.json   Metaspace(prepend_scheme "always", split true), the tokenizers default
  no_byte_fallback.json  legacy layout without byte fallback: unknown characters become <unk> (fused)

Output: Tests/MnemoDataTests/Fixtures/sentencepiece/*.json and Tests/MnemoDataTests/SentencePieceReferences.swift
(ids of encode(text, add_special_tokens=False) and of encode with added tokens matched, and the decoded text of
each, with skip_special_tokens=False).

Usage: scripts/sentencepiece_references.py [SHARED_DATA]   (default ../shared/data next to the package)
Needs: pip install tokenizers
"""
import json
import os
import sys

import tokenizers
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(ROOT), "shared", "data")
OUT = os.path.join(ROOT, "Tests", "MnemoDataTests", "Fixtures", "sentencepiece")
SPECIALS = ["<unk>", "<s>", "</s>"]
BYTES = [f"<0x{b:02X}>" for b in range(256)]

# 1. Train: Metaspace words (merges never cross a space, as SentencePiece's), 60 characters at most.
with open(os.path.join(DATA, "tinyshakespeare.txt"), encoding="utf-8") as f:
    corpus = f.read()[:300_000]
lines = corpus.split("\n") + ["café naïve über straße", "déjà vu — «quotes»"] * 20
trainer_tokenizer = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
trainer_tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=SPECIALS, limit_alphabet=64, show_progress=False)
trainer_tokenizer.train_from_iterator(lines, trainer)
trained = json.loads(trainer_tokenizer.to_str())

# 2. Llama-2's id layout: specials, the 256 byte tokens, then the trained pieces in their order.
pieces = sorted(((token, i) for token, i in trained["model"]["vocab"].items() if token not in SPECIALS), key=lambda x: x[1])
vocab = {token: i for i, token in enumerate(SPECIALS + BYTES)}
for token, _ in pieces:
    if token not in vocab:
        vocab[token] = len(vocab)
merges = trained["model"]["merges"]
# A merge that the byte tokens make ambiguous is impossible here (byte tokens contain no ▁ and are not characters).

added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
          "special": True} for i, t in enumerate(SPECIALS)]


def model(byte_fallback=True):
    return {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": byte_fallback, "ignore_merges": False,
            "vocab": vocab, "merges": merges}


post_processor = json.loads(processors.TemplateProcessing(
    single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)]).__getstate__())
legacy_normalizer = {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                                                         {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
legacy_decoder = {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}


def metaspace(scheme, split):
    return {"type": "Metaspace", "replacement": "▁", "prepend_scheme": scheme, "split": split}


def tokenizer_json(normalizer, pre_tokenizer, decoder, byte_fallback=True):
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": normalizer,
            "pre_tokenizer": pre_tokenizer, "post_processor": post_processor, "decoder": decoder,
            "model": model(byte_fallback)}


VARIANTS = {
    "legacy": tokenizer_json(legacy_normalizer, None, legacy_decoder),
    "metaspace_first": tokenizer_json(None, metaspace("first", False), {"type": "Sequence", "decoders": [
        metaspace("first", False), {"type": "ByteFallback"}, {"type": "Fuse"}]}),
    "metaspace_split": tokenizer_json(None, metaspace("always", True), metaspace("always", True)),
    "no_byte_fallback": tokenizer_json(legacy_normalizer, None, legacy_decoder, byte_fallback=False),
}

TEXTS = [
    "",
    " ",
    "   ",
    "Hello world",
    " Hello world",
    "Hello  world  ",
    "First Citizen:\nBefore we proceed any further, hear me speak.",
    "tabs\tand\nnewlines\n\n\nand \r\n crlf\r\n",
    "Unicode: café, naïve, Ünïcödé, 日本語のテキスト, 中文, 한국어, Ελληνικά, русский",
    "emoji: 😀👍🏽🇫🇷 👨‍👩‍👧‍👦! 🤖🦄",
    "numbers 1234567890 ½ 3.14159 1,000,000",
    "▁ already ▁▁ metaspace▁x ▁",
    "<0x41> is not a byte token in text",
    "<s>Hello</s> world",
    " <s> x</s></s>y",
    "</s>",
    "a" * 100,
    " " * 50 + "x",
    "\u00a0nbsp\u3000ideographic\u2003em",
    "zero\u200bwidth e\u0301 combining",
    "a space before a combining mark: a \u0301b ▁",
    "\u0000\u0001 control \u007f del",
    "ALL CAPS and MiXeD cAsE, KING RICHARD III",
]

# Id sequences whose decoding is tricky: broken UTF-8 from byte tokens, specials in the middle, a lone ▁.
DECODE_CASES = [
    [3 + 0xE6, 3 + 0x97, 3 + 0xA5],                 # 日 as three byte tokens
    [3 + 0xE6, 3 + 0x97],                           # a truncated character: one U+FFFD per byte token
    [3 + 0x41, 3 + 0xFF, 3 + 0x42],                 # invalid UTF-8 in the middle of a byte run
    [1, 3 + 0x41, 2],                               # specials around a byte token
    [vocab["▁"], vocab["▁"]],                       # two lone ▁
    [vocab["▁"], 1, vocab["▁"]],
]


def swift_string(text):
    out = '"'
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out += '\\"'
        elif ch == "\\":
            out += "\\\\"
        elif code < 0x20 or code == 0x7F or (0x80 <= code < 0xA0) or code in (0x2028, 0x2029, 0x200B, 0xAD, 0x301, 0x200D):
            out += "\\u{%X}" % code
        else:
            out += ch
    return out + '"'


def ints(values):
    return "[" + ", ".join(str(v) for v in values) + "]"


os.makedirs(OUT, exist_ok=True)
loaded = {}
for name, content in VARIANTS.items():
    text = json.dumps(content, ensure_ascii=False, indent=1)
    loaded[name] = Tokenizer.from_str(text)  # tokenizers accepts the file: it is valid
    with open(os.path.join(OUT, name + ".json"), "w", encoding="utf-8") as f:
        f.write(text + "\n")

out = [
    "// SentencePieceReferences.swift — written by scripts/sentencepiece_references.py; do not edit.",
    f"// Hugging Face tokenizers {tokenizers.__version__}: encode(text, add_special_tokens=False) with the files in",
    "// Fixtures/sentencepiece; `ordinary` with the added tokens taken out of the file (our encode(_:)), `special` as",
    "// the file is (our encode(_:allowedSpecial: .all)); `decoded` = decode(special, skip_special_tokens=False).",
    "",
    "struct SentencePieceReference {",
    "    let variant: String",
    "    let text: String",
    "    let ordinary: [Int]",
    "    let special: [Int]",
    "    let decoded: String",
    "}",
    "",
    "struct SentencePieceDecodeReference {",
    "    let variant: String",
    "    let ids: [Int]",
    "    let decoded: String",
    "}",
    "",
    f"let sentencePieceVocabularySize = {len(vocab)}",
    "",
    "let sentencePieceReferences: [SentencePieceReference] = [",
]
for name, tok in loaded.items():
    ordinary_json = dict(VARIANTS[name], added_tokens=[])
    ordinary = Tokenizer.from_str(json.dumps(ordinary_json, ensure_ascii=False))
    for text in TEXTS:
        special_ids = tok.encode(text, add_special_tokens=False).ids
        decoded = tok.decode(special_ids, skip_special_tokens=False)
        out.append(f"    SentencePieceReference(variant: \"{name}\", text: {swift_string(text)},")
        out.append(f"        ordinary: {ints(ordinary.encode(text, add_special_tokens=False).ids)},")
        out.append(f"        special: {ints(special_ids)},")
        out.append(f"        decoded: {swift_string(decoded)}),")
out.append("]")
out.append("")
out.append("let sentencePieceDecodeReferences: [SentencePieceDecodeReference] = [")
for name, tok in loaded.items():
    for ids in DECODE_CASES:
        out.append(f"    SentencePieceDecodeReference(variant: \"{name}\", ids: {ints(ids)}, "
                   f"decoded: {swift_string(tok.decode(ids, skip_special_tokens=False))}),")
out.append("]")
path = os.path.join(ROOT, "Tests", "MnemoDataTests", "SentencePieceReferences.swift")
with open(path, "w", encoding="utf-8") as f:
    f.write("\n".join(out) + "\n")
print(f"wrote {OUT}/*.json ({len(vocab)} tokens, {len(merges)} merges) and {path}: {len(TEXTS)} texts × {len(VARIANTS)} files")

# 3. A TinyLlama-shaped folder: a tiny random LlamaForCausalLM (untied head, as TinyLlama) saved by transformers with
# the legacy tokenizer.json, the ids transformers' tokenizer(prompt) gives (with <s>) and 12 greedy tokens after
# them, for the `mnemo sample DIR` test (Tests/MnemoTrainTests/Fixtures/hf_tinyllama_sp).
import shutil  # noqa: E402

import torch  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast  # noqa: E402

folder = os.path.join(ROOT, "Tests", "MnemoTrainTests", "Fixtures", "hf_tinyllama_sp")
os.makedirs(folder, exist_ok=True)
torch.manual_seed(0)
config = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                     num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, rope_theta=10000.0,
                     rms_norm_eps=1e-5, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2, initializer_range=0.2)
llama = LlamaForCausalLM(config).eval()
llama.save_pretrained(folder, safe_serialization=True)
for extra in ("generation_config.json",):
    if os.path.exists(os.path.join(folder, extra)):
        os.remove(os.path.join(folder, extra))
shutil.copy(os.path.join(OUT, "legacy.json"), os.path.join(folder, "tokenizer.json"))
hf_tokenizer = PreTrainedTokenizerFast(tokenizer_file=os.path.join(folder, "tokenizer.json"), bos_token="<s>",
                                       eos_token="</s>", unk_token="<unk>")
prompt = "First Citizen: café"
input_ids = hf_tokenizer(prompt)["input_ids"]
ids = torch.tensor([input_ids])
with torch.no_grad():
    for _ in range(12):
        next_id = llama(ids).logits[:, -1].argmax(-1, keepdim=True)
        ids = torch.cat([ids, next_id], dim=1)
expected = {"prompt": prompt, "input_ids": input_ids, "greedy_ids": ids[0, len(input_ids):].tolist(),
            "text": hf_tokenizer.decode(ids[0].tolist())}
with open(os.path.join(folder, "expected.json"), "w", encoding="utf-8") as f:
    json.dump(expected, f, ensure_ascii=False, indent=1)
print(f"wrote {folder}: input {input_ids}, greedy {expected['greedy_ids']}")
