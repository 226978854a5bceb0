# Every target bootstraps what it needs: .venv from requirements.lock, node_modules from package-lock.json.
PY      := .venv/bin/python
VENV_OK := .venv/.installed
NODE_OK := node_modules/.installed

.PHONY: all verify test test-slow test-all bench simulate mutate setup clean forge-build forge-test
all: verify

# $(call need,TOOL,WHY): stop with one line naming TOOL when it is not on PATH (checked when a recipe runs)
need = $(if $(shell command -v $(1) 2>/dev/null),,$(error $(1) is not on PATH: $(2)))
NODE_WHY := install Node.js and npm (the compiler solc-js, OpenZeppelin, Superfluid and Foundry come from npm)

# the checkout itself is installed editable (no dependencies, no build isolation: setuptools is pinned in the
# lock), which puts the console command `workbench` (pyproject.toml [project.scripts]) in .venv/bin
$(VENV_OK): requirements.lock pyproject.toml
	$(call need,python3,install Python 3.11 or later)
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(NODE_OK): package-lock.json
	$(call need,node,$(NODE_WHY))
	$(call need,npm,$(NODE_WHY))
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

SF_OK   := .cache/superfluid/package/.fetched.json

# the real Superfluid protocol's prebuilt artifacts: `npm pack` of one pinned, integrity-checked tarball
# (a plain npm install of the package would pull 932 packages)
$(SF_OK): $(VENV_OK) harness/evm/fetch_superfluid.py
	$(call need,npm,$(NODE_WHY))
	$(PY) -m harness.evm.fetch_superfluid

setup: $(VENV_OK) $(NODE_OK) $(SF_OK)

## verify: compile, fuzz against the models on both engines, prove, write reports/ (exit code: see README)
# make turns any failing recipe into its own exit code 2: the last line names harness.cli's own code
verify: setup
	@$(PY) -m harness.cli verify; rc=$$?; if [ $$rc -ne 0 ]; then \
	  echo "make verify: harness.cli verify exited $$rc (1 VIOLATED, 2 INCONCLUSIVE, 3 tool error: reports/README.md)" >&2; \
	fi; exit $$rc

# the test targets spread the tests over TEST_WORKERS processes (pytest-xdist; default: one per core),
# a file's tests kept together so that its module fixtures are built once; TEST_WORKERS=0 runs them in
# this process
TEST_WORKERS ?= auto
XDIST := -n $(TEST_WORKERS) --dist loadfile

## test: the fast tier (the README's test command): everything not marked slow, a test per checker
## catching a deliberately broken contract or model included (tests/test_tiers.py keeps it so)
test: setup
	$(PY) -m pytest -q $(XDIST) -m "not slow"

## test-slow: the second tier: long fuzz campaigns, whole proof suites, the SDK against a real anvil
test-slow: setup
	$(PY) -m pytest -q $(XDIST) -m slow

## test-all: both tiers in one session
test-all: setup
	$(PY) -m pytest -q $(XDIST)

## bench: throughput figures per suite (engine calls/s, differential steps/s, proof times: reports/bench.json; simulated agent-steps/s)
bench: setup
	$(PY) -m harness.cli bench
	$(PY) -m harness.cli simulate bench

## mutate: mutation campaign over every suite's mutation_sources (BPE: contracts/bpe/; report in mutants/REPORT.md); JOBS=2, SCHEDULER=tcp://host:8786 (a Dask cluster), MUTATE_ARGS="--contracts Pipeline --resume"
mutate: setup
	$(PY) -m harness.mutate run --jobs $(or $(JOBS),2) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(MUTATE_ARGS)

## simulate: agent-based simulation of the shipped scenarios on the reference models (reports/sim/)
simulate: setup
	$(PY) -m harness.cli simulate run scenarios/bpe/*.toml

## forge-build: the Foundry project over contracts/ (foundry.toml: forge and solc-js from npm, the
## workbench's compile settings; docs/foundry.md), its bytecode then checked against the workbench's compile
FORGE := node_modules/@foundry-rs/forge-linux-amd64/bin/forge
forge-build: setup
	$(FORGE) build
	$(PY) -m harness.forge.project check

## forge-test: `forge test` on forge/test/ (FORGE_ARGS="--match-test NAME -vvv"); exported counterexamples:
## FOUNDRY_TEST=reports/forge $(FORGE) test (docs/foundry.md)
forge-test: setup
	$(FORGE) test $(FORGE_ARGS)

clean:
	rm -rf .cache reports/out reports/replays .hypothesis .pytest_cache
