# Short aliases; the README's two commands are `make run` and `make test`.
PY ?= python3
PIP = $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: install install-dev run test lint bench bench-quick chromium

install:
	$(PIP) -e .

install-dev:
	$(PIP) -e '.[dev]'

run: install
	runoff backtest qt_aware --report runoff-report.html

# The browser tests need Debian's chromium: installed when missing and possible (root with
# apt-get, as on a fresh CI machine), otherwise one line says how to install it.
chromium:
	@bash .ci/ensure-chromium

test: chromium install-dev
	$(PY) -m pytest -q

lint: install-dev
	$(PY) -m ruff check engine strategies data tests benchmarks
	$(PY) -m ruff format --check engine strategies data tests benchmarks
	$(PY) -m mypy

bench: install-dev
	$(PY) -m benchmarks

bench-quick: install-dev
	$(PY) -m benchmarks --quick
