#!/usr/bin/env python3
"""Writes the reference fixtures for Hugging Face folders beyond plain Llama / Qwen2: scaled RoPE (Llama 3.x's
"llama3" rule and "linear") into Tests/MnemoModelsTests/Fixtures/hf_llama_rope_<type>/, and a Qwen3 folder (q_norm and
k_norm per head, an explicit head_dim that differs from hidden_size / heads) into .../hf_qwen3_tiny/.

What it does
    For each rope type builds a tiny random transformers LlamaForCausalLM (hidden 64, 4 heads of 16, 2 KV heads,
    2 layers, vocabulary 64, rope_theta 10000, factor 8; llama3: low_freq_factor 1, high_freq_factor 4,
    original_max_position_embeddings 64, so the 8 frequencies fall in all three bands: short wavelengths kept, the
    middle blended, long ones divided by the factor), saves it with save_pretrained (config.json, model.safetensors)
    and writes reference.safetensors: "idx" (2, 48) int64 and the float32 "logits" (2, 48, 64) of the model on it.
    Qwen3: hidden 48, 4 heads of head_dim 16 (not 48 / 4), 2 KV heads, tied embeddings, rope_theta 1e6; the same files.

What it does not do
    It imports no project code, downloads nothing and never runs in CI: the Swift tests read the committed files.

How to run it (by hand, in the bench virtualenv with transformers)
    "$(scripts/setup_python_env.sh --print-python)" scripts/make_hf_folder_fixtures.py
"""

import shutil
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import LlamaConfig, LlamaForCausalLM, Qwen3Config, Qwen3ForCausalLM

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures_safetensors import save_fixture  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "Tests/MnemoModelsTests/Fixtures"
ROPE = {
    "llama3": {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
    "linear": {"rope_type": "linear", "rope_theta": 10000.0, "factor": 8.0},
}


def models():
    for kind, rope in ROPE.items():
        config = LlamaConfig(vocab_size=64, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                             num_key_value_heads=2, intermediate_size=96, rms_norm_eps=1e-5,
                             max_position_embeddings=128, initializer_range=0.2, rope_parameters=rope,
                             tie_word_embeddings=False, attention_bias=False, mlp_bias=False, bos_token_id=1,
                             eos_token_id=2, attn_implementation="eager")
        torch.manual_seed(4242)
        yield f"hf_llama_rope_{kind}", LlamaForCausalLM(config).eval(), str(rope)
    config = Qwen3Config(vocab_size=64, hidden_size=48, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         head_dim=16, intermediate_size=96, rms_norm_eps=1e-6, max_position_embeddings=128,
                         initializer_range=0.2, rope_parameters={"rope_type": "default", "rope_theta": 1e6},
                         tie_word_embeddings=True, attention_bias=False, use_sliding_window=False, bos_token_id=1,
                         eos_token_id=2, attn_implementation="eager")
    torch.manual_seed(4343)
    model = Qwen3ForCausalLM(config).eval()
    with torch.no_grad():   # q_norm / k_norm start at ones: make them matter
        for layer in model.model.layers:
            layer.self_attn.q_norm.weight.add_(torch.randn(16) * 0.3)
            layer.self_attn.k_norm.weight.add_(torch.randn(16) * 0.3)
    yield "hf_qwen3_tiny", model, "qwen3"


def main():
    import transformers
    for name, model, what in models():
        idx = torch.randint(0, 64, (2, 48), generator=torch.Generator().manual_seed(7))
        with torch.no_grad():
            logits = model(input_ids=idx).logits
        folder = OUT / name
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            model.save_pretrained(tmp)
            new_config = Path(tmp, "config.json").read_bytes()
            if not (folder / "config.json").exists() or (folder / "config.json").read_bytes() != new_config:
                (folder / "config.json").write_bytes(new_config)
            saved = load_file(str(Path(tmp, "model.safetensors")))
            old = load_file(str(folder / "model.safetensors")) if (folder / "model.safetensors").exists() else {}
            if sorted(old) != sorted(saved) or any(not torch.equal(old[k], saved[k]) for k in saved):
                shutil.copyfile(Path(tmp, "model.safetensors"), folder / "model.safetensors")
        for name in ("config.json", "model.safetensors"):
            (folder / name).chmod(0o644)
        size = save_fixture(folder / "reference.safetensors", {"idx": idx, "logits": logits},
                            {"writer": f"make_hf_folder_fixtures.py, transformers {transformers.__version__}, "
                                       f"torch {torch.__version__}", "model": what}, max_bytes=256 * 1024)
        print(f"{folder}: reference {size} bytes, model {(folder / 'model.safetensors').stat().st_size} bytes")


if __name__ == "__main__":
    main()
