# Two commands on a fresh clone: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint format install bench clean neo4j graphiql-assets trusted-documents api-reference

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# `make run` needs only the service; the test and benchmark extras (Splink, pandas, Playwright, Spark) are
# installed by `make test`, so the first `make run` on a fresh clone is quick.
$(RUN_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,bench,spark]'
	touch $(TEST_STAMP) $(RUN_STAMP)

install: $(TEST_STAMP)

run: $(RUN_STAMP)
	$(BIN)/c360 run

# The suite runs every store test on both backends: the embedded FalkorDB and a real Neo4j Community
# server that tools/neo4j builds with Maven (first time) and the tests start (unless NEO4J_URI names
# one). C360_CYPHER_COVERAGE fails the run when a Cypher file was not executed on its backends.
test: $(TEST_STAMP) lint
	C360_CYPHER_COVERAGE=1 $(BIN)/python -m pytest

# ruff (lint, and the format check) over the whole tree, mypy over the core (app/); either fails the build.
lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The trusted documents list (app/config/trusted_documents.json): the operations of docs/api.md's GraphQL
# blocks and of the steward page, by the sha256 of their text (docs/operations.md). A test fails when the
# list is not current: run this after changing either.
trusted-documents: $(RUN_STAMP)
	$(BIN)/python -m tools.trusted_documents

# docs/api-reference.md from the schema (a test fails when it is stale).
api-reference: $(RUN_STAMP)
	$(BIN)/python -m schema.export > schema.graphql
	$(BIN)/python -m tools.api_reference

# A local Neo4j for `NEO4J_URI=... make run`: prints the variables to export, Ctrl-C stops it.
neo4j: $(RUN_STAMP)
	$(BIN)/python -m tools.neo4j.server --home var/neo4j

# GraphiQL's page assets (app/api/graphiql/), built with Node from tools/graphiql's lockfile and
# committed: `make run` and `make test` need no Node. Run after changing tools/graphiql's versions.
graphiql-assets:
	cd tools/graphiql && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) var tools/neo4j/target
