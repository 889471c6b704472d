# Focal: `make run` serves the site on http://127.0.0.1:8000, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DATA_DIR := $(or $(FOCAL_DATA_DIR),$(CURDIR)/var)
MODEL_DIR := $(or $(FOCAL_MODEL_DIR),$(DATA_DIR)/models)
# A folder to copy the model files from instead of downloading them (CI: ../shared/models).
MODELS_FROM ?=
# The test suite runs against real services on loopback.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/focal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
SECRET := SECRET_KEY_FILE=$(DATA_DIR)/secret_key FOCAL_DATA_DIR=$(DATA_DIR) FOCAL_MODEL_DIR=$(MODEL_DIR)
# Tests make their own data directory; they share the model folder.
TEST_ENV := env -u FOCAL_DATA_DIR FOCAL_MODEL_DIR=$(MODEL_DIR)

.PHONY: run test lint install install-dev migrate models models-or-warn screenshots clean

$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet '.[dev]'
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

$(DATA_DIR)/secret_key:
	mkdir -p $(DATA_DIR)
	umask 077 && $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@

migrate: install $(DATA_DIR)/secret_key
	$(SECRET) $(BIN)/python manage.py migrate --noinput

FETCH_MODELS := $(SECRET) $(BIN)/python manage.py fetch_models $(if $(MODELS_FROM),--from "$(MODELS_FROM)")

# Downloads each model once (kept while its sha256 matches); MODELS_FROM=DIR copies instead.
models: install $(DATA_DIR)/secret_key
	$(FETCH_MODELS)

# `make run` still serves without the models; portrait effects then fail with instructions.
models-or-warn: install $(DATA_DIR)/secret_key
	@$(FETCH_MODELS) || echo "WARNING: the segmentation models could not be fetched; portrait \
	effects will fail until \`make models\` (or \`make models MODELS_FROM=DIR\`) succeeds."

run: migrate models-or-warn
	$(SECRET) PORT=$(PORT) $(BIN)/python manage.py serve

lint: install-dev $(DATA_DIR)/secret_key
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(SECRET) $(BIN)/mypy .

test: lint models
	$(TEST_ENV) DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest
	# The end-to-end worker tests once more on SQLite, the database `make run` uses.
	$(TEST_ENV) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -m worker

# PNGs of every page type at 1366x900 and 390x844 from a seeded demo gallery (SQLite), made by
# the layout browser tests, which also fail on any layout, accessibility or CSP fault.
SCREENSHOTS ?= var/screenshots
screenshots: install-dev models
	rm -rf "$(SCREENSHOTS)" && mkdir -p "$(SCREENSHOTS)"
	$(TEST_ENV) FOCAL_SCREENSHOTS="$(abspath $(SCREENSHOTS))" $(BIN)/pytest -q -p no:cacheprovider \
		tests/browser/test_layout.py tests/browser/test_upload_and_portrait.py \
		tests/browser/test_resumable_upload_page.py
	@echo "Screenshots are in $(SCREENSHOTS)/: open them and look before calling a UI change done."

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
