#!/bin/sh
# The quick start's entry point: it needs nothing but a shell. It installs the Debian packages that
# are missing (scripts/deps.sh, with apt-get), then runs the make target.
#   ./do demo    build, then scan a sample CloudTrail trail, notify, keep, read back, scan again
#   ./do check   the whole test suite (normal build, ASan+UBSan build, short fuzzing)
#   ./do bench   the benchmarks (writes docs/benchmarks.md)
set -eu
cd "$(dirname "$0")"
case "${1:-}" in
demo) scripts/deps.sh build && exec scripts/demo.sh build ;;
check) scripts/deps.sh test && exec scripts/check.sh ;;
bench) scripts/deps.sh bench && exec make bench ;;
*)
    echo "usage: ./do demo|check|bench" >&2
    exit 2
    ;;
esac
