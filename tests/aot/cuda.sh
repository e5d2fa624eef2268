#!/bin/bash
# `trine aot --target cuda` for real: the tree is built by its own CMakeLists.txt with nvcc for
# sm_80 and sm_90, holds the tuned configs of its arch and the defaults, and bad --arch values are
# refused. Needs no GPU.
# Usage: cuda.sh JIT_TRINE SOURCE_DIR WORK_DIR NVCC
set -euo pipefail
trine=$1 src=$2 work=$3 nvcc=$4
rm -rf "$work"
mkdir -p "$work"
export XDG_CACHE_HOME=$work/cache
fixture=$src/tests/data/aot_cuda_winners.json

for arch in sm_80 sm_90; do
  out=$work/$arch
  "$trine" aot --from-json "$fixture" --target cuda --arch $arch --out "$out" > "$work/$arch.txt"
  cat "$work/$arch.txt"
  cmake -S "$out" -B "$out/build" -G Ninja -DCMAKE_CUDA_COMPILER="$nvcc" > "$work/cmake-$arch.log" ||
    { cat "$work/cmake-$arch.log"; exit 1; }
  ninja -C "$out/build" > "$work/build-$arch.log" || { tail -40 "$work/build-$arch.log"; exit 1; }
  nm -C "$out/build/libtrine_cuda_kernels.a" > "$work/nm-$arch.txt"
  grep -q "T trine_cuda_aot_launch" "$work/nm-$arch.txt" || { echo "no launcher in $arch"; exit 1; }
  ninja -C "$out/build" -t commands > "$work/commands-$arch.txt"
  grep -q -- "arch=compute_${arch#sm_},code=.*sm_${arch#sm_}" "$work/commands-$arch.txt" ||
    { echo "kernels.cu was not compiled for ${arch}:"; cat "$work/commands-$arch.txt"; exit 1; }
done
# sm_90 got its two tuned winners, sm_80 its one; both the two defaults.
grep -q "gv.t16.w8.v16.u4" "$work/sm_90/kernels.cu" && grep -q "mm.bm128.bn64.wm2.wn2.s2" "$work/sm_90/kernels.cu"
grep -q "gv.t32.w4.v8.u1" "$work/sm_80/kernels.cu" && ! grep -q "gv.t16.w8.v16.u4" "$work/sm_80/kernels.cu"
grep -q "4 kernels, 2 tuned" "$work/sm_90.txt" && grep -q "3 kernels, 1 tuned" "$work/sm_80.txt"

expect_fail() {  # expect_fail MESSAGE ARGS...: a non-zero exit whose stderr names MESSAGE
  local want=$1; shift
  if "$trine" aot "$@" 2> "$work/err.txt"; then echo "accepted: $*"; exit 1; fi
  grep -q -- "$want" "$work/err.txt" || { echo "wrong error for $*:"; cat "$work/err.txt"; exit 1; }
}
expect_fail "needs --arch" --from-json "$fixture" --target cuda --out "$work/x"
expect_fail "sm_80 or newer" --from-json "$fixture" --target cuda --arch sm_75 --out "$work/x"
expect_fail "expected sm_" --from-json "$fixture" --target cuda --arch hopper --out "$work/x"
expect_fail "applies to --target cuda only" --from-json "$fixture" --target host --arch sm_90 --out "$work/x"
expect_fail "not empty" --from-json "$fixture" --target cuda --arch sm_90 --out "$work/sm_90"
[ ! -e "$work/x" ] || { echo "a refused run left $work/x behind"; exit 1; }
echo "aot cuda: sm_80 and sm_90 trees build"
