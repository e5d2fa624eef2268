// The aarch64 kernel-contract checker shared by the template tests (mad_contract_neondot.cpp,
// lut_contract_neondot.cpp) and the AOT table test (aot_table_neondot.cpp): problems, a run of one
// kernel the way the runtime calls it, and a bit-for-bit comparison that names the first mismatch
// and exits 1.
#pragma once
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "runtime/aligned_buffer.h"
#include "runtime/kernel_abi.h"
#include "runtime/problems.h"
#include "runtime/quantize.h"
#include "runtime/ternary.h"
#include "templates/cpu/lut_layout.h"
#include "templates/cpu/mad_layout.h"

#if !defined(__aarch64__) || !defined(__ARM_FEATURE_DOTPROD)
#error "build for aarch64 with the dot product: -march=armv8.2-a+dotprod"
#endif

namespace trine_neondot_check {

using trine::Problem;

// Poison: a kernel that leaves an output unwritten, or writes past one, shows up as a mismatch.
constexpr uint32_t kYPoison = 0x7fc0dead;      // a quiet NaN no computation produces
constexpr int32_t kScratchPoison = 0x5a5a5a5a;  // scratch is reused, never handed out zeroed
constexpr int kYGuard = 64;                     // floats after the last row, checked too
constexpr int kThreadSplits[] = {1, 2, 3, 8};   // 8: some threads get no rows on the tail shapes

// Packs W [M][K] into the layout a kernel reads.
using Packer = std::function<trine::AlignedBuffer<uint8_t>(const int8_t* W, int M, int K)>;

struct Config {
  std::string name;  // the family and its config's str() spelling
  Packer pack;
  void (*run)(const trine_gemm_args*, int32_t, int32_t);
};

// A family's layout type L (mad::Layout, lut::Layout) and its pack function.
template <class L>
Packer packer(L layout, void (*pack)(const int8_t*, int, int, L, uint8_t*)) {
  return [layout, pack](const int8_t* W, int M, int K) {
    trine::AlignedBuffer<uint8_t> out(static_cast<size_t>(layout.packed_bytes(M, K)));
    pack(W, M, K, layout, out.data());
    return out;
  };
}
inline Packer mad_packer(trine::mad::Layout l) { return packer(l, &trine::mad::pack); }
inline Packer lut_packer(trine::lut::Layout l) { return packer(l, &trine::lut::pack); }

// Every weight +-1 and every activation +-127, signs at random: the largest products with both
// signs mixed, which the saturate problems (one sign each) do not give.
inline Problem signs_problem(int M, int K, int N, uint64_t seed) {
  Problem p;
  p.name = "signs +-1 x +-127 " + std::to_string(M) + "x" + std::to_string(K) + "x" + std::to_string(N);
  std::mt19937_64 rng(seed);
  p.W.M = M;
  p.W.K = K;
  p.W.wscale = 0.75f;
  p.W.w.resize(static_cast<size_t>(M) * K);
  for (int8_t& w : p.W.w) w = (rng() & 1) ? 1 : -1;
  p.x.resize(static_cast<size_t>(N) * K);
  for (float& x : p.x) x = (rng() & 1) ? 1.0f : -1.0f;  // equal magnitudes quantize to +-127
  trine::quantize_acts(p.x.data(), N, K, K, p.acts);
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k)
      if (const int q = p.acts.q[static_cast<size_t>(n) * p.acts.stride + k]; q != 127 && q != -127) {
        fprintf(stderr, "FAIL: %s: activation quantized to %d, not +-127\n", p.name.c_str(), q);
        exit(1);
      }
  p.y_ref.assign(static_cast<size_t>(N) * M, 0.0f);
  trine::reference_gemm(p.W, p.acts, p.y_ref.data(), M);
  return p;
}

struct ProblemSet {
  std::string what;
  std::vector<Problem> problems;
};

inline ProblemSet problem_set(int M, int K, int N, uint64_t seed) {
  ProblemSet s;
  s.what = std::to_string(M) + "x" + std::to_string(K) + "x" + std::to_string(N);
  s.problems = trine::verification_problems(M, K, N, seed);
  s.problems.push_back(signs_problem(M, K, N, seed + 100));
  return s;
}

[[noreturn]] inline void fail(const Config& c, const Problem& p, int nthreads, const char* what, int n, int m,
                       float got, float want) {
  uint32_t gb, wb;
  memcpy(&gb, &got, 4);
  memcpy(&wb, &want, 4);
  fprintf(stderr,
          "FAIL: neondot %s on %s, threads=%d: %s at token n=%d row m=%d: got %.9g (0x%08" PRIx32
          "), want %.9g (0x%08" PRIx32 ")\n",
          c.name.c_str(), p.name.c_str(), nthreads, what, n, m, got, gb, want, wb);
  exit(1);
}

