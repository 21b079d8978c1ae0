# rootwatch: the two quick-start commands are `make demo` and `make check` (or ./do demo and
# ./do check, which need nothing but a shell). Both install missing Debian packages first
# (scripts/deps.sh, apt-get only when something is missing); a plain `make` does not.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build demo demo-aws check test bench fuzz format clean package

all: build

build:
	@cmake -S . -B $(BUILD) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# A sample trail (tools/ctgen.py) scanned, notified to the terminal, kept in a store, read back,
# and scanned again: no AWS account needed. The build is quiet (its log: $(BUILD)/build.log).
demo:
	@scripts/deps.sh build
	@scripts/demo.sh $(BUILD)

# The real-time path through AWS's own machinery in moto (an EventBridge rule, an SQS queue,
# rootwatch watch --sqs): needs moto_server and the AWS CLI (pip install 'moto[server]' awscli).
demo-aws:
	@scripts/deps.sh build
	@scripts/demo_aws.sh $(BUILD)

# The whole suite: unit and integration tests, again under ASan+UBSan, and short fuzzing runs.
check:
	@scripts/deps.sh test
	@scripts/check.sh

# The AWS Lambda deployment zip of this build (docs/lambda.md, "The package").
package: build
	@$(BUILD)/rootwatch package -o $(BUILD)/rootwatch-lambda.zip

# Only the normal build's tests.
test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

bench: build
	@scripts/deps.sh bench
	@bench/scan_bench.sh
	@bench/json_bench.sh
	@bench/match_bench.sh
	@bench/notify_bench.sh
	@bench/lambda_bench.sh
	@bench/watch_bench.sh

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz
