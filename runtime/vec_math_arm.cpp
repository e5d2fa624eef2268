// The float dot products of vec_math.cpp for aarch64, where NEON is always present: 16 elements
// per step in four independent fused multiply-add chains, the tail in scalar.
#if defined(__aarch64__)
#include <arm_neon.h>

#include "runtime/vec_math.h"
#include "runtime/vec_math_simd.h"

namespace trine {

namespace {

struct Chains {
  float32x4_t s[4] = {vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0)};
  void fma(const float32x4_t (&w)[4], const float* x) {
    for (int j = 0; j < 4; ++j) s[j] = vfmaq_f32(s[j], w[j], vld1q_f32(x + 4 * j));
  }
  float sum() const { return vaddvq_f32(vaddq_f32(vaddq_f32(s[0], s[1]), vaddq_f32(s[2], s[3]))); }
};

float dot_f32_neon(const float* a, const float* b, int n) {
  Chains c;
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    const float32x4_t w[4] = {vld1q_f32(a + i), vld1q_f32(a + i + 4), vld1q_f32(a + i + 8), vld1q_f32(a + i + 12)};
    c.fma(w, b + i);
  }
  float r = c.sum();
  for (; i < n; ++i) r += a[i] * b[i];
  return r;
}

// bf16 is the top half of an f32: widening by a 16-bit left shift is exact.
float dot_bf16_neon(const uint16_t* w, const float* x, int n) {
  Chains c;
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    const uint16x8_t lo = vld1q_u16(w + i), hi = vld1q_u16(w + i + 8);
    const float32x4_t v[4] = {vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(lo), 16)),
                              vreinterpretq_f32_u32(vshll_high_n_u16(lo, 16)),
                              vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(hi), 16)),
                              vreinterpretq_f32_u32(vshll_high_n_u16(hi, 16))};
    c.fma(v, x + i);
  }
  float r = c.sum();
  for (; i < n; ++i) r += bf16_to_f32(w[i]) * x[i];
  return r;
}

float dot_i8_neon(const int8_t* w, const float* x, int n) {
  Chains c;
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    const int8x16_t b = vld1q_s8(w + i);
    const int16x8_t lo = vmovl_s8(vget_low_s8(b)), hi = vmovl_high_s8(b);
    const float32x4_t v[4] = {vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo))), vcvtq_f32_s32(vmovl_high_s16(lo)),
                              vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi))), vcvtq_f32_s32(vmovl_high_s16(hi))};
    c.fma(v, x + i);
  }
  float r = c.sum();
  for (; i < n; ++i) r += static_cast<float>(w[i]) * x[i];
  return r;
}

}  // namespace

DotKernels simd_dot_kernels() { return DotKernels{dot_f32_neon, dot_bf16_neon, dot_i8_neon}; }

std::vector<DotKernels> all_simd_dot_kernels() { return {simd_dot_kernels()}; }

}  // namespace trine

#endif
