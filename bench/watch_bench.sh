#!/bin/sh
# The benchmark of rootwatch watch's SQS path (bench/watch_bench.py, issue 13): `rootwatch watch
# --sqs URL` against moto's SQS on loopback beside a plain boto3 consumer doing the same work
# (bench/watch_py_consumer.py): events per second through a preloaded queue, with moto alone as the
# floor; latency from the queue to the webhook (median, p99); peak resident memory; and a soak run
# of SOAK_MINUTES (30) with resident size sampled every 30 s. Writes the "watch" section of
# docs/benchmarks.md. About 50 minutes with the full soak.
#   PARTS="speed soak"  which parts to run (a part not run is taken from its last results,
#                       bench/.data/watch-speed.json and watch-soak.json, with its own date and commit)
#   N=3000 RUNS=3 ROOT_EVERY=50 DEPTH=30   throughput: messages a run, runs of each (medians), 1 in
#                       N root, the queue kept about DEPTH deep (stock moto slows down with depth)
#   RATE=50 SECONDS=30 LAT_ROOT_EVERY=5   latency: events a second sent, for how long, 1 in N root
#   SOAK_MINUTES=30 SOAK_RATE=20 SOAK_ROOT_EVERY=20   the soak run
#   NOTE=...            a remark for the report (a shared machine, say)
# Needs what the tests need: moto_server and boto3 for the python3 on PATH.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$here/build}
command -v moto_server >/dev/null || { echo "watch_bench: moto_server is not on PATH (see tests/integration/test_watch_sqs.py)" >&2; exit 1; }
python3 -c 'import boto3' 2>/dev/null || { echo "watch_bench: python3 has no boto3 (the boto3 consumer and the queues need it)" >&2; exit 1; }
if [ -f "$build/CMakeCache.txt" ]; then
    cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
else
    cmake -S "$here" -B "$build" >/dev/null && cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
exec python3 "$here/bench/watch_bench.py" "$build"
