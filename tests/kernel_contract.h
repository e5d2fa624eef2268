// Runs a directly instantiated kernel (any family) on verification problems and compares with the scalar
// reference bit for bit. Threads are simulated by calling every tid in turn, which covers the
// row partitioning without depending on scheduling.
#pragma once
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/packed_weights.h"
#include "runtime/problems.h"
#include "templates/cpu/mad.h"

namespace trine::test {

template <class Kern>
void expect_matches_reference(const Problem& p, int nthreads) {
  // Each family overloads trine::pack_weights for its layout type, found by argument-dependent
  // lookup here, so one harness checks every family.
  PackedWeights pw = pack_weights(p.W, Kern::kLayout);
  GemmWorkspace ws;
  ws.prepare(p.acts, p.W.wscale, nthreads);
  std::vector<float> y(static_cast<size_t>(p.acts.N) * p.W.M, -12345.0f);
  trine_gemm_args args = make_gemm_args(pw.bytes.data(), p.W.M, p.W.K, p.acts, ws, y.data(), p.W.M);
  for (int tid = 0; tid < nthreads; ++tid) Kern::run(&args, tid, nthreads);
  ASSERT_EQ(0, std::memcmp(y.data(), p.y_ref.data(), y.size() * sizeof(float)))
      << p.name << " threads=" << nthreads << " y[0]=" << y[0] << " ref[0]=" << p.y_ref[0];
}

template <class Kern>
void expect_contract(int M, int K, int N) {
  for (const Problem& p : verification_problems(M, K, N, 42)) {
    expect_matches_reference<Kern>(p, 1);
    expect_matches_reference<Kern>(p, 3);
  }
}

}  // namespace trine::test
