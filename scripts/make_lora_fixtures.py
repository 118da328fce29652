#!/usr/bin/env python3
"""Writes the reference fixture for Mnemo's LoRA (TorchNN's Linear adapter, MnemoModels' PEFTAdapter) into
Tests/MnemoModelsTests/Fixtures/lora_llama_tiny/.

What it does
    Loads the tiny Llama of Tests/MnemoModelsTests/Fixtures/hf_llama_tiny with transformers, wraps it with peft
    (LoraConfig r=4, lora_alpha=8, target_modules q_proj and v_proj, no dropout), gives every lora_B a random value
    (peft starts it at zero, which would hide B's path), and saves the adapter with save_pretrained
    (adapter_config.json, adapter_model.safetensors). reference.safetensors holds "idx" and "targets" (2, 12) int64,
    the float32 "logits" of the adapted model, its cross-entropy "loss" over every target, and "grad.<name>" for every
    lora_A / lora_B weight (peft's in-memory names, e.g. grad.model.layers.0.self_attn.q_proj.lora_A.weight).

What it does not do
    It imports no project code, downloads nothing and never runs in CI: the Swift tests read the committed files.

How to run it (by hand, in the bench virtualenv with transformers and peft)
    "$(scripts/setup_python_env.sh --print-python)" -m pip install peft
    "$(scripts/setup_python_env.sh --print-python)" scripts/make_lora_fixtures.py
"""

import sys
import tempfile
import shutil
from pathlib import Path

import torch
import torch.nn.functional as F
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures_safetensors import save_fixture  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "Tests/MnemoModelsTests/Fixtures"


def main():
    import peft
    import transformers
    base = AutoModelForCausalLM.from_pretrained(FIXTURES / "hf_llama_tiny", attn_implementation="eager")
    torch.manual_seed(77)
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], lora_dropout=0.0,
                                            task_type="CAUSAL_LM"))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape) * 0.2)
    model.train()
    vocab = base.config.vocab_size
    g = torch.Generator().manual_seed(5)
    idx = torch.randint(0, vocab, (2, 12), generator=g)
    targets = torch.randint(0, vocab, (2, 12), generator=g)
    logits = model(input_ids=idx).logits
    loss = F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))
    loss.backward()
    tensors = {"idx": idx, "targets": targets, "logits": logits.detach(), "loss": loss.detach()}
    for name, p in model.named_parameters():
        if "lora_" in name:
            assert p.grad is not None, name
            short = name.removeprefix("base_model.model.").replace(".default", "")
            tensors[f"grad.{short}"] = p.grad
        else:
            assert p.grad is None, f"{name} must be frozen"
    folder = FIXTURES / "lora_llama_tiny"
    folder.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        config = Path(tmp, "adapter_config.json").read_text()
        config = config.replace(str(FIXTURES / "hf_llama_tiny"), "hf_llama_tiny")   # no machine's path in the fixture
        Path(folder, "adapter_config.json").write_text(config)
        new, old_path = load_file(str(Path(tmp, "adapter_model.safetensors"))), folder / "adapter_model.safetensors"
        old = load_file(str(old_path)) if old_path.exists() else {}
        if sorted(old) != sorted(new) or any(not torch.equal(old[k], new[k]) for k in new):
            shutil.copyfile(Path(tmp, "adapter_model.safetensors"), old_path)
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        (folder / name).chmod(0o644)
    size = save_fixture(folder / "reference.safetensors", tensors,
                        {"writer": f"make_lora_fixtures.py, peft {peft.__version__}, transformers {transformers.__version__}, "
                                   f"torch {torch.__version__}"}, max_bytes=128 * 1024)
    print(f"{folder}: reference {size} bytes; keys {sorted(k for k in tensors if k.startswith('grad.'))[:2]} …")


if __name__ == "__main__":
    main()
