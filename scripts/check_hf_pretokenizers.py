#!/usr/bin/env python3
"""Writes the fixtures for MnemoData's Llama 3 / Qwen2 / GPT-2 Split pre-tokenizers and checks Mnemo against Hugging
Face `tokenizers` on larger texts. Run by hand in the bench venv:

  PY="$(scripts/setup_python_env.sh --print-python | tail -1)"
  swift build --product mnemo            # for step 4 (skipped with a note when .build/debug/mnemo is missing)
  "$PY" scripts/check_hf_pretokenizers.py [--mnemo PATH] [--shared-data DIR]

The Hugging Face hub is not needed: the tokenizer.json files are trained here, as Llama 3.x and Qwen2 lay theirs out.

1. Trains a small byte-level BPE per pattern on tinyshakespeare, the TinyStories sample and some multilingual lines,
   with the pre_tokenizer Sequence[Split(Regex(PATTERN), Isolated), ByteLevel(add_prefix_space false, use_regex
   false)], then adds the family's added tokens after the vocabulary (as the real files have them):
     llama3.json  Llama 3.x: `ignore_merges: true`, a few words put in the vocabulary with no merges that make them
                  (so ignore_merges changes ids), <|begin_of_text|> … <|eot_id|>, post_processor
                  Sequence[ByteLevel, TemplateProcessing("<|begin_of_text|> $A")], no normalizer
     qwen2.json   Qwen2 / 2.5 / 3: NFC normalizer, <|endoftext|> <|im_start|> <|im_end|> (special) and <think> </think>
                  (not special), post_processor ByteLevel
     gpt2.json    the GPT-2 pattern in the same layout, <|endoftext|>
2. For each file and each sample text: the Split's pieces of the raw text, encode(text, add_special_tokens=False) as
   the file is (Mnemo's encode(_:allowedSpecial: .all)) and with its added tokens taken out (Mnemo's encode(_:)),
   encode(text) with special tokens added (PromptPrefix + ids), decode(ids, skip_special_tokens=False), and for
   llama3 the ids with ignore_merges false -> Fixtures/hf_pretokenizers/references.json.
3. The class tokenizers gives every scalar U+0000…U+10FFFF (letter, number, whitespace, other; probed through the
   llama3 Split) -> Fixtures/hf_pretokenizers/scalar_classes.txt, run-length coded; and checks that the only scalar
   outside ASCII that the case-insensitive contractions accept is U+017F ſ (Llama3PreTokenizer.swift relies on it).
4. By hand: `mnemo tokenizer encode --hf FILE --allow-special --threads 7` against tokenizers' ids on
   tinyshakespeare, the TinyStories sample and a 400 KB random text of tricky fragments, for each fixture and for
   8,000-token tokenizers trained the same way (not kept); prints the number of ids compared and of mismatches.
   Exit status 1 on any mismatch.

Needs: tokenizers (0.23.3 was used).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import unicodedata

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "MnemoDataTests", "Fixtures", "hf_pretokenizers")

PATTERNS = {
    "gpt2": r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
    "llama3": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
    "qwen2": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
}
SPECIALS = {
    "llama3": ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
               "<|start_header_id|>", "<|end_header_id|>", "<|reserved_special_token_2|>", "<|eot_id|>"],
    "qwen2": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
    "gpt2": ["<|endoftext|>"],
}
NOT_SPECIAL = {"qwen2": ["<think>", "</think>"]}
# Words given their own vocabulary entry with no merge that makes them: with ignore_merges a piece that is exactly one
# of them is one id; without, BPE spells it out of smaller tokens.
# They appear only in WHOLE_WORDS_TEXT, which is kept out of the training corpus.
WHOLE_WORDS = [" xylophonist", " Mnemosyne", " naïveté", "QUIZZICAL", " 東京タワー"]
WHOLE_WORDS_TEXT = " xylophonist Mnemosyne naïveté QUIZZICAL 東京タワー xylophonists QUIZZICALLY"
MULTILINGUAL = ["café naïve über straße Ünïcödé", "日本語のテキスト 東京 中文 한국어", "Ελληνικά русский язык",
                "emoji 😀👍🏽 🇫🇷", "numbers 1234567 ٣٤٥ ３４５ ½ Ⅻ", "I'M HE'S WE'LL THEY'RE YOU'VE I'D DON'T",
                "déjà vu — «quotes» “curly” ‘single’"]

TEXTS = [
    "",
    " ",
    "Hello world",
    "  Hello   world  \n",
    "I'm sure you'll see they're here; we've said I'd go, don't you?",
    "I'M SURE YOU'LL SEE THEY'RE HERE; WE'VE SAID I'D GO, DON'T YOU? He'S sHe'Ll iT'd",
    "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'VE 'M 'LL 'D 'x ''s '''",
    "long s: x'ſ 'ſ ſ's it'ſelf x'ſtuff and Kelvin 'K 'k 'Kx",
    "contractions before letters: x'sup y'Tis z'REally w'LLama v'dx u'Ms t'vex 'tis 'S'S'll''d 1'd .'t",
    "digits 1 12 123 1234 12345 123456 1234567 and 3.14159 1,000,000 x2y22z222",
    "other numbers: ٣٤٥٦ ３４５６７ ²³ ½¾ ⅫⅪ 𝟙𝟚𝟛",
    "punctuation!!! ... ?!?! (parens) [brackets] {braces} --- *** ### @@@ $$$ %%% ^^^ &&& ~~~ ``` ||| \\\\ //",
    "x...y!!\n\nz ?\r\n\r\nw (a) .b ,c",
    "windows\r\nline\r\nendings\r\n\r\n",
    "newlines\n\n\nand spaces   \n   \n x\n",
    "tabs\tand\t\ttabs \t mixed\t\n\tindent",
    "multiple    spaces     before      words and at end     ",
    "   leading spaces",
    "\n\nleading newlines",
    "trailing newline\n",
    "Unicode: café, naïve, Ünïcödé, straße, ÆØÅ, Ελληνικά, русский язык",
    "CJK: 日本語のテキスト、東京。中文，한국어 テスト",
    "emoji: 😀👍🏽🇫🇷 👨\u200d👩\u200d👧\u200d👦! 🤖🦄 a😀b",
    "combining: e\u0301 a\u0308 n\u0303 \u0301x x\u0301y 가\u11a8 \u1100\u1161\u11a8 \u212b \u2126",
    "odd spaces: a\u00a0b c\u3000d e\u2003f g\u2028h i\u0085j k\u000bl m\u000cn",
    "zero\u200bwidth joiner\u200dx soft\u00adhyphen",
    "controls \u0000\u0001\u007f del",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|>",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nhello<|im_end|>\n",
    "text<|endoftext|>more <|end_of_text|> <think>hmm</think> <|eot_id|>x<|im_end|>",
    "<|not a token|> <|eot_id <eot_id|>",
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.",
    "a" * 100,
    " " * 40 + "x",
    WHOLE_WORDS_TEXT,
    "\n" * 5 + " " * 5 + "\t" * 5,
]


def pre_tokenizer(name):
    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(PATTERNS[name]), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])


def train(name, corpus, vocab_size):
    tok = Tokenizer(models.BPE(ignore_merges=(name == "llama3")))
    tok.pre_tokenizer = pre_tokenizer(name)
    if name == "qwen2":
        tok.normalizer = normalizers.NFC()
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    data = json.loads(tok.to_str())
    if name == "llama3":
        vocab = data["model"]["vocab"]
        for word in WHOLE_WORDS:
            spelled = bytes_to_unicode(word)
            assert spelled not in vocab, word
            vocab[spelled] = len(vocab)
    tok = Tokenizer.from_str(json.dumps(data, ensure_ascii=False))
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIALS[name]])
    if name in NOT_SPECIAL:
        tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in NOT_SPECIAL[name]])
    if name == "llama3":
        bos = tok.token_to_id("<|begin_of_text|>")
        tok.post_processor = processors.Sequence([
            processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True),
            processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                          pair="<|begin_of_text|> $A <|begin_of_text|> $B:1",
                                          special_tokens=[("<|begin_of_text|>", bos)]),
        ])
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok


def bytes_to_unicode(text):
    """GPT-2's byte-level spelling of text."""
    table = {}
    printable = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    shifted = 256
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(shifted)
            shifted += 1
    return "".join(table[b] for b in text.encode("utf-8"))


