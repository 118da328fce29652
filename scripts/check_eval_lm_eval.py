#!/usr/bin/env python3
"""Checks `mnemo eval` against lm-evaluation-harness on the same model: the multiple-choice task eval/tasks/arith
(acc, acc_norm, their standard errors and every choice's log-likelihood) and a text's rolling log-likelihood
(bits per byte, byte perplexity). Run by hand in the bench virtualenv (CI has no Python):

    PY="$(scripts/setup_python_env.sh --print-python | tail -1)"
    "$PY" -m pip install "lm-eval[api]"                # once (api: the local-completions leg)
    swift build -c release --product mnemo
    HF_HUB_OFFLINE=1 "$PY" scripts/check_eval_lm_eval.py

What it does, in a temporary folder (--work to keep it):
  1. writes eval/tasks/arith.jsonl from a fixed seed (--write-task; otherwise checks that the committed file is what
     the seed gives), and a training corpus of the same arithmetic facts;
  2. trains a tiny GPT with GPT-2's tokenizer on it (`mnemo train`, with hooks = ["task_eval:eval/tasks/arith.jsonl"]),
     or takes --run RUN, and exports it (`mnemo export RUN DIR`: a GPT-2 folder); --llama: a tiny MiniMind with
     MiniMind's tokenizer, exported as a Llama folder;
  3. runs lm-eval's `hf` model on DIR (task YAML eval/tasks/arith.yaml, dataset_path json, no hub access) and
     `mnemo eval DIR --task …` and `mnemo eval RUN --task …`, and lm-eval's `local-completions` model against
     `mnemo serve RUN` (the three legs), and the same for a text (a loglikelihood_rolling task);
  4. prints each number side by side and exits 1 unless acc and acc_norm (and their stderr) agree exactly, every
     log-likelihood within --atol, bits per byte within --rtol, and the hook's last logged acc equals `mnemo eval RUN`'s.
"""

import argparse
import urllib.request
import time
import glob
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TASK = "eval/tasks/arith.jsonl"
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def task_items(seed=20):
    """The task: sums in three phrasings (one ends in a space, which lm-eval moves onto the choice), choices of
    different lengths (acc and acc_norm differ), and a few items whose query is longer than the model's context."""
    rng = random.Random(seed)
    items = []

    def choices_for(right, spread):
        wrong = set()
        while len(wrong) < 3:
            w = right + rng.choice(spread)
            if w >= 0 and w != right:
                wrong.add(w)
        options = [right] + sorted(wrong)
        rng.shuffle(options)
        return [str(o) for o in options], options.index(right)

    for _ in range(60):
        a, b = rng.randint(0, 49), rng.randint(0, 49)
        choices, gold = choices_for(a + b, [-10, -2, -1, 1, 2, 10, 100])
        items.append({"query": f"{a} + {b} =", "choices": choices, "gold": gold})
    for _ in range(40):
        a, b = rng.randint(0, 49), rng.randint(0, 49)
        choices, gold = choices_for(a + b, [-20, -1, 1, 5, 100, 1000])
        items.append({"query": f"Question: what is {a} plus {b}? Answer: ", "choices": choices, "gold": gold})
    for _ in range(30):
        a, b = rng.randint(0, 5), rng.randint(0, 5)
        right = a + b
        options = [right] + rng.sample([n for n in range(11) if n != right], 3)
        rng.shuffle(options)
        items.append({"query": f"{WORDS[a]} and {WORDS[b]} make", "choices": [WORDS[o] for o in options],
                      "gold": options.index(right)})
    for _ in range(10):
        facts = " ".join(f"{x} + {y} = {x + y}." for x, y in ((rng.randint(0, 49), rng.randint(0, 49)) for _ in range(12)))
        a, b = rng.randint(0, 49), rng.randint(0, 49)
        choices, gold = choices_for(a + b, [-10, -1, 1, 10])
        items.append({"query": f"{facts} {a} + {b} =", "choices": choices, "gold": gold})
    return items


