# The two commands are `make run` and `make test`; the rest are for people working on Concord.
SWIFT ?= swift
CONFIG ?= release

.PHONY: run test build deps bench fuzz docker-test clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c $(CONFIG) --product concord

run: build
	.build/$(CONFIG)/concord serve

test:
	@scripts/install-deps.sh openssl chromium python3-venv jq pgbouncer
	scripts/check-imports.sh
	$(SWIFT) format lint --strict --recursive --parallel Sources Tests Package.swift
	scripts/check-openapi.sh
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel
	@scripts/deploy-check.sh

bench: deps
	bench/run.sh

docker-test:
	scripts/docker-test.sh

fuzz:
	Fuzz/run.sh

clean:
	rm -rf .build
