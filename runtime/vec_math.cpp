#include "runtime/vec_math.h"

#include <immintrin.h>

#include <cmath>

#include "runtime/host.h"
#include "runtime/isa.h"

namespace trine {

namespace {

__attribute__((target("avx512f"))) float dot_avx512(const float* a, const float* b, int n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
  }
  float s = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, int n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  alignas(32) float t[8];
  _mm256_store_ps(t, _mm256_add_ps(s0, s1));
  float s = t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

float dot_scalar(const float* a, const float* b, int n) {
  float s = 0;
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

using DotFn = float (*)(const float*, const float*, int);

DotFn pick_dot() {
  const HostInfo& h = host_info();
  const auto isas = usable_isas(h);
  const bool capped_avx2 = !isas.empty() && isas.front() == Isa::avx2;
  if (h.has("avx512f") && !capped_avx2) return dot_avx512;
  if (h.has("avx2") && h.has("fma")) return dot_avx2;
  return dot_scalar;
}

}  // namespace

float dot_f32(const float* a, const float* b, int n) {
  static const DotFn fn = pick_dot();
  return fn(a, b, n);
}

void rmsnorm_f32(const float* x, const float* w, float eps, int n, float* y) {
  double ss = 0;
  for (int i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float r = 1.0f / std::sqrt(static_cast<float>(ss / n) + eps);
  for (int i = 0; i < n; ++i) y[i] = w[i] * (x[i] * r);
}

}  // namespace trine
