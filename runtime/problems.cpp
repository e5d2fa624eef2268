#include "runtime/problems.h"

#include <random>

#include <fmt/format.h>

namespace trine {

namespace {

void fill(ProblemKind kind, Problem& p, int N, std::mt19937_64& rng) {
  const int M = p.W.M, K = p.W.K;
  std::uniform_int_distribution<int> tern(-1, 1);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (int m = 0; m < M; ++m) {
    for (int k = 0; k < K; ++k) {
      int8_t w = 0;
      switch (kind) {
        case ProblemKind::random: w = static_cast<int8_t>(tern(rng)); break;
        case ProblemKind::saturate_pos: w = 1; break;
        case ProblemKind::saturate_neg: w = -1; break;
        case ProblemKind::alternating: w = ((m + k) % 2) ? 1 : -1; break;
      }
      p.W.w[static_cast<size_t>(m) * K + k] = w;
    }
  }
  p.W.wscale = kind == ProblemKind::random ? 0.5f + unit(rng) : 1.0f;
  for (int n = 0; n < N; ++n) {
    for (int k = 0; k < K; ++k) {
      float v = 1.0f;  // equal magnitudes quantize to exactly +-127
      if (kind == ProblemKind::random) {
        v = gauss(rng);
        if (unit(rng) < 0.01f) v *= 20.0f;  // heavy tails, like relu^2 * up
      } else if (kind == ProblemKind::alternating) {
        v = (k % 2) ? -1.0f : 1.0f;
      }
      p.x[static_cast<size_t>(n) * K + k] = v;
    }
  }
}

const char* kind_name(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::random: return "random";
    case ProblemKind::saturate_pos: return "all+1 x +127";
    case ProblemKind::saturate_neg: return "all-1 x +127";
    case ProblemKind::alternating: return "alternating";
  }
  return "?";
}

}  // namespace

Problem make_problem(ProblemKind kind, int M, int K, int N, uint64_t seed) {
  Problem p;
  p.name = fmt::format("{} {}x{}x{}", kind_name(kind), M, K, N);
  p.W.M = M;
  p.W.K = K;
  p.W.w.assign(static_cast<size_t>(M) * K, 0);
  p.x.assign(static_cast<size_t>(N) * K, 0.0f);
  std::mt19937_64 rng(seed);
  fill(kind, p, N, rng);
  quantize_acts(p.x.data(), N, K, K, p.acts);
  p.y_ref.assign(static_cast<size_t>(N) * M, 0.0f);
  reference_gemm(p.W, p.acts, p.y_ref.data(), M);
  return p;
}

std::vector<Problem> verification_problems(int M, int K, int N, uint64_t seed) {
  std::vector<Problem> out;
  out.push_back(make_problem(ProblemKind::random, M, K, N, seed));
  // Edge data at full K (the largest sums) but few rows and tokens, to keep verification cheap.
  const int m_edge = M < 96 ? M : 96;
  const int n_edge = N < 3 ? N : 3;
  out.push_back(make_problem(ProblemKind::saturate_pos, m_edge, K, n_edge, seed + 1));
  out.push_back(make_problem(ProblemKind::saturate_neg, m_edge, K, n_edge, seed + 2));
  out.push_back(make_problem(ProblemKind::alternating, m_edge, K, n_edge, seed + 3));
  // Tails: M and K that are multiples of no tile, N that is a multiple of no token tile.
  const int n_tail = N == 1 ? 1 : 7;
  out.push_back(make_problem(ProblemKind::random, 37, 333, n_tail, seed + 4));
  out.push_back(make_problem(ProblemKind::random, 131, K + 7, n_tail, seed + 5));
  out.push_back(make_problem(ProblemKind::saturate_pos, 19, 6912 + 5, 1, seed + 6));
  return out;
}

}  // namespace trine
