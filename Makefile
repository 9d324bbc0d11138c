.PHONY: help build test run bench soak format lint check

help: ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## debug build of everything, tests included
	swift build --build-tests

test: ## the whole test suite (SQLite, simulator and gateway over loopback)
	swift test

run: ## keel serve on SQLite and the built-in simulator
	swift run -c release keel serve

bench: ## gateway vs direct, concurrency 1 8 32 128, chat and stream (needs wrk)
	bench/run.sh

soak: ## RSS over about a million requests (needs wrk, sqlite3, bc)
	bench/soak.sh

format: ## format sources in place
	swift format format --in-place --recursive Sources Tests

lint: ## report formatting problems
	swift format lint --recursive Sources Tests

check: build test ## build and test, before each commit
