# Mnemo — `make demo` and `make test` work on a fresh machine: they install the pinned libtorch first.
#
#   make setup        install the pinned torch wheel's libtorch into ~/.cache/mnemo (once) and link .libtorch
#   make build        debug build
#   make test         the whole test suite (fixtures compared with PyTorch; no Python needed). Serial:
#                     several suites seed or draw from the global generator, which is process-wide.
#   make demo         release build, then the main job on built-in data
#   make bench        per-op cost and matmul GFLOP/s, Swift vs Python torch, same machine, one run
#   make bench-train  shakespeare-char-cpu for a fixed number of steps in Mnemo (its fast path and without it) and
#                     in PyTorch (eager and torch.compile), alternated over PAIRS=5 rounds: tokens/s, median
#                     ratios (bench/bench_train.sh)
#   make fixtures     regenerate the PyTorch fixtures (needs the Python venv `make bench` creates)

SWIFT ?= swift
SWIFT_RELEASE = $(SWIFT) build -c release

.PHONY: setup build test demo bench bench-train fixtures python-env clean

setup:
	@scripts/setup_libtorch.sh

build: setup
	$(SWIFT) build

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

demo: setup
	$(SWIFT_RELEASE) --product mnemo
	.build/release/mnemo demo --out runs/grok-demo

python-env:
	@scripts/setup_python_env.sh >/dev/null

bench: setup python-env
	$(SWIFT_RELEASE) --product mnemo-bench
	@bench/run_bench.sh

bench-train: setup python-env
	$(SWIFT_RELEASE) --product mnemo
	@bench/bench_train.sh

fixtures: python-env
	"$$(scripts/setup_python_env.sh --print-python)" scripts/make_fixtures.py

clean:
	rm -rf .build
