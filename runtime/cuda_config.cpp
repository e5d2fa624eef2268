#include "runtime/cuda_config.h"

#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "runtime/error.h"
#include "templates/cuda/w2a8_common.cuh"
#include "templates/cuda/w2a8_gemm.cuh"

namespace trine {

namespace {

bool power_of_two(int v) { return v > 0 && (v & (v - 1)) == 0; }

}  // namespace

std::string CudaConfig::str() const {
  if (op == Op::gemv) return fmt::format("gv.t{}.w{}.v{}.u{}", tpr, warps, vec, unroll);
  return fmt::format("mm.bm{}.bn{}.wm{}.wn{}.s{}", bm, bn, wm, wn, stages);
}

std::string CudaConfig::symbol() const {
  std::string s = "trine_cuda_" + str();
  for (char& c : s)
    if (c == '.') c = '_';
  return s;
}

int CudaConfig::threads() const { return op == Op::gemv ? warps * 32 : wm * wn * 32; }

unsigned CudaConfig::grid_x(int M) const {
  const int rows = op == Op::gemv ? warps * 32 / tpr : bm;
  return static_cast<unsigned>((M + rows - 1) / rows);
}

unsigned CudaConfig::grid_y(int N) const { return op == Op::gemv ? 1u : static_cast<unsigned>((N + bn - 1) / bn); }

int CudaConfig::shared_bytes() const {
  if (op == Op::gemv) return 0;
  return stages * (bm * trine_cuda::kCodeRowBytes + bn * trine_cuda::kActRowBytes);
}

std::string CudaConfig::violation() const {
  if (op == Op::gemv) {
    if (!power_of_two(tpr) || tpr > 32) return fmt::format("t={} is not a power of two up to 32", tpr);
    if (warps < 1 || warps > 32) return fmt::format("w={} outside 1..32", warps);
    if (vec != 4 && vec != 8 && vec != 16) return fmt::format("v={} is not 4, 8 or 16 bytes", vec);
    if (unroll < 1 || unroll > 8) return fmt::format("u={} outside 1..8", unroll);
    return "";
  }
  if (!power_of_two(bm) || bm < 16 || bm > 256) return fmt::format("bm={} is not a power of two in 16..256", bm);
  if (!power_of_two(bn) || bn < 8 || bn > 256) return fmt::format("bn={} is not a power of two in 8..256", bn);
  if (!power_of_two(wm) || !power_of_two(wn)) return fmt::format("wm={} and wn={} must be powers of two", wm, wn);
  if (wm * wn > 16) return fmt::format("wm*wn={} warps exceed 16 per block", wm * wn);
  if (bm % (16 * wm) != 0) return fmt::format("bm={} does not split into {} warps of 16-row mma tiles", bm, wm);
  if (bn % (8 * wn) != 0) return fmt::format("bn={} does not split into {} warps of 8-token mma tiles", bn, wn);
  const int tiles = (bm / wm / 16) * (bn / wn / 8);
  if (tiles > 32) return fmt::format("{} mma tiles per warp need {} accumulator registers (at most 128)", tiles, 4 * tiles);
  if (stages != 1 && stages != 2) return fmt::format("s={} is not 1 or 2", stages);
  if (shared_bytes() > 48 * 1024) return fmt::format("{} bytes of shared memory exceed 48 KiB", shared_bytes());
  return "";
}

CudaConfig CudaConfig::parse(const std::string& text) {
  CudaConfig c;
  char tail = 0;
  if (std::sscanf(text.c_str(), "gv.t%d.w%d.v%d.u%d%c", &c.tpr, &c.warps, &c.vec, &c.unroll, &tail) == 4) {
    c.op = Op::gemv;
  } else if (std::sscanf(text.c_str(), "mm.bm%d.bn%d.wm%d.wn%d.s%d%c", &c.bm, &c.bn, &c.wm, &c.wn, &c.stages, &tail) ==
             5) {
    c.op = Op::gemm;
  } else {
    throw Error(fmt::format("CUDA config '{}': expected gv.t<T>.w<W>.v<V>.u<U> or mm.bm<BM>.bn<BN>.wm<WM>.wn<WN>.s<S>",
                            text));
  }
  if (std::string why = c.violation(); !why.empty()) throw Error(fmt::format("CUDA config '{}': {}", text, why));
  return c;
}

CudaConfig cuda_default(Op op) {
  CudaConfig c;
  c.op = op;
  return c;
}

const CudaKernelChoice& pick_cuda_kernel(const std::vector<CudaKernelChoice>& choices, Op op, int M, int K) {
  const CudaKernelChoice* fallback = nullptr;
  for (const CudaKernelChoice& c : choices) {
    if (c.op != op) continue;
    if (c.M == M && c.K == K) return c;
    if (!c.tuned() && !fallback) fallback = &c;
  }
  if (!fallback) throw Error(fmt::format("no CUDA {} kernel for {}x{} and no default", op_name(op), M, K));
  return *fallback;
}

int64_t cuda_packed_bytes(int M, int K) { return static_cast<int64_t>(M) * trine_cuda::row_words(K) * 4; }

PackedWeights pack_cuda(const TernaryMatrix& W) {
  PackedWeights p;
  p.M = W.M, p.K = W.K, p.wscale = W.wscale;
  p.bytes = AlignedBuffer<uint8_t>(static_cast<std::size_t>(cuda_packed_bytes(W.M, W.K)));
  std::memset(p.bytes.data(), 0, p.bytes.size());  // padding k gets code 0 (q is zero there)
  for (int m = 0; m < W.M; ++m)
    for (int k = 0; k < W.K; ++k)
      p.bytes.data()[trine_cuda::code_byte(W.K, m, k)] |= static_cast<uint8_t>((W.at(m, k) + 1) << trine_cuda::code_shift(k));
  return p;
}

}  // namespace trine
