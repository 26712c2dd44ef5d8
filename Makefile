# datasetkit: two commands on a fresh Debian/Ubuntu machine.
#   make demo   installs missing Debian packages, builds, runs the pipeline on an embedded sample (offline)
#   make test   installs missing Debian packages, builds, runs every test
SWIFT ?= swift
CONFIG ?= debug

.PHONY: demo test build bootstrap bench clean

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(SWIFT) build -c $(CONFIG)

demo: build
	@scripts/demo $(CONFIG)

test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: bootstrap
	$(SWIFT) build -c release
	@bench/import

clean:
	rm -rf .build demo-workspace bench/out
