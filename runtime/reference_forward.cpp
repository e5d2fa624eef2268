// The forward pass exactly as the spec gives it (section 4), written for clarity, not speed.
#include <algorithm>
#include <cmath>

#include "runtime/error.h"
#include "runtime/model_weights.h"

namespace trine {

namespace {

// y = w * (x * rsqrt(mean(x^2) + eps)), per row of n.
void rmsnorm(const float* x, const std::vector<float>& w, float eps, int n, float* y) {
  double ss = 0;
  for (int i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float r = 1.0f / std::sqrt(static_cast<float>(ss / n) + eps);
  for (int i = 0; i < n; ++i) y[i] = w[i] * (x[i] * r);
}

// One quantization of a shared input feeds every projection that reads it.
void bitlinear(const std::vector<float>& x, int T, int K, std::initializer_list<std::pair<const TernaryMatrix*, std::vector<float>*>> outs) {
  QuantizedActs a;
  quantize_acts(x.data(), T, K, K, a);
  for (auto [W, y] : outs) {
    y->assign(static_cast<size_t>(T) * W->M, 0.0f);
    reference_gemm(*W, a, y->data(), W->M);
  }
}

// NeoX rotation: pairs (d, d + hd/2); inverse frequencies in fp32 as transformers computes them.
void rope(float* v, int heads, int hd, int pos, float theta) {
  const int half = hd / 2;
  for (int i = 0; i < half; ++i) {
    const float inv = 1.0f / std::pow(theta, static_cast<float>(2 * i) / static_cast<float>(hd));
    const float f = static_cast<float>(pos) * inv;
    const float c = std::cos(f), s = std::sin(f);
    for (int h = 0; h < heads; ++h) {
      float* x = v + h * hd;
      const float a = x[i], b = x[i + half];
      x[i] = a * c - b * s;
      x[i + half] = b * c + a * s;
    }
  }
}

}  // namespace

std::vector<float> reference_forward(const ModelWeights& m, const std::vector<int>& ids) {
  const ModelDims& d = m.dims;
  const int T = static_cast<int>(ids.size()), H = d.hidden, I = d.inter, hd = d.head_dim;
  const int qdim = d.heads * hd, kvdim = d.kv_heads * hd, group = d.heads / d.kv_heads;
  std::vector<float> x(static_cast<size_t>(T) * H);
  for (int t = 0; t < T; ++t) {
    if (ids[t] < 0 || ids[t] >= d.vocab) throw Error("token id " + std::to_string(ids[t]) + " outside the vocabulary");
    std::copy_n(m.embed.begin() + static_cast<long>(ids[t]) * H, H, x.begin() + static_cast<long>(t) * H);
  }
  std::vector<float> h(x.size()), q, k, v, o, g, u, attn(static_cast<size_t>(T) * qdim), mlp;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (const LayerWeights& L : m.layers) {
    for (int t = 0; t < T; ++t) rmsnorm(&x[t * H], L.input_norm, d.eps, H, &h[t * H]);
    bitlinear(h, T, H, {{&L.q, &q}, {&L.k, &k}, {&L.v, &v}});
    for (int t = 0; t < T; ++t) {
      rope(&q[static_cast<size_t>(t) * qdim], d.heads, hd, t, d.rope_theta);
      rope(&k[static_cast<size_t>(t) * kvdim], d.kv_heads, hd, t, d.rope_theta);
    }
    std::vector<float> p(T);
    for (int head = 0; head < d.heads; ++head) {
      const int kvh = head / group;
      for (int t = 0; t < T; ++t) {
        const float* qv = &q[static_cast<size_t>(t) * qdim + head * hd];
        float mx = -INFINITY;
        for (int s = 0; s <= t; ++s) {
          const float* kv = &k[static_cast<size_t>(s) * kvdim + kvh * hd];
          float dot = 0;
          for (int i = 0; i < hd; ++i) dot += qv[i] * kv[i];
          p[s] = dot * scale;
          mx = std::max(mx, p[s]);
        }
        float sum = 0;
        for (int s = 0; s <= t; ++s) sum += (p[s] = std::exp(p[s] - mx));
        float* out = &attn[static_cast<size_t>(t) * qdim + head * hd];
        std::fill_n(out, hd, 0.0f);
        for (int s = 0; s <= t; ++s) {
          const float w = p[s] / sum;
          const float* vv = &v[static_cast<size_t>(s) * kvdim + kvh * hd];
          for (int i = 0; i < hd; ++i) out[i] += w * vv[i];
        }
      }
    }
    for (int t = 0; t < T; ++t) rmsnorm(&attn[t * qdim], L.attn_sub_norm, d.eps, qdim, &attn[t * qdim]);
    bitlinear(attn, T, qdim, {{&L.o, &o}});
    for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];
    for (int t = 0; t < T; ++t) rmsnorm(&x[t * H], L.post_attn_norm, d.eps, H, &h[t * H]);
    bitlinear(h, T, H, {{&L.gate, &g}, {&L.up, &u}});
    mlp.resize(g.size());
    for (size_t i = 0; i < g.size(); ++i) {
      const float r = std::max(g[i], 0.0f);
      mlp[i] = r * r * u[i];  // relu(gate)^2 * up
    }
    for (int t = 0; t < T; ++t) rmsnorm(&mlp[static_cast<size_t>(t) * I], L.ffn_sub_norm, d.eps, I, &mlp[static_cast<size_t>(t) * I]);
    bitlinear(mlp, T, I, {{&L.down, &o}});
    for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];
  }
  std::vector<float> logits(static_cast<size_t>(T) * d.vocab);
  for (int t = 0; t < T; ++t) {
    rmsnorm(&x[t * H], m.final_norm, d.eps, H, &h[t * H]);
    for (int vtok = 0; vtok < d.vocab; ++vtok) {
      const float* e = &m.embed[static_cast<size_t>(vtok) * H];
      float dot = 0;
      for (int i = 0; i < H; ++i) dot += h[t * H + i] * e[i];
      logits[static_cast<size_t>(t) * d.vocab + vtok] = dot;
    }
  }
  return logits;
}

}  // namespace trine
