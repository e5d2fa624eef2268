#include "runtime/attention.h"

#include <algorithm>
#include <cmath>

#include "runtime/vec_math.h"

namespace trine {

std::vector<float> rope_inv_freq(float theta, int hd) {
  std::vector<float> inv(hd / 2);
  for (int i = 0; i < hd / 2; ++i) inv[i] = 1.0f / std::pow(theta, static_cast<float>(2 * i) / static_cast<float>(hd));
  return inv;
}

std::vector<float> rope_table(const std::vector<float>& inv_freq, int positions) {
  const std::size_t half = inv_freq.size();
  std::vector<float> cs(static_cast<std::size_t>(positions) * half * 2);
  for (int pos = 0; pos < positions; ++pos)
    for (std::size_t i = 0; i < half; ++i) {
      const float f = static_cast<float>(pos) * inv_freq[i];
      cs[(pos * half + i) * 2] = std::cos(f);
      cs[(pos * half + i) * 2 + 1] = std::sin(f);
    }
  return cs;
}

void apply_rope(float* v, int heads, int hd, int pos, const std::vector<float>& inv_freq) {
  const int half = hd / 2;
  for (int i = 0; i < half; ++i) {
    const float f = static_cast<float>(pos) * inv_freq[i];
    const float c = std::cos(f), s = std::sin(f);
    for (int h = 0; h < heads; ++h) {
      float* x = v + h * hd;
      const float a = x[i], b = x[i + half];
      x[i] = a * c - b * s;
      x[i + half] = b * c + a * s;
    }
  }
}

void attend(const float* q, const float* K, const float* V, int64_t stride, int n, int hd, float scale, float* out,
            float* p) {
  float mx = -INFINITY;
  for (int s = 0; s < n; ++s) {
    p[s] = dot_f32(q, K + s * stride, hd) * scale;
    mx = std::max(mx, p[s]);
  }
  float sum = 0;
  for (int s = 0; s < n; ++s) sum += (p[s] = std::exp(p[s] - mx));
  std::fill_n(out, hd, 0.0f);
  for (int s = 0; s < n; ++s) {
    const float w = p[s] / sum;
    const float* v = V + s * stride;
    for (int i = 0; i < hd; ++i) out[i] += w * v[i];
  }
}

}  // namespace trine
