#!/bin/bash
# `trine aot --target aarch64` for real: the tree is built by its own CMakeLists.txt with the
# aarch64 cross compiler, and every table entry passes the kernel contract under qemu-aarch64.
# Usage: aarch64.sh JIT_TRINE SOURCE_DIR WORK_DIR CROSS_CXX QEMU
set -euo pipefail
trine=$1 src=$2 work=$3 cxx=$4 qemu=$5
rm -rf "$work"
mkdir -p "$work"
export XDG_CACHE_HOME=$work/cache

"$trine" aot --from-json "$src/tests/data/aot_winners.json" --target aarch64 --out "$work/kernels"
cmake -S "$work/kernels" -B "$work/build" -G Ninja -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
  -DCMAKE_CXX_COMPILER="$cxx" > "$work/cmake.log" || { cat "$work/cmake.log"; exit 1; }
ninja -C "$work/build" > "$work/build.log" || { tail -40 "$work/build.log"; exit 1; }
"$cxx" -std=c++20 -O2 -march=armv8.2-a+dotprod -static -ffp-contract=off -DFMT_HEADER_ONLY -I"$src" \
  "$src/tests/aarch64/aot_table_neondot.cpp" "$src/runtime/aligned_buffer.cpp" "$src/runtime/ternary.cpp" "$src/runtime/quantize.cpp" \
  "$src/runtime/problems.cpp" "$work/build/libtrine_aot_kernels.a" -o "$work/check"
"$qemu" "$work/check" | tail -3
