// The float dot products of vec_math.cpp for x86: AVX-512 or AVX2 with FMA, each compiled for
// its own target so the file builds for any x86 baseline.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "runtime/host.h"
#include "runtime/isa.h"
#include "runtime/vec_math.h"
#include "runtime/vec_math_simd.h"

namespace trine {

namespace {

// The bf16 and int8 dots serve the lm_head, which streams its rows from DRAM: asking 2 KiB ahead
// (into the next row at a row's end) keeps more lines in flight than the hardware prefetcher
// does alone; side by side it took the 2B4T head from 25 to 22 ms per token (4 KiB: 22.9).
inline void prefetch_ahead(const void* p) { _mm_prefetch(static_cast<const char*>(p) + 2048, _MM_HINT_T0); }

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

// The bf16 and int8 dots are written once for R rows at a time (R = 1: the one-row dot; R = 4:
// dot4_*), so each row's sum takes the same operations in the same order either way.
__attribute__((target("avx512f"))) inline __m512 widen_bf16_avx512(const uint16_t* p) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))), 16));
}

template <int R>
__attribute__((target("avx512f"))) void dot_bf16_avx512_rows(const uint16_t* const* w, const float* x, int n, float* out) {
  __m512 s0[R], s1[R];
  for (int r = 0; r < R; ++r) s0[r] = s1[r] = _mm512_setzero_ps();
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 x0 = _mm512_loadu_ps(x + i), x1 = _mm512_loadu_ps(x + i + 16);
    for (int r = 0; r < R; ++r) {
      prefetch_ahead(w[r] + i);
      s0[r] = _mm512_fmadd_ps(widen_bf16_avx512(w[r] + i), x0, s0[r]);
      s1[r] = _mm512_fmadd_ps(widen_bf16_avx512(w[r] + i + 16), x1, s1[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    float s = _mm512_reduce_add_ps(_mm512_add_ps(s0[r], s1[r]));
    for (int j = i; j < n; ++j) s += bf16_to_f32(w[r][j]) * x[j];
    out[r] = s;
  }
}

template <int R>
__attribute__((target("avx2,fma"))) void dot_bf16_avx2_rows(const uint16_t* const* w, const float* x, int n, float* out) {
  __m256 s0[R];
  for (int r = 0; r < R; ++r) s0[r] = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 xv = _mm256_loadu_ps(x + i);
    for (int r = 0; r < R; ++r) {
      if (i % 32 == 0) prefetch_ahead(w[r] + i);
      const __m256i v = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[r] + i))), 16);
      s0[r] = _mm256_fmadd_ps(_mm256_castsi256_ps(v), xv, s0[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    alignas(32) float t[8];
    _mm256_store_ps(t, s0[r]);
    float s = t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
    for (int j = i; j < n; ++j) s += bf16_to_f32(w[r][j]) * x[j];
    out[r] = s;
  }
}

template <int R>
__attribute__((target("avx512f"))) void dot_i8_avx512_rows(const int8_t* const* w, const float* x, int n, float* out) {
  __m512 s0[R], s1[R];
  for (int r = 0; r < R; ++r) s0[r] = s1[r] = _mm512_setzero_ps();
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 x0 = _mm512_loadu_ps(x + i), x1 = _mm512_loadu_ps(x + i + 16);
    for (int r = 0; r < R; ++r) {
      if (i % 64 == 0) prefetch_ahead(w[r] + i);
      const __m512 a = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[r] + i))));
      const __m512 b = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[r] + i + 16))));
      s0[r] = _mm512_fmadd_ps(a, x0, s0[r]);
      s1[r] = _mm512_fmadd_ps(b, x1, s1[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    float s = _mm512_reduce_add_ps(_mm512_add_ps(s0[r], s1[r]));
    for (int j = i; j < n; ++j) s += static_cast<float>(w[r][j]) * x[j];
    out[r] = s;
  }
}

template <int R>
__attribute__((target("avx2,fma"))) void dot_i8_avx2_rows(const int8_t* const* w, const float* x, int n, float* out) {
  __m256 s0[R];
  for (int r = 0; r < R; ++r) s0[r] = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 xv = _mm256_loadu_ps(x + i);
    for (int r = 0; r < R; ++r) {
      if (i % 64 == 0) prefetch_ahead(w[r] + i);
      int64_t v;
      std::memcpy(&v, w[r] + i, 8);
      s0[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_cvtsi64_si128(v))), xv, s0[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    alignas(32) float t[8];
    _mm256_store_ps(t, s0[r]);
    float s = t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
    for (int j = i; j < n; ++j) s += static_cast<float>(w[r][j]) * x[j];
    out[r] = s;
  }
}

// One row through the R-row kernels.
template <class T, void (*Rows)(const T* const*, const float*, int, float*)>
float one_row(const T* w, const float* x, int n) {
  float out;
  Rows(&w, x, n, &out);
  return out;
}

// AVX-512 unless TRINE_ISA caps trine below it.
int vector_level() {
  const HostInfo& h = host_info();
  const auto isas = usable_isas(h);
  const bool capped_avx2 = !isas.empty() && isas.front() == Isa::avx2;
  if (h.has("avx512f") && !capped_avx2) return 2;
  return h.has("avx2") && h.has("fma") ? 1 : 0;
}

constexpr DotKernels kAvx512{dot_avx512, one_row<uint16_t, dot_bf16_avx512_rows<1>>, one_row<int8_t, dot_i8_avx512_rows<1>>,
                             dot_bf16_avx512_rows<4>, dot_i8_avx512_rows<4>};
constexpr DotKernels kAvx2{dot_avx2, one_row<uint16_t, dot_bf16_avx2_rows<1>>, one_row<int8_t, dot_i8_avx2_rows<1>>,
                           dot_bf16_avx2_rows<4>, dot_i8_avx2_rows<4>};

}  // namespace

DotKernels simd_dot_kernels() {
  switch (vector_level()) {
    case 2: return kAvx512;
    case 1: return kAvx2;
    default: return DotKernels{};
  }
}

std::vector<DotKernels> all_simd_dot_kernels() {
  const HostInfo& h = host_info();
  std::vector<DotKernels> out;
  if (h.has("avx512f")) out.push_back(kAvx512);
  if (h.has("avx2") && h.has("fma")) out.push_back(kAvx2);
  return out;
}

}  // namespace trine

#endif