def variant(tok, change):
    data = json.loads(tok.to_str())
    change(data)
    return Tokenizer.from_str(json.dumps(data, ensure_ascii=False))


def references(name, tok):
    split = pre_tokenizers.Split(Regex(PATTERNS[name]), behavior="isolated", invert=False)
    ordinary = variant(tok, lambda d: d.update(added_tokens=[]))
    plain_bpe = variant(tok, lambda d: d["model"].update(ignore_merges=False)) if name == "llama3" else None
    cases = []
    for text in TEXTS:
        ids = tok.encode(text, add_special_tokens=False).ids
        case = {
            "text": text,
            "pieces": [piece for piece, _ in split.pre_tokenize_str(text)],
            "ids": ids,
            "ordinary": ordinary.encode(text, add_special_tokens=False).ids,
            "with_special_tokens": tok.encode(text, add_special_tokens=True).ids,
            "decoded": tok.decode(ids, skip_special_tokens=False),
        }
        if plain_bpe is not None:
            case["ids_without_ignore_merges"] = plain_bpe.encode(text, add_special_tokens=False).ids
        cases.append(case)
    return {"vocabulary_size": tok.get_vocab_size(), "cases": cases}


def scalar_classes():
    """tokenizers' class of every scalar, probed through the llama3 Split; and the contraction letters check."""
    split = pre_tokenizers.Split(Regex(PATTERNS["llama3"]), behavior="isolated", invert=False)

    def count(text):
        return len(split.pre_tokenize_str(text))

    classes = []
    contraction_letters = set()
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            classes.append("O")
            continue
        c = chr(cp)
        if count("a" + c) == 1:
            kind = "L"
            for probe, head in (("'" + c + "z", "'" + c), ("'" + c + "ez", "'" + c + "e"), ("'r" + c + "z", "'r" + c),
                                ("'v" + c + "z", "'v" + c), ("'l" + c + "z", "'l" + c), ("'" + c + "lz", "'" + c + "l")):
                if split.pre_tokenize_str(probe)[0][0] == head:
                    contraction_letters.add(cp)
        elif count("1" + c) == 1:
            kind = "N"
        elif count("!" + c + "!") == 1:
            kind = "O"
        else:
            kind = "W"
        classes.append(kind)
    unexpected = sorted(cp for cp in contraction_letters if cp >= 0x80 and cp != 0x17F)
    assert not unexpected, f"contractions accept {[hex(cp) for cp in unexpected]}: update Llama3PreTokenizer.swift"
    assert 0x17F in contraction_letters, "U+017F no longer counts as s: update Llama3PreTokenizer.swift"
    ascii_letters = sorted(chr(cp) for cp in contraction_letters if cp < 0x80)
    assert "".join(ascii_letters) == "DELMRSTVdelmrstv", ascii_letters
    runs = []
    for cp, kind in enumerate(classes):
        if not runs or runs[-1][1] != kind:
            runs.append((cp, kind))
    return runs


