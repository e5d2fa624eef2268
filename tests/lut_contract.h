// What the per-ISA LUT contract tests (lut_contract_avx2.cpp, lut_contract_avx512.cpp) share: the
// int16 worst-case problem and the checks of the pairs encoding (g = 2), as templates over the
// ISA traits, so each file instantiates them under its own target flags.
#pragma once
#include <algorithm>
#include <string>
#include <utility>

#include "templates/cpu/lut.h"
#include "tests/kernel_contract.h"

namespace trine::test {
// Internal linkage: the files including this are built for different ISAs, and one inline
// definition chosen by the linker for both could run AVX-512 code on an AVX2-only host.
namespace {

// All weights w and every activation qv over K (-128 is beyond what quantize_acts produces, but
// within the kernel contract), the slack past the last row filled with garbage: each group's
// entry is as large as it gets (+-381 or +-384 for g = 3, +-254 or +-256 for g = 2), kg of them
// per int16 lane before the spill.
inline Problem saturated(int M, int K, int N, int8_t w, int8_t qv) {
  Problem p = make_problem(ProblemKind::saturate_pos, M, K, N, 1);
  p.name = "saturated w=" + std::to_string(w) + " q=" + std::to_string(qv);
  std::fill(p.W.w.begin(), p.W.w.end(), w);
  const size_t rows_bytes = static_cast<size_t>(N) * p.acts.stride;
  std::fill(p.acts.q.data() + rows_bytes, p.acts.q.data() + p.acts.q.size(), static_cast<int8_t>(0x5A));
  for (int n = 0; n < N; ++n) {
    std::fill(p.acts.q.data() + n * p.acts.stride, p.acts.q.data() + n * p.acts.stride + K, qv);
    p.acts.qsum[n] = qv * K;
  }
  reference_gemm(p.W, p.acts, p.y_ref.data(), M);
  return p;
}

// Pairs of weights (signed tables, no sign bits) on ISA I: decode, tails, prefill, every knob,
// and the int16 worst case (124 groups of |T| = 256 before the spill).
template <class I>
void expect_pairs_contract() {
  using lut::Kernel;
  constexpr int R1 = I::VB, R2 = 2 * I::VB;
  expect_contract<Kernel<I, 2, R1, 2, 124, 0, 0, 1, 512, 2>>(640, 2560, 1);
  expect_contract<Kernel<I, 2, R2, 1, 124, 0, 0, 1, 0, 0>>(2560, 6912, 1);
  expect_contract<Kernel<I, 2, R1, 3, 48, 96, 1, 1, 256, 1>>(700, 2000, 1);
  for (auto [M, K] : {std::pair{77, 1000}, {333, 999}, {64, 513}, {5, 7}, {1, 1}, {70, 2}, {70, 3}}) {
    expect_contract<Kernel<I, 2, R1, 1, 16, 32, 0, 1, 0, 0>>(M, K, 1);
    expect_contract<Kernel<I, 2, R2, 1, 8, 0, 0, 1, 0, 2>>(M, K, 1);
  }
  expect_contract<Kernel<I, 2, R1, 1, 64, 0, 0, 2, 0, 0>>(160, 512, 13);
  expect_contract<Kernel<I, 2, R1, 2, 32, 256, 2, 2, 0, 1>>(200, 2600, 17);
  for (int8_t w : {1, -1})
    for (int8_t qv : {127, -127, -128}) {
      const Problem p = saturated(64, 6912, 2, w, qv);
      expect_matches_reference<Kernel<I, 2, R1, 1, 124, 0, 0, 1, 0, 0>>(p, 1);
      expect_matches_reference<Kernel<I, 2, R2, 1, 124, 0, 0, 2, 0, 1>>(p, 3);
    }
}

}  // namespace
}  // namespace trine::test