// Runs the kernel the way the runtime does (runtime/packed_weights.cpp: make_gemm_args,
// GemmWorkspace::prepare), with every tid in turn: this program links only the runtime files that
// need no thread pool.
inline void check(const Config& c, const Problem& p, int nthreads) {
  const int M = p.W.M, K = p.W.K, N = p.acts.N;
  const trine::AlignedBuffer<uint8_t> packed = c.pack(p.W.w.data(), M, K);
  std::vector<float> scale;
  trine::token_scales(p.acts, p.W.wscale, scale);
  trine::AlignedBuffer<int32_t> scratch(static_cast<size_t>(nthreads) * N * TRINE_SCRATCH_PER_TOKEN);
  for (size_t i = 0; i < scratch.size(); ++i) scratch[i] = kScratchPoison;
  // Rows of y are wider than M, so a kernel that ignores y_stride, or writes past M, is caught.
  const int64_t y_stride = M + 3;
  std::vector<float> y(static_cast<size_t>(N) * y_stride + kYGuard);
  for (float& v : y) memcpy(&v, &kYPoison, 4);

  trine_gemm_args a{};
  a.w = packed.data();
  a.q = p.acts.q.data();
  a.qsum = p.acts.qsum.data();
  a.scale = scale.data();
  a.y = y.data();
  a.scratch = scratch.data();
  a.q_stride = p.acts.stride;
  a.y_stride = y_stride;
  a.scratch_stride = static_cast<int64_t>(N) * TRINE_SCRATCH_PER_TOKEN;
  a.M = M;
  a.K = K;
  a.N = N;
  for (int tid = 0; tid < nthreads; ++tid) c.run(&a, tid, nthreads);

  for (int n = 0; n < N; ++n) {
    const float* row = y.data() + n * y_stride;
    const float* ref = p.y_ref.data() + static_cast<size_t>(n) * M;
    if (memcmp(row, ref, static_cast<size_t>(M) * sizeof(float)) != 0) {
      for (int m = 0; m < M; ++m)
        if (memcmp(row + m, ref + m, sizeof(float)) != 0) {
          uint32_t bits;
          memcpy(&bits, row + m, 4);
          fail(c, p, nthreads, bits == kYPoison ? "output never written" : "mismatch", n, m, row[m], ref[m]);
        }
    }
    const size_t pad_end = n + 1 < N ? static_cast<size_t>(y_stride) : static_cast<size_t>(y_stride) + kYGuard;
    for (size_t i = M; i < pad_end; ++i) {
      uint32_t bits;
      memcpy(&bits, row + i, 4);
      if (bits != kYPoison) {
        fprintf(stderr, "FAIL: neondot %s on %s, threads=%d: wrote %.9g at token n=%d column %zu, past M=%d\n",
                c.name.c_str(), p.name.c_str(), nthreads, row[i], n, i, M);
        exit(1);
      }
    }
  }
}

// Each config runs on one decode and one prefill problem set (rotating), each set with the tail
// shapes of verification_problems, at every thread split. Returns after printing PASS.
inline void run_all(const std::vector<Config>& cfgs, const char* what) {
  // Decode and prefill shapes; each config runs on one of each (rotating), and every shape's
  // set also has the tail shapes of verification_problems (37x333, M x (K+7), 19x6917).
  const int decode[][2] = {{640, 2560}, {333, 999}, {64, 513}, {700, 2560}};
  const int prefill[][3] = {{160, 512, 13}, {96, 2600, 17}, {70, 1500, 5}, {81, 2100, 9}};
  std::vector<ProblemSet> dsets, psets;
  for (const auto& s : decode) dsets.push_back(problem_set(s[0], s[1], 1, 42 + dsets.size()));
  for (const auto& s : prefill) psets.push_back(problem_set(s[0], s[1], s[2], 142 + psets.size()));

  std::string splits;
  for (int t : kThreadSplits) splits += (splits.empty() ? "" : ",") + std::to_string(t);
  long cases = 0;
  for (size_t i = 0; i < cfgs.size(); ++i) {
    const Config& c = cfgs[i];
    for (const ProblemSet* set : {&dsets[i % dsets.size()], &psets[i % psets.size()]}) {
      for (const Problem& p : set->problems) {
        for (int t : kThreadSplits) check(c, p, t);
        ++cases;
        printf("ok  neondot %-40s %-28s threads %s\n", c.name.c_str(), p.name.c_str(), splits.c_str());
      }
    }
  }
  printf("PASS: %zu %s, %ld config x problem cases, each at thread splits %s, bit-identical\n",
         cfgs.size(), what, cases, splits.c_str());
}

}  // namespace trine_neondot_check
