#!/usr/bin/env bash
# Installs what the build needs, builds (Release, Ninja) and runs every test suite under ctest.
# Usage: ./scripts/test.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
./scripts/install-deps.sh
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD" -j "$(nproc)"
# A throwaway cache keeps tests from reading or writing the user's tuning database.
export XDG_CACHE_HOME="$(mktemp -d)"
trap 'rm -rf "$XDG_CACHE_HOME"' EXIT
ctest --test-dir "$BUILD" --output-on-failure -j "$(nproc)"
