#!/usr/bin/env bash
# Builds and runs Ferry's whole test suite: unit, integration and e2e tests
# under ASan+UBSan, then the clang build with -Wthread-safety -Werror, which
# also compiles the benchmarks (compiled, not run: benchmarks are not tests).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ferry-ccache}"
JOBS="${FERRY_JOBS:-$(nproc)}"

echo "== asan: build and test"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$JOBS"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
ctest --preset asan -j "$JOBS"

echo "== clang-tsa: thread-safety analysis build (benchmarks included)"
cmake --preset clang-tsa >/dev/null
cmake --build --preset clang-tsa -j "$JOBS"

echo "all tests passed"