def fuzz_text(seed=5, size=400_000):
    rng = random.Random(seed)
    fragments = (["Hello", "world", "WORLD", "x", "it", "'s", "'S", "'ll", "'LL", "'ſ", "'re", "'Ve", "'d", "'", "''",
                  "1", "12", "1234", "1234567", "٣٤", "３４５", "½", "Ⅻ", "²",
                  " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\r", " \n", "\n ", "\u00a0", "\u3000", "\u2028",
                  "\u0085", "\u000b", ".", "...", "!?", "(", ")", "--", "\"", "“", "—", "😀", "👍🏽", "👨\u200d👩",
                  "café", "naïve", "e\u0301", "\u0301", "a\u0308", "가\u11a8", "\u1100\u1161", "\u212b", "日本語", "東京",
                  "한국어", "Ελλάδα", "straße", " extraordinary", " Mnemo", "WONDERFUL",
                  "<|endoftext|>", "<|eot_id|>", "<|begin_of_text|>", "<|im_start|>", "<think>", "<|im_end"]
                 + [t for t in TEXTS if t and t != WHOLE_WORDS_TEXT])
    parts = []
    total = 0
    while total < size:
        part = rng.choice(fragments)
        parts.append(part)
        total += len(part.encode("utf-8"))
    return "".join(parts)


