#!/bin/bash
# trine itself on aarch64: the -DTRINE_JIT=OFF runtime, cross-built with the kernels of a
# `trine aot --target aarch64` tree, run under qemu-aarch64. It must detect the NEON dot-product
# ISA, run every kernel of its table to the reference's bits (the same digests the x86 build
# computes from the reference), and match the transformers oracle's logits per its README.
# Usage: aarch64_runtime.sh JIT_TRINE SOURCE_DIR WORK_DIR QEMU
# Exits 77 (skipped) where the arm64 libraries are not installed (scripts/install-deps.sh).
set -euo pipefail
trine=$1 src=$2 work=$3 qemu=$4
oracle=$src/../shared/bitnet_oracle/small
python=/usr/bin/python3

missing=()
for lib in libsqlite3.so libfmt.so libpcre2-8.so; do
  [ -e "/usr/lib/aarch64-linux-gnu/$lib" ] || missing+=("$lib")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "SKIPPED: no arm64 ${missing[*]} (dpkg --add-architecture arm64; scripts/install-deps.sh installs them)"
  exit 77
fi

rm -rf "$work"
mkdir -p "$work"
export XDG_CACHE_HOME=$work/cache
"$trine" aot --from-json "$src/tests/data/aot_winners.json" --target aarch64 --out "$work/kernels" > /dev/null

echo "cross-building trine for aarch64 with -DTRINE_JIT=OFF -DTRINE_AOT_KERNELS=$work/kernels"
cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$src/cmake/aarch64-linux-gnu.cmake" \
  -DTRINE_JIT=OFF -DTRINE_AOT_KERNELS="$work/kernels" -DTRINE_TESTS=OFF -DTRINE_BENCH=OFF -DTRINE_CUDA=OFF \
  > "$work/cmake.log" || { cat "$work/cmake.log"; exit 1; }
ninja -C "$work/build" trine > "$work/build.log" || { tail -40 "$work/build.log"; exit 1; }
a64=("$qemu" "$work/build/trine")
file "$work/build/trine" | grep -q "ARM aarch64" || { echo "FAIL: not an aarch64 binary"; exit 1; }

"${a64[@]}" info > "$work/info.txt"
grep -E "^(cpu|features|usable ISAs|jit|kernels) " "$work/info.txt"
grep -q "^usable ISAs  neondot$" "$work/info.txt" || { echo "FAIL: neondot not detected"; exit 1; }

# Digests: the aarch64 kernels' outputs; the x86 build lists the same table with the reference's.
"${a64[@]}" kernels --check > "$work/kernels_a64.txt"
"$trine" kernels --check --aot-dir "$work/kernels" > "$work/kernels_ref.txt"
cat "$work/kernels_a64.txt"
if awk 'NR > 2 && $(NF-1) != "ok"' "$work/kernels_a64.txt" | grep -q .; then
  echo "FAIL: a kernel did not check ok"
  exit 1
fi
diff <(awk 'NR > 2 {print $1, $2, $NF}' "$work/kernels_ref.txt") <(awk 'NR > 2 {print $1, $2, $NF}' "$work/kernels_a64.txt")
echo "kernels: every digest equals the reference's, computed on x86"

if [ ! -d "$oracle" ]; then
  echo "SKIP oracle comparison: $oracle not found"
  exit 0
fi
ids=$("$python" "$src/tests/aot/oracle_logits.py" ids "$oracle")
for mode in "" --incremental; do
  "${a64[@]}" logits -m "$oracle/packed" --ids "$ids" --threads 2 $mode --out "$work/logits.npy" > /dev/null
  echo -n "logits ${mode:-(prefill)}: "
  "$python" "$src/tests/aot/oracle_logits.py" compare "$oracle" "$work/logits.npy"
done
