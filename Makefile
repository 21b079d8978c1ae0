# rootwatch: the two quick-start commands are `make demo` and `make check`.
# Both install missing Debian packages first (scripts/deps.sh).
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build demo check test bench fuzz format clean

all: build

build:
	@scripts/deps.sh build
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# Generates a small sample trail with tools/ctgen.py and scans it: no AWS account needed.
demo: build
	@scripts/demo.sh $(BUILD)

# The whole suite: unit and integration tests, again under ASan+UBSan, and short fuzzing runs.
check:
	@scripts/deps.sh test
	@scripts/check.sh

# Only the normal build's tests.
test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

bench: build
	@scripts/deps.sh bench
	@bench/scan_bench.sh
	@bench/json_bench.sh
	@bench/match_bench.sh
	@bench/notify_bench.sh

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz
