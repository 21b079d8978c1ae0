#!/bin/sh
# Builds quietly: one line when it works, the end of the log and its name when it does not.
#   scripts/build.sh BUILD_DIR [TARGET...]      (no target: everything)
# The full log is BUILD_DIR/build.log.
set -u
dir=${1:-build}
shift 2>/dev/null || true
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
mkdir -p "$dir"
log=$dir/build.log
jobs=$(nproc 2>/dev/null || echo 2)
targets=""
for t in "$@"; do targets="$targets --target $t"; done
start=$(date +%s)
# shellcheck disable=SC2086 # targets is a word list
if cmake -S . -B "$dir" >"$log" 2>&1 &&
    cmake --build "$dir" -j"$jobs" $targets >>"$log" 2>&1; then
    echo "built $("$dir/rootwatch" --version 2>/dev/null || echo rootwatch) in $dir/ ($(($(date +%s) - start)) s; full log: $log)"
    exit 0
fi
tail -n 25 "$log"
echo "the build failed: the whole log is $log" >&2
exit 1
