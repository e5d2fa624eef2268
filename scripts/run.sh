#!/usr/bin/env bash
# The main job: install, build, describe this host, tune every 2B4T kernel shape for it (winners
# land in the tuning database, so a second run reuses them), then benchmark the winners beside the
# machine's measured roofline.
# Usage: ./scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
./build/trine info
./build/trine tune --preset bitnet-2b4t
./build/trine bench kernels --preset bitnet-2b4t
