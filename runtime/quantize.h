// Per-token int8 activation quantization, exactly as the kernel contract defines it.
#pragma once
#include <cstdint>
#include <vector>

#include "runtime/aligned_buffer.h"
#include "runtime/kernel_abi.h"

namespace trine {

// Rows of q are padded with zeros to a multiple of TRINE_ACT_ALIGN_K so kernels can read whole
// vectors past K; padding never contributes because it is zero.
inline int64_t act_stride(int K) {
  return (static_cast<int64_t>(K) + TRINE_ACT_ALIGN_K - 1) / TRINE_ACT_ALIGN_K * TRINE_ACT_ALIGN_K;
}

struct QuantizedActs {
  int N = 0, K = 0;
  int64_t stride = 0;
  AlignedBuffer<int8_t> q;     // [N][stride], then TRINE_ACT_SLACK readable bytes
  std::vector<int32_t> qsum;   // sum_k q[n][k]
  std::vector<float> s;        // 127 / max(amax, 1e-5)
};

// s = 127.0f / max(amax, 1e-5f); q = clamp(rint(x * s), -128, 127) with ties to even.
float act_scale(float amax);
void quantize_acts(const float* x, int N, int K, int64_t x_stride, QuantizedActs& out);

// The lossy int8 lm_head (--lm-head int8): one row as int8 with scale amax / 127 (1 for a zero
// row), round half to even. Returns the scale.
float quantize_row_i8(const float* row, int n, int8_t* out);

// scale[n] = wscale / s[n]: the per-token epilogue factor every kernel multiplies by.
void token_scales(const QuantizedActs& a, float wscale, std::vector<float>& scale);

}  // namespace trine
