# Each target sets itself up: a fresh machine with only Python 3.11 needs nothing else for `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-unit test-browser lint format migrate demo clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

# The site on the embedded defaults: ASGI server in front, a Celery worker with its beat schedule behind.
# Development values are explicit (an unset DEBUG means production); they reach the migrate and demo steps too.
run: export DEBUG = 1
run: export DEV_MAILBOX = 1
run: demo
	@bin/run-dev $(HOST) $(PORT)

# Browser tests run in their own process: once Chromium's event loop has started, async tests cannot run.
test: install
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var db.sqlite3 staticfiles
