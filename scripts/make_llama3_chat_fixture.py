#!/usr/bin/env python3
"""Writes Tests/MnemoTrainTests/Fixtures/hf_llama3_chat/: a tiny Llama-3-shaped Hugging Face folder to chat with —
the tokenizer laid out as Llama 3's (byte-level BPE with ignore_merges, the pre-tokenizer Sequence of Llama 3's Split
pattern and a ByteLevel without regex, <|begin_of_text|> added by a TemplateProcessing post-processor, the special
tokens <|begin_of_text|> <|end_of_text|> <|start_header_id|> <|end_header_id|> <|eot_id|>), tokenizer_config.json with
Llama 3 Instruct's chat template (bos <|begin_of_text|>, eos <|eot_id|>), and a tiny random LlamaForCausalLM with
Llama 3.x's scaled RoPE whose generation ends at <|eot_id|> or <|end_of_text|>.

What it does not do: it imports no project code, downloads nothing (the BPE is trained here on a few sentences) and never
runs in CI. Run scripts/make_chat_token_fixtures.py after it: that one also writes this folder's apply_chat_template ids.
How to run it (by hand, in the bench virtualenv): "$(scripts/setup_python_env.sh --print-python)" scripts/make_llama3_chat_fixture.py
"""
import json
import shutil
from pathlib import Path

import torch
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests/MnemoTrainTests/Fixtures/hf_llama3_chat"
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
                  r"|\s+(?!\S)|\s+")
SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
LLAMA3_TEMPLATE = ("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
                   "message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
                   "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
                   "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}")
TEXTS = ["The quick brown fox jumps over the lazy dog.", "What colour is the sky? It's blue, isn't it?",
         "colour 0? red. colour 1? green. colour 2? blue. colour 3? gold.", "user assistant system 123 4567",
         "You are a helpful assistant. Answer in one word.", "Héllo wörld — 2024-12-07, 3.14159!"] * 20


def main():
    torch.manual_seed(0)
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(TEXTS, trainers.BpeTrainer(vocab_size=360, special_tokens=SPECIALS,
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
                                                       special_tokens=[("<|begin_of_text|>", bos)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>")
    fast.chat_template = LLAMA3_TEMPLATE
    fast.save_pretrained(str(OUT))
    eot, end = tok.token_to_id("<|eot_id|>"), tok.token_to_id("<|end_of_text|>")
    config = LlamaConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128, tie_word_embeddings=True,
                         rope_scaling={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                                       "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
                         bos_token_id=bos, eos_token_id=[end, eot])
    LlamaForCausalLM(config).save_pretrained(str(OUT), safe_serialization=True)
    for extra in ["special_tokens_map.json"]:
        (OUT / extra).unlink(missing_ok=True)
    names = sorted(p.name for p in OUT.iterdir())
    print(f"wrote {OUT}: {names}; vocabulary {tok.get_vocab_size()}, eos ids {[end, eot]}")
    print(json.dumps(json.loads((OUT / "tokenizer_config.json").read_text()).get("eos_token")))


if __name__ == "__main__":
    main()
