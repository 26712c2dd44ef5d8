# datasetkit: two commands on a fresh Debian/Ubuntu machine.
#   make demo   installs missing Debian packages, builds, runs the pipeline on an embedded sample (offline)
#   make test   installs missing Debian packages, builds, runs every test
#   make fuzz   libFuzzer on the image header and zip directory readers, 10 minutes each (FUZZ_SECONDS)
#   make lint   swift format lint --strict with the repository's .swift-format, and SQL only in stores (also run by .ci/run)
SWIFT ?= swift
CONFIG ?= debug

.PHONY: demo test build bootstrap bench fuzz lint clean

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(SWIFT) build -c $(CONFIG)

demo: build
	@scripts/demo $(CONFIG)

test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# A separate package (fuzz/), built with -sanitize=fuzzer: never part of `make test`.
fuzz: bootstrap
	@scripts/fuzz

# The toolchain's swift-format; `swift format format -i -r Sources Tests Package.swift` fixes what it can.
lint:
	$(SWIFT) format lint --strict --parallel --configuration .swift-format -r Sources Tests Package.swift fuzz/Sources fuzz/Package.swift
	@scripts/check-stores

bench: bootstrap
	$(SWIFT) build -c release
	@bench/import

clean:
	rm -rf .build demo-workspace bench/out
