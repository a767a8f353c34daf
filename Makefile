# Atrium: `make run` serves the demo, `make test` runs the suite. `make help` lists the rest.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 5000
export ATRIUM_DATA ?= $(CURDIR)/var
# YASGUI for the SPARQL query page, from npm into a git-ignored folder (app/web/yasgui.py).
# Without npm the page is a plain form, which works too.
YASGUI_VERSION := 4.6.2
YASGUI := app/web/vendor/node_modules/@zazuko/yasgui/build/yasgui.min.js
# axe-core for the accessibility browser test (tests/test_a11y_browser.py), the same way.
AXE_VERSION := 4.14.1
AXE := app/web/vendor/node_modules/axe-core/axe.min.js
# One npm install names every package: npm prunes the packages a later install does not name.
NPM_PACKAGES := @zazuko/yasgui@$(YASGUI_VERSION) axe-core@$(AXE_VERSION)

# Tests wait on servers, browsers and worker processes: twice as many test processes as cores
# keep the cores busy (2 cores, the same tests: 7.6 min with 2 processes, 6.5 with 4).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))

.PHONY: help run test lint format bench clean translations

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

$(YASGUI) $(AXE) &:
	@if command -v npm >/dev/null; then \
		npm install --prefix app/web/vendor --no-save --no-package-lock --no-audit --no-fund \
			--ignore-scripts --loglevel=error $(NPM_PACKAGES); \
	else echo "npm not found: the SPARQL query page will be a plain form (no YASGUI), and the accessibility test skips"; fi

run: $(VENV)/.installed $(YASGUI) ## set up, load the demo collection once, serve on http://127.0.0.1:$(PORT)
	$(PY) -m app init --port $(PORT)
	$(PY) -m app demo --if-empty
	$(PY) -m app serve --port $(PORT)

test: $(VENV)/.installed $(YASGUI) $(AXE) ## run the test suite (slow tests: with CI set or ATRIUM_SLOW=1)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(VENV)/.installed ## ruff lint and format check
	$(VENV)/bin/ruff check app tests benchmarks
	$(VENV)/bin/ruff format --check app tests benchmarks

format: $(VENV)/.installed ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix app tests benchmarks
	$(VENV)/bin/ruff format app tests benchmarks

bench: $(VENV)/.installed ## print the performance figures (takes several minutes)
	$(PY) benchmarks/run.py
	$(PY) benchmarks/search_bench.py
	$(PY) benchmarks/sparql_bench.py
	$(PY) benchmarks/sparql_load_bench.py
	$(PY) benchmarks/autocomplete_bench.py
	$(PY) benchmarks/profiles_bench.py
	$(PY) benchmarks/media_bench.py
	$(PY) benchmarks/media_bench.py --rounds 2 --images 48 --pdfs 0 --videos 0 --size 3000x2000 --profile  # issue 14: images/s per core
	$(PY) benchmarks/http_load_bench.py
	$(PY) benchmarks/video_bench.py
	$(PY) benchmarks/zip_bench.py
	$(PY) benchmarks/cli_bench.py
	$(PY) benchmarks/results_bench.py --assets 2000 --rows 10000  # a small scale: the targets name 100k assets and 1M rows (benchmarks/README.md)

translations: $(VENV)/.installed ## extract the interface's messages and merge them into app/translations/*/messages.po
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location --omit-header -o app/translations/messages.pot .
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --width 100

clean: ## remove the virtual environment, the local data folder and YASGUI
	rm -rf $(VENV) var app/web/vendor
