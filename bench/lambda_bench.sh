#!/bin/sh
# The Lambda function's benchmark (bench/lambda_bench.py): the unzipped `rootwatch package` started
# as Lambda starts it, against a Runtime API written in the benchmark and SNS on moto: start to the
# first `next` against `python3 -c 'import boto3'`, invocations per second (root and non-root
# events), peak resident memory. Writes the "lambda" section of docs/benchmarks.md. A few minutes.
#   START_RUNS=21  starts of each (medians are reported)
#   RUNS=3         runs of each invocation kind, ROOT_N=300 root and NONROOT_N=2000 non-root events
#   NOTE=...       a remark for the report (a shared machine, say)
# Needs what the tests need: moto_server and boto3 for the python3 on PATH, and unzip.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$here/build}
for tool in moto_server unzip; do
    command -v "$tool" >/dev/null || { echo "lambda_bench: $tool is not on PATH (see docs/lambda.md, tests/integration/test_lambda.py)" >&2; exit 1; }
done
python3 -c 'import boto3' 2>/dev/null || { echo "lambda_bench: python3 has no boto3 (the comparison and moto's resources need it)" >&2; exit 1; }
if [ -f "$build/CMakeCache.txt" ]; then
    cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
else
    cmake -S "$here" -B "$build" >/dev/null && cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
exec python3 "$here/bench/lambda_bench.py" "$build"
