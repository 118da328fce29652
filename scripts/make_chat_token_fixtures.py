#!/usr/bin/env python3
"""Writes Tests/MnemoTrainTests/Fixtures/chat_token_ids.json: for conversations with a system prompt, several turns and
the generation prompt, the token ids transformers' apply_chat_template(tokenize=True) gives with MiniMind's tokenizer folder
(../shared/data/minimind: tokenizer.json + tokenizer_config.json with its Jinja chat_template) and with the Llama-3-shaped
fixture folder (scripts/make_llama3_chat_fixture.py: Llama 3's pre-tokenizer, chat_template.jinja), so that a Swift test can
check that Mnemo's rendering + encoding of the same conversations gives the same ids.

What it does not do: it imports no project code, downloads nothing and never runs in CI.
How to run it (by hand, in the bench virtualenv): "$(scripts/setup_python_env.sh --print-python)" scripts/make_chat_token_fixtures.py
"""
import json
from pathlib import Path

from transformers import AutoTokenizer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests/MnemoTrainTests/Fixtures/chat_token_ids.json"
FOLDERS = {"minimind": ROOT.parent / "shared/data/minimind",
           "llama3": ROOT / "Tests/MnemoTrainTests/Fixtures/hf_llama3_chat"}   # scripts/make_llama3_chat_fixture.py

CONVERSATIONS = [
    ([{"role": "user", "content": "What is 2 + 3?"}], True),
    ([{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Name a colour."},
      {"role": "assistant", "content": "Teal."}, {"role": "user", "content": "Another one, please!"}], True),
    ([{"role": "user", "content": "Say  two spaces\nand a newline."}, {"role": "assistant", "content": "Done:  ok\n"}], False),
    ([{"role": "user", "content": "Héllo, 世界 — ünïcode?"}, {"role": "assistant", "content": "Ja, 好的 ✓"}], False),
]


def main():
    cases = []
    for name, folder in FOLDERS.items():
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        for messages, generation_prompt in CONVERSATIONS:
            ids = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=generation_prompt)
            if isinstance(ids, dict) or hasattr(ids, "keys"):
                ids = ids["input_ids"]
            text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)
            cases.append({"tokenizer": name, "messages": messages, "add_generation_prompt": generation_prompt,
                          "text": text, "ids": list(map(int, ids))})
    body = ",\n  ".join(json.dumps(case, ensure_ascii=False) for case in cases)
    OUT.write_text('{"cases": [\n  ' + body + "\n]}\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
