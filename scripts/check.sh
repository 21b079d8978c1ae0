#!/bin/sh
# Runs the whole suite: the normal build's tests, the same tests built with ASan and UBSan, and
# short runs of the fuzz targets. Builds are quiet (their logs go to BUILD/build.log, named when a
# build fails). Ends with what was skipped and why, and the line `N passed, N failed, N skipped`
# (scripts/tally.py counts each test function and test case); exits non-zero if anything failed.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
jobs=$(nproc 2>/dev/null || echo 2)
status=0
results=""
res=$here/build/check-results
rm -rf "$res"
mkdir -p "$res"
: >"$res/skipped.txt"
: >"$res/failed.txt"

step() { # name, command...
    name=$1
    shift
    start=$(date +%s)
    echo "=== $name"
    if "$@"; then r=ok; else r=FAILED; status=1; fi
    results="$results
$(printf '%-28s %-7s %4ss' "$name" "$r" $(($(date +%s) - start)))"
}

skip() { # count, what, reason
    printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$res/skipped.txt"
    echo "skipped: $2: $3"
}

build() { # dir, cmake options...
    dir=$1
    shift
    mkdir -p "$dir"
    if cmake -S . -B "$dir" "$@" >"$dir/build.log" 2>&1 && cmake --build "$dir" -j"$jobs" >>"$dir/build.log" 2>&1; then
        return 0
    fi
    tail -n 30 "$dir/build.log"
    echo "the build failed: the whole log is $dir/build.log"
    printf '1\tthe build in %s (its tests did not run)\n' "$dir" >>"$res/failed.txt"
    return 1
}

tests() { # dir, label
    rm -rf "$1/test-results"
    echo "$here/$1" >"$res/ctest-$2.dir"
    (cd "$1" && ctest --output-on-failure -j"$jobs") >"$res/ctest-$2.txt" 2>&1
    rc=$?
    cat "$res/ctest-$2.txt"
    if ! grep -q "^CMOCKA_FOUND:INTERNAL=1" "$1/CMakeCache.txt" 2>/dev/null; then
        skip "$(ls tests/unit/test_*.c | wc -l)" "unit test programs ($2)" \
            "cmocka is missing (apt-get install libcmocka-dev, or scripts/deps.sh test)"
    fi
    return $rc
}

step "build" build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
step "tests" tests build normal
step "build (asan+ubsan)" build build-asan -DCMAKE_BUILD_TYPE=Debug -DRW_SANITIZE=ON
step "tests (asan+ubsan)" tests build-asan asan+ubsan
nfuzz=$(ls tests/fuzz/fuzz_*.c | wc -l)
if command -v clang >/dev/null 2>&1; then
    step "build (fuzz)" build build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DRW_FUZZ=ON -DRW_TESTS=OFF
    step "fuzz" sh -c 'tests/fuzz/run.sh build-fuzz "$1" >"$2/fuzz.txt"; rc=$?; cat "$2/fuzz.txt"; exit $rc' \
        sh "${FUZZ_SECONDS:-30}" "$res"
else
    skip "$nfuzz" "fuzz targets" "clang is missing (apt-get install clang libclang-rt-14-dev, or scripts/deps.sh test)"
fi
echo "=== summary$results"
python3 scripts/tally.py "$res" || status=1
exit $status
