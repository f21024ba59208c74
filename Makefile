# Front door: `make run` (set up + start the web app), `make test` (set up + run every test).
# The environment lives in .venv/ at the repo root.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# Where the CPU build of torch comes from: this machine's local wheel by default;
# elsewhere pass TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=

.PHONY: setup run test eval bench load chromium clean

setup: $(STAMP)

# torch first, pinned to the CPU build, so sentence-transformers does not pull a multi-GB CUDA build.
$(STAMP): pyproject.toml requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

run: setup
	$(PY) app.py

# The browser test needs Debian's chromium (and a CJK font for readable screenshots); install when missing.
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium for the browser test..."; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "The browser test needs chromium: install it (apt-get install chromium) and re-run." >&2; exit 1; fi; \
	fi

test: setup chromium
	$(PY) -m pytest

eval: setup
	$(PY) -m interviewer eval retrieval eval/retrieval.tsv
	$(PY) -m interviewer eval retrieval eval/lookups.tsv
	$(PY) -m interviewer eval scoring eval/scoring.tsv
	$(PY) -m interviewer eval scoring eval/scoring_blind2.tsv
	$(PY) -m interviewer eval scoring eval/scoring_blind3.tsv
	$(PY) -m interviewer eval scoring eval/scoring_blind4.tsv
	$(PY) -m interviewer eval scoring eval/scoring_blind5.tsv
	$(PY) -m interviewer eval languages eval/translations.tsv

bench: setup
	$(PY) -m interviewer bench

load: setup
	$(PY) -m interviewer.loadtest --users 20 --answers 10

clean:
	rm -rf $(VENV) .pytest_cache artifacts
