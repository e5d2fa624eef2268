#include "runtime/ternary.h"

namespace trine {

void reference_gemm(const TernaryMatrix& W, const QuantizedActs& a, float* y, int64_t y_stride) {
  for (int n = 0; n < a.N; ++n) {
    const int8_t* q = a.q.data() + n * a.stride;
    const float f = W.wscale / a.s[n];
    for (int m = 0; m < W.M; ++m) {
      const int8_t* w = W.w.data() + static_cast<size_t>(m) * W.K;
      int32_t acc = 0;
      for (int k = 0; k < W.K; ++k) acc += static_cast<int32_t>(w[k]) * q[k];
      y[n * y_stride + m] = static_cast<float>(acc) * f;
    }
  }
}

}  // namespace trine
