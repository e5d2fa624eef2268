#include "runtime/vec_math.h"

#include <cmath>
#include <cstring>

#include "runtime/vec_math_simd.h"

namespace trine {

namespace {

float dot_bf16_scalar(const uint16_t* w, const float* x, int n) {
  float s = 0;
  for (int i = 0; i < n; ++i) s += bf16_to_f32(w[i]) * x[i];
  return s;
}

float dot_i8_scalar(const int8_t* w, const float* x, int n) {
  float s = 0;
  for (int i = 0; i < n; ++i) s += static_cast<float>(w[i]) * x[i];
  return s;
}

float dot_scalar(const float* a, const float* b, int n) {
  float s = 0;
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

// The host's vector kernels, or the scalar loops where it has none.
const DotKernels& dot_kernels() {
  static const DotKernels k = [] {
    DotKernels d = simd_dot_kernels();
    if (!d.f32) d = DotKernels{dot_scalar, dot_bf16_scalar, dot_i8_scalar};
    return d;
  }();
  return k;
}

float dot_f32(const float* a, const float* b, int n) { return dot_kernels().f32(a, b, n); }

void dot4_bf16_f32(const uint16_t* const* w, const float* x, int n, float* out) {
  const DotKernels& k = dot_kernels();
  if (k.bf16x4) return k.bf16x4(w, x, n, out);
  for (int r = 0; r < 4; ++r) out[r] = k.bf16(w[r], x, n);
}

void dot4_i8_f32(const int8_t* const* w, const float* x, int n, float* out) {
  const DotKernels& k = dot_kernels();
  if (k.i8x4) return k.i8x4(w, x, n, out);
  for (int r = 0; r < 4; ++r) out[r] = k.i8(w[r], x, n);
}

float dot_bf16_f32(const uint16_t* w, const float* x, int n) { return dot_kernels().bf16(w, x, n); }

float dot_i8_f32(const int8_t* w, const float* x, int n) { return dot_kernels().i8(w, x, n); }

float bf16_to_f32(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

bool exact_in_bf16(const float* v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &v[i], 4);
    if (bits & 0xffffu) return false;
  }
  return true;
}

void to_bf16_exact(const float* v, std::size_t n, uint16_t* out) {
  for (std::size_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &v[i], 4);
    out[i] = static_cast<uint16_t>(bits >> 16);
  }
}

void rmsnorm_f32(const float* x, const float* w, float eps, int n, float* y) {
  double ss = 0;
  for (int i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float r = 1.0f / std::sqrt(static_cast<float>(ss / n) + eps);
  for (int i = 0; i < n; ++i) y[i] = w[i] * (x[i] * r);
}

}  // namespace trine
