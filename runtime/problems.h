// Ternary GEMM problems with their reference answers: random data on a shape, and the edge data
// the kernel contract must survive (all +-1 weights, +-127 activations, M and K tails). Used by
// the tuner to verify every candidate before timing it, and by the contract tests.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/quantize.h"
#include "runtime/ternary.h"

namespace trine {

enum class ProblemKind {
  random,        // uniform ternary weights, Gaussian activations with outliers
  saturate_pos,  // all weights +1, all activations +127: the largest accumulator
  saturate_neg,  // all weights -1, all activations +127: the most negative accumulator
  alternating,   // weights and activations alternating sign along K: cancellation
};

struct Problem {
  std::string name;
  TernaryMatrix W;
  std::vector<float> x;   // [N][K]
  QuantizedActs acts;
  std::vector<float> y_ref;  // [N][M], the scalar reference
};

Problem make_problem(ProblemKind kind, int M, int K, int N, uint64_t seed);
// The shape itself (random), the edge kinds on it, and odd shapes that hit every tail.
std::vector<Problem> verification_problems(int M, int K, int N, uint64_t seed);

}  // namespace trine
