# Two commands do all the set-up: `make demo` and `make test`.
# Both create .venv and install the pinned dependency set on first use.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# The browser tests (tests/integration/test_citizen_page.py) drive Debian's chromium (Playwright
# cannot download its own browser here) and inject axe-core, from npm, into each page.
NODE_CACHE := .cache/node
AXE_CORE := $(NODE_CACHE)/node_modules/axe-core/axe.min.js
AXE_CORE_VERSION := 4.14.1

.PHONY: demo up test lint clean browser

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rxsim demo

up: $(STAMP)
	$(BIN)/rxsim up

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

browser: $(AXE_CORE)
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

$(AXE_CORE):
	npm install --prefix $(NODE_CACHE) --no-audit --no-fund axe-core@$(AXE_CORE_VERSION)

test: lint browser
	$(BIN)/rxsim contracts check
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .cache test-artifacts
