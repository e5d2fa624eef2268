#!/bin/bash
# The AOT path end to end: `trine aot` writes a tree from fixed winners, a trine built with
# -DTRINE_JIT=OFF -DTRINE_AOT_KERNELS=<tree> must link no compiler library, run every kernel to
# the same bits as the JIT build compiles them, and give byte-identical logits.
# Usage: roundtrip.sh JIT_TRINE SOURCE_DIR WORK_DIR
set -euo pipefail
trine=$1 src=$2 work=$3
oracle=$src/../shared/bitnet_oracle/small/packed
rm -rf "$work"
mkdir -p "$work"
export XDG_CACHE_HOME=$work/cache

# The fixture's winners, claimed for this host so the JIT build picks exactly the same kernels.
fp=$("$trine" info --json | sed -n 's/.*"fingerprint": *"\([0-9a-f]*\)".*/\1/p' | head -1)
sed "s/feba0726f23a5c8c/$fp/g" "$src/tests/data/aot_winners.json" > "$work/winners.json"
"$trine" aot --from-json "$work/winners.json" --target host --out "$work/kernels"

echo "building trine with -DTRINE_JIT=OFF -DTRINE_AOT_KERNELS=$work/kernels"
cmake -S "$src" -B "$work/build" -G Ninja -DTRINE_JIT=OFF -DTRINE_AOT_KERNELS="$work/kernels" \
  -DTRINE_TESTS=OFF -DTRINE_BENCH=OFF > "$work/cmake.log" || { cat "$work/cmake.log"; exit 1; }
ninja -C "$work/build" trine > "$work/build.log" || { tail -40 "$work/build.log"; exit 1; }
aot=$work/build/trine

if ldd "$aot" | grep -Ei 'llvm|clang|halide'; then
  echo "FAIL: the AOT binary links a compiler library"
  exit 1
fi
echo "ldd: no LLVM, clang or Halide"
"$aot" info | grep -E "^(jit|kernels) "

"$trine" kernels --check --aot-dir "$work/kernels" > "$work/kernels_jit.txt"
"$aot" kernels --check > "$work/kernels_aot.txt"
cat "$work/kernels_aot.txt"
diff "$work/kernels_jit.txt" "$work/kernels_aot.txt"
echo "kernels: the same bits from the JIT and the AOT build"

if [ ! -d "$oracle" ]; then
  echo "SKIP logits comparison: $oracle not found"
  exit 0
fi
"$trine" cache import "$work/winners.json" --db "$work/jit.db" > /dev/null
ids=0,14,41,322,7,9,100,200,3,77
for mode in "" --incremental; do
  "$trine" logits -m "$oracle" --ids $ids --threads 2 --db "$work/jit.db" $mode --out "$work/jit.npy"
  "$aot" logits -m "$oracle" --ids $ids --threads 2 $mode --out "$work/aot.npy"
  cmp "$work/jit.npy" "$work/aot.npy"
  echo "logits ${mode:-(prefill)}: byte-identical"
done
"$aot" bench -m "$oracle" --prompt 8 --gen 4 --reps 1 --threads 2 | grep -E "^(prefill|decode) "
