# dermforge — two commands: `make demo` and `make test`. Both bootstrap .venv when missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test docs screenshots lint bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,eval]'
	touch $(STAMP)

# The whole pipeline on the embedded default (48 bundled real images, the offline classic
# backend, the automatic demo curation policy), through DVC: every stage dvc.yaml declares,
# the reference evaluation and its attachment to the release included, so `dvc status` is
# clean afterwards. Then the validated release is verified and loaded back with `datasets`
# alone, offline, in a fresh process. Last, it is signed with a throw-away demo key
# (.dermforge/demo-keys, made once, git-ignored) into release-signed/, outside DVC
# (signatures are not reproducible; the card says it is signed with a DEMO key), which
# `dermforge verify` checks against the demo public key and CA.
DEMO_KEYS := .dermforge/demo-keys
demo: $(STAMP)
	$(BIN)/dermforge sources summary
	@echo
	$(BIN)/dermforge sources table1
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dvc repro
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dvc status
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dvc status --quiet  # exit 1 unless up to date
	$(BIN)/dermforge verify release
	HF_HUB_OFFLINE=1 $(BIN)/python examples/load_release.py release
	$(BIN)/dermforge demo-keys $(DEMO_KEYS)
	rm -rf release-signed
	$(BIN)/dermforge sign release --key $(DEMO_KEYS)/signer.key --cert $(DEMO_KEYS)/chain.pem \
	  --out release-signed
	$(BIN)/dermforge verify release-signed --public-key $(DEMO_KEYS)/signer.pub \
	  --trust-anchor $(DEMO_KEYS)/ca.pem

test: $(STAMP)
	$(BIN)/ruff check src tests bench examples docs
	$(BIN)/mypy
	$(MAKE) docs
	$(BIN)/python -m pytest

# the documentation site, built strictly (any warning fails) into a temporary folder that
# is removed afterwards; `$(BIN)/mkdocs serve` previews it at http://127.0.0.1:8000
docs: $(STAMP)
	site=$$(mktemp -d) && trap 'rm -rf "$$site"' EXIT && \
	  NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir "$$site"

# refreshes the workbench screenshots of the docs (docs/images/*.png, committed) from the
# browser tests in Debian's chromium; CI=true makes a missing chromium fail, not skip
screenshots: $(STAMP)
	CI=true DERMFORGE_SCREENSHOTS=docs/images $(BIN)/python -m pytest -q -p no:cacheprovider \
	  tests/workbench/test_browser.py tests/workbench/test_browser_team.py \
	  tests/workbench/test_browser_review.py

# every benchmark (about 1.5 h on 2 cores); one of them: make bench BENCH=bench_build
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH)

# removes what the tools and the pipeline made — never the human verdict log
# (workspace/records/verdicts.jsonl, versioned by git)
clean:
	rm -rf $(VENV) release release-unvalidated release-signed $(DEMO_KEYS) .pytest_cache \
	  .mypy_cache .ruff_cache
	find workspace -mindepth 1 -not -path workspace/records \
	  -not -path workspace/records/verdicts.jsonl -delete 2>/dev/null || true
