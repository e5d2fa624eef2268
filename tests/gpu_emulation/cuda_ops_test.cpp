// The GPU engine's ops (templates/cuda/model_ops.cuh), run on the host through
// tests/gpu_emulation/cuda_emulation.h, against the CPU engine's functions: quantization, RoPE, relu²·up, the
// residual and the embedding bit for bit; the long sums (RMSNorm, attention, lm_head) within
// float rounding of a different summation order. NVRTC compiles the same source for the GPU
// (nvrtc_test.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>
#include <vector>

#include "runtime/attention.h"
#include "runtime/quantize.h"
#include "runtime/vec_math.h"
// Last: the emulation defines CUDA's keywords and thread indices as macros.
#include "tests/gpu_emulation/cuda_emulation.h"
#include "templates/cuda/model_ops.cuh"

namespace trine {
namespace {

constexpr unsigned kThreads = trine_cuda::kOpThreads;

std::vector<float> random_floats(std::size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// |a - b| within tol of max(|a|, |b|, 1) for every element.
void expect_close(const std::vector<float>& a, const std::vector<float>& b, float tol) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    ASSERT_LE(std::fabs(a[i] - b[i]), tol * std::max({std::fabs(a[i]), std::fabs(b[i]), 1.0f})) << "at " << i;
}

TEST(CudaOps, QuantizeIsTheContractBitForBit) {
  for (int D : {2560, 300, 6912}) {
    const int N = 3;
    std::vector<float> x = random_floats(static_cast<std::size_t>(N) * D, 2.0f, 7u + D);
    std::fill_n(x.begin() + D, D, 0.0f);  // an all-zero token: amax clamps to 1e-5
    QuantizedActs ref;
    quantize_acts(x.data(), N, D, D, ref);
    const long long stride = act_stride(D);
    std::vector<signed char> q(static_cast<std::size_t>(N) * stride, 99);  // padding must be overwritten
    std::vector<int> qsum(N);
    std::vector<float> s(N), scale_a(N), scale_b(N);
    trine_quant_scales sc{{0.37f, 1.9f, 0}, {scale_a.data(), scale_b.data(), nullptr}, 2};
    trine_emu::launch(N, 1, kThreads, [&] { trine_op_quantize(x.data(), D, q.data(), stride, qsum.data(), s.data(), sc); });
    std::vector<float> ref_a, ref_b;
    token_scales(ref, 0.37f, ref_a);
    token_scales(ref, 1.9f, ref_b);
    for (int n = 0; n < N; ++n) {
      for (long long k = 0; k < stride; ++k)
        ASSERT_EQ(q[n * stride + k], ref.q[n * ref.stride + k]) << "D " << D << " token " << n << " k " << k;
      EXPECT_EQ(qsum[n], ref.qsum[n]);
      EXPECT_EQ(s[n], ref.s[n]);
      EXPECT_EQ(scale_a[n], ref_a[n]);
      EXPECT_EQ(scale_b[n], ref_b[n]);
    }
  }
}

TEST(CudaOps, RopeMatchesTheCpuBitForBit) {
  const int heads = 3, hd = 128, N = 4, pos0 = 37;
  const std::vector<float> inv = rope_inv_freq(500000.0f, hd);
  const std::vector<float> cs = rope_table(inv, pos0 + N);
  std::vector<float> x = random_floats(static_cast<std::size_t>(N) * heads * hd, 1.0f, 3);
  std::vector<float> ref = x;
  for (int t = 0; t < N; ++t) apply_rope(&ref[static_cast<std::size_t>(t) * heads * hd], heads, hd, pos0 + t, inv);
  trine_emu::launch(N, 1, kThreads, [&] { trine_op_rope(x.data(), heads * hd, heads, hd, pos0, cs.data()); });
  EXPECT_EQ(x, ref);
}

TEST(CudaOps, RmsNormMatchesTheCpu) {
  const int D = 2560, N = 2;
  const std::vector<float> x = random_floats(static_cast<std::size_t>(N) * D, 3.0f, 11), w = random_floats(D, 1.0f, 12);
  std::vector<float> y(x.size()), ref(x.size());
  for (int t = 0; t < N; ++t) rmsnorm_f32(&x[static_cast<std::size_t>(t) * D], w.data(), 1e-5f, D, &ref[static_cast<std::size_t>(t) * D]);
  trine_emu::launch(N, 1, kThreads, [&] { trine_op_rmsnorm(x.data(), w.data(), 1e-5f, D, y.data()); });
  expect_close(y, ref, 1e-6f);  // the double sum of squares in another order: at most an ulp
  std::vector<float> in_place = x;
  trine_emu::launch(N, 1, kThreads, [&] { trine_op_rmsnorm(in_place.data(), w.data(), 1e-5f, D, in_place.data()); });
  EXPECT_EQ(in_place, y);
}

TEST(CudaOps, AttentionMatchesTheCpu) {
  const int heads = 4, kv_heads = 2, hd = 64, N = 3, pos0 = 5, ctx = 16, kvdim = kv_heads * hd;
  const std::vector<float> q = random_floats(static_cast<std::size_t>(N) * heads * hd, 1.0f, 21);
  const std::vector<float> K = random_floats(static_cast<std::size_t>(ctx) * kvdim, 1.0f, 22);
  const std::vector<float> V = random_floats(static_cast<std::size_t>(ctx) * kvdim, 1.0f, 23);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  std::vector<float> out(q.size()), ref(q.size()), scratch(static_cast<std::size_t>(N) * heads * ctx), p(ctx);
  for (int t = 0; t < N; ++t)
    for (int h = 0; h < heads; ++h)
      attend(&q[(static_cast<std::size_t>(t) * heads + h) * hd], K.data() + h / 2 * hd, V.data() + h / 2 * hd, kvdim,
             pos0 + t + 1, hd, scale, &ref[(static_cast<std::size_t>(t) * heads + h) * hd], p.data());
  trine_emu::launch(heads, N, kThreads, [&] {
    trine_op_attention(q.data(), K.data(), V.data(), pos0, heads, heads / kv_heads, hd, kvdim, scale, scratch.data(), ctx,
                       out.data());
  });
  expect_close(out, ref, 1e-5f);
}

TEST(CudaOps, ElementwiseOpsAndEmbeddingAreExact) {
  const long long count = 1000;
  const std::vector<float> g = random_floats(count, 1.0f, 31), u = random_floats(count, 1.0f, 32);
  std::vector<float> out(count), x = g;
  trine_emu::launch(2, 1, kThreads, [&] { trine_op_relu2_mul(g.data(), u.data(), out.data(), count); });
  trine_emu::launch(3, 1, kThreads, [&] { trine_op_add(x.data(), u.data(), count); });
  for (long long i = 0; i < count; ++i) {
    const float r = std::max(g[i], 0.0f);
    ASSERT_EQ(out[i], r * r * u[i]);
    ASSERT_EQ(x[i], g[i] + u[i]);
  }
  const int V = 5, H = 24;
  std::vector<float> table = random_floats(static_cast<std::size_t>(V) * H, 1.0f, 33);
  std::vector<uint16_t> bf(table.size());
  for (float& t : table) t = bf16_to_f32(static_cast<uint16_t>(std::bit_cast<uint32_t>(t) >> 16));  // exact in bf16
  to_bf16_exact(table.data(), table.size(), bf.data());
  const std::vector<int> ids = {4, 0, 4};
  for (int bf16 : {0, 1}) {
    std::vector<float> e(ids.size() * H);
    const void* t = bf16 ? static_cast<const void*>(bf.data()) : table.data();
    trine_emu::launch(3, 1, kThreads, [&] { trine_op_embed(t, bf16, ids.data(), H, e.data()); });
    for (std::size_t r = 0; r < ids.size(); ++r)
      for (int i = 0; i < H; ++i) ASSERT_EQ(e[r * H + i], table[static_cast<std::size_t>(ids[r]) * H + i]) << bf16;
  }
}

TEST(CudaOps, LmHeadMatchesTheCpuForEveryTable) {
  for (int H : {2560, 100}) {  // 16-byte loads, and the scalar path
    const int V = 37;
    std::vector<float> table = random_floats(static_cast<std::size_t>(V) * H, 0.05f, 41);
    for (float& t : table) t = bf16_to_f32(static_cast<uint16_t>(std::bit_cast<uint32_t>(t) >> 16));
    std::vector<uint16_t> bf(table.size());
    to_bf16_exact(table.data(), table.size(), bf.data());
    std::vector<int8_t> i8(table.size());
    std::vector<float> row_scale(V);
    for (int v = 0; v < V; ++v) row_scale[v] = quantize_row_i8(&table[static_cast<std::size_t>(v) * H], H, &i8[static_cast<std::size_t>(v) * H]);
    const std::vector<float> h = random_floats(H, 1.0f, 42);
    const unsigned grid = (V + 7) / 8;
    for (int kind : {0, 1, 2}) {
      std::vector<float> logits(V), ref(V);
      const void* t = kind == 0 ? static_cast<const void*>(table.data()) : kind == 1 ? static_cast<const void*>(bf.data()) : i8.data();
      trine_emu::launch(grid, 1, kThreads, [&] { trine_op_lm_head(t, kind, row_scale.data(), h.data(), H, V, logits.data()); });
      for (int v = 0; v < V; ++v) {
        const std::size_t at = static_cast<std::size_t>(v) * H;
        ref[v] = kind == 0 ? dot_f32(h.data(), &table[at], H)
                 : kind == 1 ? dot_bf16_f32(&bf[at], h.data(), H)
                             : row_scale[v] * dot_i8_f32(&i8[at], h.data(), H);
      }
      expect_close(logits, ref, 1e-4f);
    }
  }
}

}  // namespace
}  // namespace trine