def task_text(items):
    return "".join(json.dumps(item) + "\n" for item in items)


def corpus(seed=21):
    """Every sum of two numbers below 50 in the task's phrasings, shuffled, and the small word sums."""
    rng = random.Random(seed)
    lines = []
    for a in range(50):
        for b in range(50):
            lines.append(f"{a} + {b} = {a + b}")
            lines.append(f"Question: what is {a} plus {b}? Answer: {a + b}")
    for a in range(6):
        for b in range(6):
            lines += [f"{WORDS[a]} and {WORDS[b]} make {WORDS[a + b]}"] * 4
    rng.shuffle(lines)
    return "\n".join(lines) + "\n"


def run(cmd, **kw):
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, cwd=ROOT, **kw)


def mnemo_json(mnemo, args):
    out = run([mnemo, "eval", *args, "--json"], stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def lm_eval(folder, task, include, out, python):
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    run([python, "-m", "lm_eval", "--model", "hf", "--model_args", f"pretrained={folder},dtype=float32",
         "--tasks", task, "--include_path", include, "--device", "cpu", "--batch_size", "8",
         "--output_path", out, "--log_samples"], env=env)
    results = json.load(open(sorted(glob.glob(f"{out}/**/results_*.json", recursive=True))[-1]))["results"][task]
    samples = [json.loads(line) for line in open(sorted(glob.glob(f"{out}/**/samples_{task}_*.jsonl", recursive=True))[-1])]
    return results, sorted(samples, key=lambda s: s["doc_id"])


def lm_eval_served(mnemo, run_dir, hf, task, include, out, python, context, port=18_321):
    """lm-eval's local-completions model against `mnemo serve RUN` (token ids in, echo + logprobs out); the tokenizer is
    the exported folder's, as lm-eval needs one on its side."""
    server = subprocess.Popen([mnemo, "serve", run_dir, "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                models = json.load(urllib.request.urlopen(f"{base}/v1/models", timeout=2))
                break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("mnemo serve did not answer on /v1/models")
        name = models["data"][0]["id"]
        env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OPENAI_API_KEY="local")
        run([python, "-m", "lm_eval", "--model", "local-completions", "--model_args",
             f"model={name},base_url={base}/v1/completions,tokenizer={hf},tokenizer_backend=huggingface,"
             # one token under the context: lm-eval asks for max_tokens 1 beside the echoed prompt, and the server refuses
             # a prompt + max_tokens beyond the context (as vLLM does)
             f"tokenized_requests=True,num_concurrent=1,max_retries=1,max_length={context - 1}",
             "--tasks", task, "--include_path", include, "--batch_size", "1", "--output_path", out, "--log_samples"], env=env)
    finally:
        server.terminate()
        server.wait()
    results = json.load(open(sorted(glob.glob(f"{out}/**/results_*.json", recursive=True))[-1]))["results"][task]
    samples = [json.loads(line) for line in open(sorted(glob.glob(f"{out}/**/samples_{task}_*.jsonl", recursive=True))[-1])]
    return results, sorted(samples, key=lambda s: s["doc_id"])


def write_evalfile(path, examples):
    """llm.c's eval-file layout (dev/data/data_common.py write_evalfile): 256 int32 header (magic 20240522, version 1,
    example count, longest example in bytes), then per example uint16: 65535, its bytes, index, label, completion count,
    context length + tokens, each completion's length + tokens."""
    import numpy as np
    stream, longest = [], 0
    for i, (label, ctx, endings) in enumerate(examples):
        example = [65535, 0, i, label, len(endings), len(ctx), *ctx]
        for end in endings:
            example += [len(end), *end]
        example[1] = 2 * len(example)
        longest = max(longest, example[1])
        stream += example
    header = np.zeros(256, dtype=np.int32)
    header[:4] = [20240522, 1, len(examples), longest]
    with open(path, "wb") as f:
        f.write(header.tobytes())
        f.write(np.array(stream, dtype=np.uint16).tobytes())


def llmc_check(hf, work, mnemo):
    import torch
    import torch.nn.functional as F
    from transformers import AutoModelForCausalLM, AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(hf)
    model = AutoModelForCausalLM.from_pretrained(hf, dtype=torch.float32).eval()
    window = getattr(model.config, "n_positions", None) or model.config.max_position_embeddings
    examples = []
    for item in task_items():
        ctx = tokenizer.encode(item["query"])
        endings = [tokenizer.encode(" " + c) for c in item["choices"]]
        if len(ctx) + max(map(len, endings)) <= window:
            examples.append((item["gold"], ctx, endings))
    write_evalfile(f"{work}/arith.bin", examples)
    right = right_norm = 0
    uneven = sum(len({len(end) for end in endings}) > 1 for _, _, endings in examples)
    with torch.no_grad():
        for label, ctx, endings in examples:
            sums, means = [], []
            for end in endings:
                tokens = torch.tensor([ctx + end])
                losses = F.cross_entropy(model(tokens).logits[0, :-1], tokens[0, 1:], reduction="none")[len(ctx) - 1:]
                sums.append(losses.sum().item())
                means.append(losses.mean().item())
            right += int(min(range(len(sums)), key=sums.__getitem__) == label)
            right_norm += int(min(range(len(means)), key=means.__getitem__) == label)
    ours = mnemo_json(mnemo, [hf, "--task", f"{work}/arith.bin"])
    return ours, {"acc": right / len(examples), "acc_norm": right_norm / len(examples), "uneven": uneven}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mnemo", default=None, help="the mnemo binary (default: .build/release/mnemo, else .build/debug/mnemo)")
    p.add_argument("--run", help="an existing GPT-2-tokenized run to check instead of training one")
    p.add_argument("--llama", action="store_true", help="train a tiny MiniMind (MiniMind's tokenizer), exported as Llama")
    p.add_argument("--iters", type=int, default=300)
    p.add_argument("--work", help="folder for the run, the export and lm-eval's output (default: a temporary one)")
    p.add_argument("--write-task", action="store_true", help=f"(re)write {TASK} from its seed")
    p.add_argument("--atol", type=float, default=1e-4, help="largest |Δ| allowed between log-likelihoods")
    p.add_argument("--rtol", type=float, default=1e-6, help="largest relative difference of bits per byte")
    args = p.parse_args()
    mnemo = args.mnemo or next(b for b in (f"{ROOT}/.build/release/mnemo", f"{ROOT}/.build/debug/mnemo") if os.path.exists(b))
    work = args.work or tempfile.mkdtemp(prefix="mnemo-eval-check-")
    os.makedirs(work, exist_ok=True)

    text = task_text(task_items())
    if args.write_task:
        open(os.path.join(ROOT, TASK), "w").write(text)
    elif open(os.path.join(ROOT, TASK)).read() != text:
        sys.exit(f"{TASK} differs from what seed 20 gives; run with --write-task to rewrite it")

    run_dir = args.run
    if run_dir is None:
        run_dir = f"{work}/run"
        open(f"{work}/corpus.txt", "w").write(corpus())
        if args.llama:
            model = ['model = "minimind"', "dim = 64", "n_layers = 2", "n_heads = 4", "n_kv_heads = 2", "hidden_dim = 128",
                     "max_seq_len = 64", "vocab_size = 0", f'tokenizer = "hf:{SHARED}/minimind/tokenizer.json"']
        else:
            model = ["n_layer = 2", "n_head = 2", "n_embd = 64", "block_size = 64", "vocab_size = 50304", "bias = true",
                     f'tokenizer = "gpt2:{SHARED}/gpt2"']
        config = model + [f'data = "{work}/corpus.txt"', "dropout = 0.0", "batch_size = 16", f"max_iters = {args.iters}",
                          "learning_rate = 3e-3", "min_lr = 3e-4", "warmup_iters = 20", f"lr_decay_iters = {args.iters}",
                          f"eval_interval = {args.iters // 2}", "eval_iters = 5", "log_interval = 50", "sample_tokens = 0",
                          f'hooks = ["task_eval:{TASK}"]', 'device = "cpu"']
        open(f"{work}/config.toml", "w").write("\n".join(config) + "\n")
        if not os.path.exists(f"{run_dir}/config.json"):
            run([mnemo, "train", f"{work}/config.toml", "--out", run_dir])
    hf = f"{work}/hf"
    run([mnemo, "export", run_dir, hf])
    if args.llama:
        # `mnemo export` copies tokenizer.json only; transformers takes the BOS / EOS names (lm-eval's prefix token)
        # from tokenizer_config.json, so the run's is put beside it
        shutil.copy(f"{SHARED}/minimind/tokenizer_config.json", f"{hf}/tokenizer_config.json")

    failures = []

    def same(what, ours, theirs, tol=0.0, reference="lm-eval"):
        ok = abs(ours - theirs) <= tol * max(1.0, abs(theirs)) if tol else ours == theirs
        print(f"  {what:<34} {ours!r:<22} {reference:<9} {theirs!r:<22} {'ok' if ok else 'DIFFERENT'}")
        if not ok:
            failures.append(what)

    # the multiple-choice task
    theirs, samples = lm_eval(hf, "arith", "eval/tasks", f"{work}/lm-eval-arith", sys.executable)
    folder = mnemo_json(mnemo, [hf, "--task", TASK, "--log-samples", f"{work}/mnemo-arith.jsonl"])
    from_run = mnemo_json(mnemo, [run_dir, "--task", TASK])
    ours = [json.loads(line) for line in open(f"{work}/mnemo-arith.jsonl")]
    print(f"\narith ({folder['items']} items, {folder['items_cut']} with the context cut to {folder['context_length']} tokens):")
    for key in ("acc", "acc_stderr", "acc_norm", "acc_norm_stderr"):
        same(f"{key} (mnemo eval DIR)", folder[key], theirs[f"{key.replace('_stderr', '')}_stderr,none" if "stderr" in key else f"{key},none"])
        same(f"{key} (mnemo eval RUN)", from_run[key], folder[key], reference="eval DIR")
    deltas = [abs(a - float(b[0])) for o, s in zip(ours, samples) for a, b in zip(o["log_likelihoods"], s["filtered_resps"])]
    print(f"  log-likelihoods: {len(deltas)} choices, max |Δ| mnemo vs lm-eval {max(deltas):.3g}")
    if len(ours) != len(samples) or max(deltas) > args.atol:
        failures.append("log-likelihoods")
    if args.run is None:
        logged = [json.loads(line) for line in open(f"{run_dir}/metrics.jsonl")]
        last = [m for m in logged if "task/arith/acc" in m][-1]
        print(f"  hook task_eval at step {last['step']}: acc {last['task/arith/acc']}, acc_norm {last['task/arith/acc_norm']}")
        same("hook acc (metrics.jsonl)", last["task/arith/acc"], from_run["acc"], reference="eval RUN")
        same("hook acc_norm (metrics.jsonl)", last["task/arith/acc_norm"], from_run["acc_norm"], reference="eval RUN")

    # the third leg: lm-eval's local-completions against `mnemo serve RUN`
    served, served_samples = lm_eval_served(mnemo, run_dir, hf, "arith", "eval/tasks", f"{work}/lm-eval-served", sys.executable,
                                            context=folder["context_length"])
    # the items whose context is cut keep one token less through the API (max_length one under the context): compared
    # on the items that fit, counted on the others
    deltas = [[abs(float(a[0]) - float(b[0])) for a, b in zip(o["filtered_resps"], s["filtered_resps"])]
              for o, s in zip(served_samples, samples)]
    close = [max(d) <= args.atol for d in deltas]
    print(f"\narith through `mnemo serve` (lm-eval local-completions, max_length {folder['context_length'] - 1}):")
    print(f"  items whose log-likelihoods equal lm-eval hf's within {args.atol}: {sum(close)} of {len(close)} "
          f"(mnemo eval cut {folder['items_cut']} contexts)")
    for key in ("acc", "acc_norm"):
        same(f"{key} (lm-eval → mnemo serve)", served[f"{key},none"], theirs[f"{key},none"], reference="lm-eval hf")
    if len(served_samples) != len(samples) or len(close) - sum(close) > folder["items_cut"]:
        failures.append("served log-likelihoods")

    # llm.c's eval .bin: the task's items as llm.c's hellaswag.py renders them (context tokens, " " + ending tokens; the
    # items that fit the context), scored as hellaswag.py scores them (lowest summed / mean loss) in transformers
    ours, theirs = llmc_check(hf, work, mnemo)
    print(f"\nllm.c eval file ({ours['items']} items, {theirs['uneven']} whose completions differ in token count):")
    same("acc (mnemo eval DIR --task .bin)", ours["acc"], theirs["acc"], reference="llm.c way")
    same("acc_norm (mean loss per token)", ours["acc_norm"], theirs["acc_norm"], reference="llm.c way")

    # a text's rolling log-likelihood: the first 3,000 characters of tinyshakespeare's val part
    sample = open(f"{SHARED}/tinyshakespeare.txt", encoding="utf-8").read()[1_003_854:1_006_854]
    open(f"{work}/text.txt", "w").write(sample)
    open(f"{work}/text.jsonl", "w").write(json.dumps({"text": sample}) + "\n")
    os.makedirs(f"{work}/tasks", exist_ok=True)
    open(f"{work}/tasks/shakespeare_bpb.yaml", "w").write(
        "task: shakespeare_bpb\ndataset_path: json\ndataset_kwargs:\n  data_files:\n"
        f"    test: {work}/text.jsonl\ntest_split: test\noutput_type: loglikelihood_rolling\n"
        "doc_to_text: ''\ndoc_to_target: text\nmetric_list:\n"
        "  - metric: bits_per_byte\n    aggregation: bits_per_byte\n    higher_is_better: false\n"
        "  - metric: byte_perplexity\n    aggregation: weighted_perplexity\n    higher_is_better: false\n")
    theirs, _ = lm_eval(hf, "shakespeare_bpb", f"{work}/tasks", f"{work}/lm-eval-text", sys.executable)
    folder = mnemo_json(mnemo, [hf, "--text", f"{work}/text.txt"])
    from_run = mnemo_json(mnemo, [run_dir, "--text", f"{work}/text.txt"])
    print(f"\ntext ({folder['tokens']} tokens, {folder['bytes']} bytes, {folder['windows']} windows):")
    same("bits_per_byte (mnemo eval DIR)", folder["bits_per_byte"], theirs["bits_per_byte,none"], args.rtol)
    same("byte_perplexity (mnemo eval DIR)", folder["byte_perplexity"], theirs["byte_perplexity,none"], args.rtol)
    if from_run["prefix_token"] == folder["prefix_token"]:
        same("bits_per_byte (mnemo eval RUN)", from_run["bits_per_byte"], folder["bits_per_byte"], args.rtol, "eval DIR")
    else:
        print(f"  bits_per_byte (mnemo eval RUN)     {from_run['bits_per_byte']!r:<22} not compared: the run's prefix token is "
              f"its end of text ({from_run['prefix_token']}), the folder's the BOS of its tokenizer_config.json ({folder['prefix_token']})")

    print("\nall agree" if not failures else f"\nDIFFERENT: {', '.join(failures)}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
