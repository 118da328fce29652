#!/usr/bin/env python3
"""Writes the reference fixture for Mnemo's sampling filters (Sources/MnemoModels/Sampling.swift) into
Tests/MnemoModelsTests/Fixtures/sampling.safetensors.

What it does
    Draws float32 logits (4, 64) and token sequences (4, 9) with repeats from a fixed seed and runs them through
    transformers' own logits processors, each on a fresh copy:
      repetition_1_3      RepetitionPenaltyLogitsProcessor(1.3)
      top_k_5             TopKLogitsWarper(5)
      top_p_0_9 / _0_5    TopPLogitsWarper(0.9) / (0.5)
      top_p_1e_4          TopPLogitsWarper(1e-4): only the most likely token stays
      pipeline            RepetitionPenalty(1.2), Temperature(0.7), TopK(20), TopP(0.8), in generate()'s order
    Keys: "logits", "sequence" (int64) and one tensor per case above (−inf where a token is filtered out).

What it does not do
    It imports no project code, downloads nothing and never runs in CI: the Swift tests read the committed file.

How to run it (by hand, in the bench virtualenv with transformers)
    "$(scripts/setup_python_env.sh --print-python)" scripts/make_sampling_fixtures.py
"""

import sys
from pathlib import Path

import torch
from transformers.generation.logits_process import (LogitsProcessorList, RepetitionPenaltyLogitsProcessor,
                                                    TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures_safetensors import save_fixture  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "Tests/MnemoModelsTests/Fixtures/sampling.safetensors"


def main():
    g = torch.Generator().manual_seed(20261207)
    logits = torch.randn(4, 64, generator=g) * 3
    logits[:, :4] = -logits[:, :4].abs()          # some negative logits among the repeated tokens
    sequence = torch.randint(0, 12, (4, 9), generator=g)  # small ids: repeats, and ids 0..3 whose logits are negative

    def run(*processors):
        return LogitsProcessorList(list(processors))(sequence, logits.clone())

    tensors = {
        "logits": logits,
        "sequence": sequence,
        "repetition_1_3": run(RepetitionPenaltyLogitsProcessor(1.3)),
        "top_k_5": run(TopKLogitsWarper(5)),
        "top_p_0_9": run(TopPLogitsWarper(0.9)),
        "top_p_0_5": run(TopPLogitsWarper(0.5)),
        "top_p_1e_4": run(TopPLogitsWarper(1e-4)),
        "pipeline": run(RepetitionPenaltyLogitsProcessor(1.2), TemperatureLogitsWarper(0.7), TopKLogitsWarper(20),
                        TopPLogitsWarper(0.8)),
    }
    import transformers
    size = save_fixture(OUT, tensors, {"writer": f"make_sampling_fixtures.py, transformers {transformers.__version__}, "
                                                 f"torch {torch.__version__}"}, max_bytes=64 * 1024)
    print(f"{OUT}: {size} bytes")


if __name__ == "__main__":
    main()
