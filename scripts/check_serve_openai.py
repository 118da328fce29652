"""The openai Python client against `mnemo serve`: models, chat and completions, streamed and not, usage, stop,
seed, echo + logprobs (compared with transformers' log-softmax on the exported model when --hf is given), an API key,
and OpenAI's errors as the client raises them. Run by hand in the bench virtualenv (pip install openai):

    PY="$(scripts/setup_python_env.sh --print-python | tail -1)"
    "$PY" scripts/check_serve_openai.py runs/serve-mm [--hf /tmp/serve-mm-hf] [--mnemo .build/release/mnemo]

Prints one line per check and `N passed, N failed`; exits 1 on a failure."""
import argparse
import json
import sys
import urllib.request

import openai

from serve_common import Server, default_mnemo

results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(f"{'PASS' if condition else 'FAIL'}  {name}" + (f"  ({detail})" if detail else ""))


def post_json(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json",
                                                                                 "Authorization": "Bearer sk-mnemo"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("--hf", help="the run exported by `mnemo export RUN DIR`: echo logprobs are compared with it")
    parser.add_argument("--mnemo", default=None)
    args = parser.parse_args()
    mnemo = args.mnemo or default_mnemo()

    with Server(mnemo, args.run, "--api-key", "sk-mnemo") as server:
        client = openai.OpenAI(base_url=server.base + "/v1", api_key="sk-mnemo", max_retries=0, timeout=120)
        model = client.models.list().data[0].id
        check("models.list names the run", model, model)

        messages = [{"role": "system", "content": "You are brief."}, {"role": "user", "content": "Who are you?"}]
        reply = client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=0)
        text = reply.choices[0].message.content
        check("chat: a reply with usage", isinstance(text, str) and reply.usage.completion_tokens > 0,
              f"{reply.usage.prompt_tokens}+{reply.usage.completion_tokens} tokens, finish {reply.choices[0].finish_reason}: {text!r}")

        stream = client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=0, stream=True,
                                                stream_options={"include_usage": True})
        pieces, finish, usage, chunks = [], None, None, 0
        for chunk in stream:
            chunks += 1
            if chunk.usage:
                usage = chunk.usage
            for choice in chunk.choices:
                pieces.append(choice.delta.content or "")
                finish = choice.finish_reason or finish
        check("chat stream: deltas join to the same reply (temperature 0)", "".join(pieces) == text, f"{chunks} chunks")
        check("chat stream: finish reason and usage chunk", finish == reply.choices[0].finish_reason
              and usage and usage.completion_tokens == reply.usage.completion_tokens)

        a = client.chat.completions.create(model=model, messages=messages, max_tokens=16, temperature=1.0, seed=42)
        b = client.chat.completions.create(model=model, messages=messages, max_tokens=16, temperature=1.0, seed=42)
        check("chat: the same seed gives the same sample", a.choices[0].message.content == b.choices[0].message.content)

        completion = client.completions.create(model=model, prompt="ROMEO:", max_tokens=32, temperature=0)
        ctext = completion.choices[0].text
        check("completions: text and usage", completion.usage.prompt_tokens > 0, f"{ctext!r}")
        streamed = "".join(c.choices[0].text for c in client.completions.create(
            model=model, prompt="ROMEO:", max_tokens=32, temperature=0, stream=True) if c.choices)
        check("completions stream: pieces join to the same text", streamed == ctext)
        if len(ctext) > 4:
            stop = ctext[2:4]
            stopped = client.completions.create(model=model, prompt="ROMEO:", max_tokens=32, temperature=0, stop=[stop])
            check("completions: stop ends the text before the stop string",
                  stopped.choices[0].text == ctext[:ctext.index(stop)] and stopped.choices[0].finish_reason == "stop",
                  f"stop {stop!r}")

        prompt = "To be, or not to be, that is the question"
        scored = client.completions.create(model=model, prompt=prompt, max_tokens=0, echo=True, logprobs=1, temperature=0)
        lp = scored.choices[0].logprobs
        check("echo + logprobs + max_tokens 0: one log-probability per prompt token, the first null",
              lp.token_logprobs[0] is None and all(isinstance(x, float) for x in lp.token_logprobs[1:])
              and scored.choices[0].text == prompt, f"{len(lp.token_logprobs)} tokens")
        check("top_logprobs hold the most likely token and the chosen one",
              all(max(top.values()) >= chosen - 1e-6 and any(abs(v - chosen) < 1e-6 for v in top.values())
                  for top, chosen in zip(lp.top_logprobs[1:], lp.token_logprobs[1:])))
        ids = post_json(server.base + "/tokenize", {"prompt": prompt, "add_special_tokens": False})["tokens"]
        by_ids = client.completions.create(model=model, prompt=ids, max_tokens=0, echo=True, logprobs=1, temperature=0)
        check("a token-id prompt scores the same", by_ids.choices[0].logprobs.token_logprobs == lp.token_logprobs)
        if args.hf:
            import torch
            from transformers import AutoModelForCausalLM
            hf = AutoModelForCausalLM.from_pretrained(args.hf, dtype=torch.float32).eval()
            with torch.no_grad():
                logits = hf(torch.tensor([ids])).logits[0]
            reference = torch.log_softmax(logits, -1)[:-1].gather(1, torch.tensor(ids[1:])[:, None])[:, 0].tolist()
            worst = max(abs(a - b) for a, b in zip(lp.token_logprobs[1:], reference))
            check("echo logprobs equal transformers' log-softmax on the exported model", worst < 1e-4, f"max |diff| {worst:.2e}")

            # lm-evaluation-harness's local-completions loglikelihood request (echo, max_tokens 1, logprobs 1, token
            # ids) read as its parse_logprobs reads it: the sum of token_logprobs[ctxlen:-1], and is_greedy when each
            # of them is the largest of its top_logprobs
            context = post_json(server.base + "/tokenize", {"prompt": "ROMEO:\nWhat", "add_special_tokens": False})["tokens"]
            with torch.no_grad():
                greedy = hf.generate(torch.tensor([context]), max_new_tokens=3, do_sample=False, pad_token_id=0)[0, len(context):].tolist()
            written = post_json(server.base + "/tokenize", {"prompt": " light through", "add_special_tokens": False})["tokens"]
            for name, continuation in (("a greedy continuation", greedy), ("another continuation", written)):
                payload = dict(model=model, prompt=[context + continuation], temperature=0, max_tokens=1, logprobs=1, seed=1234, echo=True)
                choice = client.completions.create(**payload).choices[0]
                served = choice.logprobs.token_logprobs[len(context):-1]
                served_greedy = all(tok == max(top.values()) for tok, top in
                                    zip(served, choice.logprobs.top_logprobs[len(context):-1]))
                with torch.no_grad():
                    full = torch.log_softmax(hf(torch.tensor([context + continuation])).logits[0], -1)
                positions = range(len(context) - 1, len(context) + len(continuation) - 1)
                hf_sum = sum(full[p, t].item() for p, t in zip(positions, continuation))
                hf_greedy = all(full[p].argmax().item() == t for p, t in zip(positions, continuation))
                check(f"lm-eval's loglikelihood reading equals transformers' on {name} (sum, is_greedy)",
                      abs(sum(served) - hf_sum) < 1e-4 and served_greedy == hf_greedy,
                      f"served {sum(served):.5f} {served_greedy}; transformers {hf_sum:.5f} {hf_greedy}")

        def refused(kind, call):
            try:
                call()
            except kind as error:
                return error
            return None

        error = refused(openai.BadRequestError, lambda: client.completions.create(model=model, prompt="x", n=2))
        check("n=2 is a 400 the client raises as BadRequestError", error and error.body.get("param") == "n", error and error.body.get("message"))
        error = refused(openai.BadRequestError, lambda: client.completions.create(model=model, prompt="x" * 10, max_tokens=500))
        check("a prompt + max_tokens beyond the context is a 400", error and error.body.get("code") == "context_length_exceeded",
              error and error.body.get("message"))
        error = refused(openai.BadRequestError, lambda: client.completions.create(model=model, prompt="x", max_tokens=10**30))
        check("a huge max_tokens is a 400", error is not None, error and error.body.get("message"))
        wrong = openai.OpenAI(base_url=server.base + "/v1", api_key="wrong", max_retries=0)
        error = refused(openai.AuthenticationError, lambda: wrong.models.list())
        check("a wrong API key is a 401 AuthenticationError", error is not None, error and error.body.get("message"))

    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
