#include "runtime/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/quantize_simd.h"

namespace trine {

float act_scale(float amax) { return 127.0f / std::max(amax, 1e-5f); }

namespace {

float amax_scalar(const float* x, int n) {
  float amax = 0.0f;
  for (int k = 0; k < n; ++k) amax = std::max(amax, std::fabs(x[k]));
  return amax;
}

int32_t round_scalar(const float* x, int n, float s, int8_t* q) {
  int32_t sum = 0;
  for (int k = 0; k < n; ++k) {
    q[k] = quantize_act(x[k], s);
    sum += q[k];
  }
  return sum;
}

const ActQuantKernels& act_quant() {
  static const ActQuantKernels k = [] {
    const ActQuantKernels v = simd_act_quant();
    return v.amax && v.round ? v : scalar_act_quant();
  }();
  return k;
}

}  // namespace

ActQuantKernels scalar_act_quant() { return {amax_scalar, round_scalar}; }

#if !defined(__x86_64__) && !defined(__i386__)
ActQuantKernels simd_act_quant() { return {}; }  // no vector loops for this architecture yet
#endif

void quantize_acts(const float* x, int N, int K, int64_t x_stride, QuantizedActs& out) {
  const int64_t stride = act_stride(K);
  const std::size_t rows_bytes = static_cast<size_t>(N) * stride;
  if (out.N != N || out.K != K || out.q.size() != rows_bytes + TRINE_ACT_SLACK) {
    out.q.resize(rows_bytes + TRINE_ACT_SLACK);
    std::memset(out.q.data() + rows_bytes, 0, TRINE_ACT_SLACK);
  }
  out.N = N;
  out.K = K;
  out.stride = stride;
  out.qsum.assign(N, 0);
  out.s.assign(N, 0.0f);
  const ActQuantKernels& kq = act_quant();
  for (int n = 0; n < N; ++n) {
    const float* xr = x + n * x_stride;
    const float s = act_scale(kq.amax(xr, K));
    int8_t* qr = out.q.data() + n * stride;
    out.qsum[n] = kq.round(xr, K, s, qr);
    std::memset(qr + K, 0, static_cast<size_t>(stride - K));
    out.s[n] = s;
  }
}

float quantize_row_i8(const float* row, int n, int8_t* out) {
  const float amax = amax_scalar(row, n);
  const float scale = amax > 0 ? amax / 127.0f : 1.0f;
  for (int i = 0; i < n; ++i) out[i] = static_cast<int8_t>(std::rint(row[i] / scale));
  return scale;
}

void token_scales(const QuantizedActs& a, float wscale, std::vector<float>& scale) {
  scale.resize(a.N);
  for (int n = 0; n < a.N; ++n) scale[n] = wscale / a.s[n];
}

}  // namespace trine
