#!/usr/bin/env python3
"""Writes the reference fixture for Mnemo's DPO objective (Sources/MnemoTrain/DPOObjective.swift) into
Tests/MnemoTrainTests/Fixtures/dpo.safetensors.

What it does
    Restates trl's DPOTrainer sigmoid loss (trl/trainer/dpo_trainer.py, _compute_loss with loss_type "sigmoid",
    f_divergence_type "reverse_kl", no label smoothing): per-token log-probabilities of the completion tokens (labels
    -100 elsewhere) summed per sequence, the batch [chosen rows; rejected rows], chosen_logratios = logps − ref_logps,
    loss = mean −logsigmoid(β (chosen_logratios − rejected_logratios)), rewards = β · logratios, accuracy = mean of
    chosen reward > rejected reward, margin = mean of their difference. Inputs are random policy and reference logits
    (4 rows = 2 pairs, 7 positions, 11 classes) and targets with -1 on prompts and padding (Mnemo's mask).
    Keys: policy_logits, reference_logits, targets, beta (0-d), loss, rewards_chosen, rewards_rejected (per pair),
    accuracy, margin, grad_policy_logits (d loss / d policy logits).

What it does not do
    It imports no project code and never runs in CI: the Swift tests read the committed file.

How to run it (by hand, in the bench virtualenv)
    "$(scripts/setup_python_env.sh --print-python)" scripts/make_dpo_fixtures.py
"""

import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures_safetensors import save_fixture  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "Tests/MnemoTrainTests/Fixtures/dpo.safetensors"


def logps(logits, targets):
    labels = targets.masked_fill(targets == -1, -100)
    per_token = -F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=-100,
                                 reduction="none").reshape(labels.shape)
    return per_token.sum(dim=1)


def main():
    g = torch.Generator().manual_seed(31)
    policy = (torch.randn(4, 7, 11, generator=g) * 2).requires_grad_()
    reference = torch.randn(4, 7, 11, generator=g) * 2
    targets = torch.randint(0, 11, (4, 7), generator=g)
    targets[:, :3] = -1              # the prompt
    targets[1, 5:] = -1              # padding of a short chosen response
    targets[3, 6:] = -1              # and of a short rejected one
    beta = 0.1
    pc, pr = logps(policy, targets).chunk(2)
    with torch.no_grad():
        rc, rr = logps(reference, targets).chunk(2)
    chosen_logratios, rejected_logratios = pc - rc, pr - rr
    loss = (-F.logsigmoid(beta * (chosen_logratios - rejected_logratios))).mean()
    loss.backward()
    chosen_rewards, rejected_rewards = beta * chosen_logratios.detach(), beta * rejected_logratios.detach()
    tensors = {
        "policy_logits": policy.detach(), "reference_logits": reference, "targets": targets,
        "beta": torch.tensor(beta, dtype=torch.float64), "loss": loss.detach(),
        "rewards_chosen": chosen_rewards, "rewards_rejected": rejected_rewards,
        "accuracy": (chosen_rewards > rejected_rewards).float().mean(),
        "margin": (chosen_rewards - rejected_rewards).mean(), "grad_policy_logits": policy.grad,
    }
    size = save_fixture(OUT, tensors, {"writer": f"make_dpo_fixtures.py, torch {torch.__version__}"}, max_bytes=32 * 1024)
    print(f"{OUT}: {size} bytes")


if __name__ == "__main__":
    main()
