// The CUDA kernels' host-visible parts, checked where no GPU exists: the packed layout, the decode
// both kernels use (plane), the mma fragment gathers against the PTX ISA's m16n8k32 layout, and
// the configs. The kernels themselves run in cuda_contract_test (a GPU host).
#include <algorithm>
#include <cstring>
#include <set>

#include <gtest/gtest.h>

#include "runtime/cuda_config.h"
#include "runtime/error.h"
#include "runtime/problems.h"
#include "templates/cuda/w2a8_common.cuh"
#include "templates/cuda/w2a8_gemm.cuh"

#ifdef TRINE_HAVE_JIT
#include "codegen/cuda_family.h"
#endif

namespace trine {
namespace {

uint32_t word_at(const PackedWeights& p, int m, int j) {
  uint32_t w;
  std::memcpy(&w, p.bytes.data() + static_cast<size_t>(m) * trine_cuda::row_words(p.K) * 4 + 4 * j, 4);
  return w;
}

int32_t q_word(const QuantizedActs& a, int n, int i) {
  int32_t v;
  std::memcpy(&v, a.q.data() + n * a.stride + 4 * i, 4);
  return v;
}

// dp4a as the PTX ISA defines it for signed operands.
int dp4a(uint32_t x, int32_t y, int acc) {
  for (int b = 0; b < 4; ++b) acc += static_cast<int8_t>(x >> (8 * b)) * static_cast<int8_t>(y >> (8 * b));
  return acc;
}

float epilogue(int acc, int qsum, float scale) { return static_cast<float>(acc - qsum) * scale; }

TEST(CudaLayout, EveryCodeSitsWhereTheDecodeLooksForIt) {
  const Problem p = make_problem(ProblemKind::random, 37, 300, 1, 7);
  const PackedWeights pw = pack_cuda(p.W);
  ASSERT_EQ(pw.size_bytes(), static_cast<size_t>(37 * 512 / 4));  // K padded to 512
  ASSERT_EQ(static_cast<int64_t>(pw.size_bytes()), cuda_packed_bytes(37, 300));
  for (int m = 0; m < 37; ++m)
    for (int k = 0; k < 512; ++k) {
      const uint32_t codes = trine_cuda::plane(word_at(pw, m, k / 16), (k % 16) / 4);
      const int code = (codes >> (8 * (k % 4))) & 0xff;
      ASSERT_EQ(code, k < 300 ? p.W.at(m, k) + 1 : 0) << "m=" << m << " k=" << k;
    }
}

// The GEMV's arithmetic, lane by lane: dp4a of each plane with its activation word, minus qsum.
TEST(CudaLayout, GemvDecodeReproducesTheReference) {
  for (const Problem& p : verification_problems(45, 2560 + 35, 3, 11)) {
    const PackedWeights pw = pack_cuda(p.W);
    std::vector<float> scale;
    token_scales(p.acts, p.W.wscale, scale);
    for (int n = 0; n < p.acts.N; ++n)
      for (int m = 0; m < p.W.M; ++m) {
        int acc = 0;
        for (int j = 0; j < trine_cuda::row_words(p.W.K); ++j)
          for (int pl = 0; pl < 4; ++pl) acc = dp4a(trine_cuda::plane(word_at(pw, m, j), pl), q_word(p.acts, n, 4 * j + pl), acc);
        const float y = epilogue(acc, p.acts.qsum[n], scale[n]);
        ASSERT_EQ(0, std::memcmp(&y, &p.y_ref[static_cast<size_t>(n) * p.W.M + m], 4)) << p.name << " m=" << m << " n=" << n;
      }
  }
}

// Stages one 64-k tile the way the GEMM kernel's load_tile does, gathers fragments with the
// kernel's own a_fragment/b_fragment, and multiplies them as mma.m16n8k32 does by the PTX ISA's
// fragment layout: the sums must be the exact dot products of codes and activations.
TEST(CudaLayout, MmaFragmentsCoverTheirTileExactly) {
  const Problem p = make_problem(ProblemKind::random, 16, 128, 8, 3);
  const PackedWeights pw = pack_cuda(p.W);
  for (int kt = 0; kt < 2; ++kt) {
    alignas(16) unsigned char codes_s[16 * trine_cuda::kCodeRowBytes];
    alignas(16) unsigned char acts_s[8 * trine_cuda::kActRowBytes] = {};
    for (int m = 0; m < 16; ++m)
      std::memcpy(codes_s + m * trine_cuda::kCodeRowBytes,
                  pw.bytes.data() + m * trine_cuda::row_words(p.W.K) * 4 + kt * trine_cuda::kCodeRowBytes, 16);
    for (int n = 0; n < 8; ++n)
      std::memcpy(acts_s + n * trine_cuda::kActRowBytes, p.acts.q.data() + n * p.acts.stride + kt * 64, 64);
    for (int ks = 0; ks < 2; ++ks) {
      int A[16][32], B[32][8];
      for (int lane = 0; lane < 32; ++lane) {
        const int g = lane / 4, t = lane % 4;
        unsigned a[4], b[2];
        trine_cuda::a_fragment(reinterpret_cast<const unsigned*>(codes_s), g, ks, t, a);
        trine_cuda::b_fragment(reinterpret_cast<const unsigned*>(acts_s), g, ks, t, b);
        for (int i = 0; i < 4; ++i) {
          A[g][4 * t + i] = static_cast<int8_t>(a[0] >> (8 * i));
          A[g + 8][4 * t + i] = static_cast<int8_t>(a[1] >> (8 * i));
          A[g][16 + 4 * t + i] = static_cast<int8_t>(a[2] >> (8 * i));
          A[g + 8][16 + 4 * t + i] = static_cast<int8_t>(a[3] >> (8 * i));
          B[4 * t + i][g] = static_cast<int8_t>(b[0] >> (8 * i));
          B[16 + 4 * t + i][g] = static_cast<int8_t>(b[1] >> (8 * i));
        }
      }
      for (int m = 0; m < 16; ++m)
        for (int n = 0; n < 8; ++n) {
          int got = 0, want = 0;
          for (int k = 0; k < 32; ++k) {
            got += A[m][k] * B[k][n];
            const int kk = kt * 64 + ks * 32 + k;
            want += (p.W.at(m, kk) + 1) * p.acts.q.data()[n * p.acts.stride + kk];
          }
          ASSERT_EQ(got, want) << "kt=" << kt << " ks=" << ks << " m=" << m << " n=" << n;
        }
    }
  }
}

TEST(CudaConfig, TextRoundTripsAndBadTextIsNamed) {
  for (Op op : {Op::gemv, Op::gemm}) {
    const CudaConfig c = cuda_default(op);
    EXPECT_EQ(c.violation(), "");
    EXPECT_EQ(CudaConfig::parse(c.str()), c);
  }
  EXPECT_EQ(cuda_default(Op::gemv).str(), "gv.t8.w4.v16.u2");
  EXPECT_EQ(cuda_default(Op::gemm).symbol(), "trine_cuda_mm_bm64_bn64_wm2_wn2_s2");
  EXPECT_EQ(cuda_default(Op::gemv).grid_x(2560), 2560u / 16);
  EXPECT_EQ(CudaConfig::parse("mm.bm128.bn64.wm2.wn2.s2").grid_y(128), 2u);
  try {
    CudaConfig::parse("gv.t6.w4.v16.u2");
    FAIL() << "t=6 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'gv.t6.w4.v16.u2'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("t=6"), std::string::npos) << e.what();
  }
  EXPECT_THROW(CudaConfig::parse("mm.bm64.bn64.wm2.wn2"), Error);
  EXPECT_THROW(CudaConfig::parse("mm.bm256.bn256.wm1.wn2.s2"), Error);  // accumulators
}

#ifdef TRINE_HAVE_JIT
TEST(CudaSpace, EveryConfigIsLegalAndNamedOnce) {
  for (Op op : {Op::gemv, Op::gemm}) {
    const std::vector<CudaConfig> space = codegen::cuda::space(op);
    EXPECT_GE(space.size(), 24u);
    std::set<std::string> symbols;
    for (const CudaConfig& c : space) {
      EXPECT_EQ(c.violation(), "") << c.str();
      EXPECT_EQ(c.op, op);
      EXPECT_TRUE(symbols.insert(c.symbol()).second) << c.symbol();
    }
    EXPECT_NE(std::find(space.begin(), space.end(), cuda_default(op)), space.end()) << "the default is searched";
  }
  const std::string src = codegen::cuda::source({cuda_default(Op::gemv)});
  EXPECT_NE(src.find("extern \"C\" __global__ void __launch_bounds__(128) trine_cuda_gv_t8_w4_v16_u2("), std::string::npos)
      << src;
  EXPECT_EQ(codegen::cuda::headers().size(), 5u);  // w2a8_common, _gemv, _gemm, _probes, model_ops
}
#endif

}  // namespace
}  // namespace trine