def compare_with_mnemo(mnemo, files, texts):
    """Mnemo's ids (encodeConcurrently on 7 threads, added tokens matched) against tokenizers' for each file × text."""
    total_ids = 0
    total_texts = 0
    mismatches = 0
    with tempfile.TemporaryDirectory() as folder:
        for text_name, text in texts.items():
            path = os.path.join(folder, text_name + ".txt")
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            for name, file in files.items():
                tok = Tokenizer.from_file(file)
                theirs = tok.encode(text, add_special_tokens=False).ids
                result = subprocess.run([mnemo, "tokenizer", "encode", "--hf", file, "--allow-special", "--threads", "7",
                                         path], capture_output=True, text=True)
                if result.returncode != 0:
                    print(f"  {name} on {text_name}: mnemo failed: {result.stderr.strip()}")
                    mismatches += 1
                    continue
                ours = [int(w) for w in result.stdout.split()]
                same = ours == theirs
                first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
                expected_text = unicodedata.normalize("NFC", text) if name == "qwen2" else text
                round_trip = tok.decode(theirs, skip_special_tokens=False) == expected_text
                total_texts += 1
                total_ids += len(theirs)
                mismatches += 0 if same else 1
                print(f"  {name:6} {text_name:16} {len(text):>9,} chars {len(theirs):>9,} ids  "
                      + ("identical" if same else f"DIFFERENT from id {first} (mnemo {len(ours)} ids)")
                      + ("" if round_trip else "  (tokenizers' decode is not the text)"))
    print(f"compared {total_texts} file × text pairs, {total_ids:,} ids: {mismatches} mismatching")
    return mismatches


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnemo", default=os.path.join(ROOT, ".build", "debug", "mnemo"))
    parser.add_argument("--shared-data", default=os.path.join(os.path.dirname(ROOT), "shared", "data"))
    parser.add_argument("--skip-classes", action="store_true", help="keep the existing scalar_classes.txt (step 3 takes a minute)")
    args = parser.parse_args()

    with open(os.path.join(args.shared_data, "tinyshakespeare.txt"), encoding="utf-8") as f:
        shakespeare = f.read()
    with open(os.path.join(args.shared_data, "tinystories", "tinystories_sample.txt"), encoding="utf-8") as f:
        stories = f.read()
    # Tricky text in the corpus gives merges across the places where the patterns differ, so that a piece cut
    # differently changes the ids.
    corpus = (shakespeare[:100_000].split("\n") + stories.split("\n") + MULTILINGUAL * 30
              + [t for t in TEXTS if t != WHOLE_WORDS_TEXT] * 10
              + fuzz_text(seed=1, size=150_000).split("\n"))

    os.makedirs(OUT, exist_ok=True)
    files = {}
    refs = {"tokenizers_version": tokenizers.__version__, "files": {}}
    for name in PATTERNS:
        tok = train(name, corpus, vocab_size=900)
        path = os.path.join(OUT, name + ".json")
        text = json.dumps(json.loads(tok.to_str()), ensure_ascii=False, separators=(",", ":"))
        Tokenizer.from_str(text)  # tokenizers accepts what it wrote
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        files[name] = path
        refs["files"][name] = references(name, tok)
    with open(os.path.join(OUT, "references.json"), "w", encoding="utf-8") as f:
        json.dump(refs, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    llama = refs["files"]["llama3"]["cases"]
    changed = sum(1 for case in llama if case["ids"] != case["ids_without_ignore_merges"])
    print(f"tokenizers {tokenizers.__version__}: wrote {OUT}/{{gpt2,llama3,qwen2}}.json and references.json: "
          f"{len(TEXTS)} texts × {len(files)} files; ignore_merges changes the ids of {changed} llama3 texts")
    assert changed > 0

    if not args.skip_classes:
        runs = scalar_classes()
        with open(os.path.join(OUT, "scalar_classes.txt"), "w", encoding="utf-8") as f:
            f.write(f"# tokenizers {tokenizers.__version__}: first scalar (hex) of each run of one class; L letter, "
                    "N number, W whitespace, O other (surrogates and unassigned included). "
                    "Written by scripts/check_hf_pretokenizers.py.\n")
            for cp, kind in runs:
                f.write(f"{cp:X} {kind}\n")
        print(f"wrote scalar_classes.txt: {len(runs)} runs; contractions accept ASCII letters and U+017F only")

    if not os.path.exists(args.mnemo):
        print(f"step 4 skipped: {args.mnemo} is missing (swift build --product mnemo)")
        return
    texts = {"tinyshakespeare": shakespeare, "tinystories": stories, "fuzz": fuzz_text()}
    print("the fixtures (900 tokens):")
    mismatches = compare_with_mnemo(args.mnemo, files, texts)
    # Larger vocabularies (not kept) make more pieces' cuts visible in the ids.
    big_corpus = shakespeare.split("\n") + stories.split("\n") + MULTILINGUAL * 30 + fuzz_text(seed=2).split("\n")
    with tempfile.TemporaryDirectory() as folder:
        big = {}
        for name in PATTERNS:
            big[name] = os.path.join(folder, name + ".json")
            train(name, big_corpus, vocab_size=8000).save(big[name])
        print("tokenizers trained the same way with 8,000 tokens:")
        mismatches += compare_with_mnemo(args.mnemo, big, texts)
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
