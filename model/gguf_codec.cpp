// Tensor encodings GGUF needs beyond plain floats: bitnet.cpp's I2_S and float -> half.
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "model/gguf.h"
#include "runtime/error.h"

namespace trine::model {

namespace {

constexpr uint64_t kBlock = 128;      // values per I2_S block (QK_I2_S, x86 build)
constexpr uint64_t kBlockBytes = 32;  // 4 codes per byte

bool valid_scale(float s) { return std::isfinite(s) && s > 0.0f; }

uint64_t checked_count(int M, int K, const std::string& what) {
  if (M <= 0 || K <= 0) throw Error(fmt::format("{}: I2_S needs a non-empty matrix, not {}x{}", what, M, K));
  const uint64_t n = static_cast<uint64_t>(M) * static_cast<uint64_t>(K);
  if (n % kBlock != 0)
    throw Error(fmt::format("{}: I2_S holds whole 128-value blocks, but {}x{} is {} values", what, M, K, n));
  return n;
}

}  // namespace

std::vector<uint8_t> encode_i2_s(const TernaryMatrix& W, const std::string& what) {
  const uint64_t n = checked_count(W.M, W.K, what);
  if (W.w.size() != n) throw Error(fmt::format("{}: {}x{} matrix holds {} weights", what, W.M, W.K, W.w.size()));
  if (!valid_scale(W.wscale)) throw Error(fmt::format("{}: scale {} is not a positive finite number", what, W.wscale));
  std::vector<uint8_t> out(n / 4 + kBlockBytes, 0);
  for (uint64_t i = 0; i < n; ++i) {
    const int8_t w = W.w[i];
    if (w < -1 || w > 1) throw Error(fmt::format("{}: weight {} at [{}][{}] is not ternary", what, w, i / W.K, i % W.K));
    const uint64_t block = i / kBlock, within = i % kBlock, group = within / 32;
    out[block * kBlockBytes + within % 32] |= static_cast<uint8_t>((w + 1) << (6 - 2 * group));
  }
  std::memcpy(out.data() + n / 4, &W.wscale, 4);
  return out;
}

TernaryMatrix decode_i2_s(const uint8_t* data, uint64_t bytes, int M, int K, const std::string& what) {
  const uint64_t n = checked_count(M, K, what);
  if (bytes < n / 4 + 4)
    throw Error(fmt::format("{}: I2_S data of {} bytes cannot hold {} codes and the scale", what, bytes, n));
  TernaryMatrix W;
  W.M = M;
  W.K = K;
  std::memcpy(&W.wscale, data + n / 4, 4);
  if (!valid_scale(W.wscale))
    throw Error(fmt::format("{}: I2_S scale {} is not a positive finite number", what, W.wscale));
  W.w.resize(n);
  for (uint64_t b = 0; b < n / 4; ++b) {
    const uint8_t byte = data[b];
    const uint64_t base = b / kBlockBytes * kBlock + b % kBlockBytes;
    for (int g = 0; g < 4; ++g) {
      const int code = (byte >> (6 - 2 * g)) & 3;
      const uint64_t i = base + 32 * g;
      if (code == 3)
        throw Error(fmt::format("{}: corrupt I2_S code 0b11 for weight [{}][{}] (byte {}); only 0b00, 0b01, 0b10 "
                                "encode -1, 0, +1",
                                what, i / K, i % K, b));
      W.w[i] = static_cast<int8_t>(code - 1);
    }
  }
  return W;
}

uint16_t f32_to_f16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t a = bits & 0x7fffffffu;
  if (a > 0x7f800000u) return sign | 0x7e00u;  // NaN stays a (quiet) NaN
  if (a >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds past 65504: infinity
  if (a < 0x38800000u) {
    // Below 2^-14 half is subnormal, a fixed-point count of 2^-24; scaling by a power of two is
    // exact, so rint (round half to even) does the one rounding.
    float f;
    std::memcpy(&f, &a, 4);
    return sign | static_cast<uint16_t>(std::rint(f * 16777216.0f));
  }
  uint32_t h = ((a >> 23) - 127 + 15) << 10 | (a & 0x7fffffu) >> 13;
  const uint32_t rest = a & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // a carry into the exponent is right
  return sign | static_cast<uint16_t>(h);
}

}  // namespace trine::model
