// A ternary weight matrix as the model defines it, and the scalar reference GEMM every kernel
// family must reproduce bit for bit.
#pragma once
#include <cstdint>
#include <vector>

#include "runtime/quantize.h"

namespace trine {

struct TernaryMatrix {
  int M = 0, K = 0;         // output features, input features
  std::vector<int8_t> w;    // [M][K] in {-1, 0, +1}
  float wscale = 1.0f;      // mean |W_master|
  int8_t at(int m, int k) const { return w[static_cast<size_t>(m) * K + k]; }
};

// y[n][m] = (float)(sum_k W[m][k] q[n][k]) * (wscale / s[n]).
void reference_gemm(const TernaryMatrix& W, const QuantizedActs& a, float* y, int64_t y_stride);

}  // namespace trine
