// The forward pass exactly as the spec gives it (section 4), written for clarity, not speed.
#include <algorithm>
#include <cmath>

#include "runtime/attention.h"
#include "runtime/error.h"
#include "runtime/vec_math.h"
#include "runtime/model_weights.h"

namespace trine {

namespace {

// One quantization of a shared input feeds every projection that reads it.
void bitlinear(const std::vector<float>& x, int T, int K,
               std::initializer_list<std::pair<const TernaryMatrix*, std::vector<float>*>> outs) {
  QuantizedActs a;
  quantize_acts(x.data(), T, K, K, a);
  for (auto [W, y] : outs) {
    y->assign(static_cast<size_t>(T) * W->M, 0.0f);
    reference_gemm(*W, a, y->data(), W->M);
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
  const std::vector<float> inv_freq = rope_inv_freq(d.rope_theta, hd);
  for (const LayerWeights& L : m.layers) {
    for (int t = 0; t < T; ++t) rmsnorm_f32(&x[t * H], L.input_norm.data(), d.eps, H, &h[t * H]);
    bitlinear(h, T, H, {{&L.q, &q}, {&L.k, &k}, {&L.v, &v}});
    for (int t = 0; t < T; ++t) {
      apply_rope(&q[static_cast<size_t>(t) * qdim], d.heads, hd, t, inv_freq);
      apply_rope(&k[static_cast<size_t>(t) * kvdim], d.kv_heads, hd, t, inv_freq);
    }
    std::vector<float> p(T);
    for (int head = 0; head < d.heads; ++head) {
      const int kvh = head / group;
      for (int t = 0; t < T; ++t)
        attend(&q[static_cast<size_t>(t) * qdim + head * hd], &k[kvh * hd], &v[kvh * hd], kvdim, t + 1, hd, scale,
               &attn[static_cast<size_t>(t) * qdim + head * hd], p.data());
    }
    for (int t = 0; t < T; ++t) rmsnorm_f32(&attn[t * qdim], L.attn_sub_norm.data(), d.eps, qdim, &attn[t * qdim]);
    bitlinear(attn, T, qdim, {{&L.o, &o}});
    for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];
    for (int t = 0; t < T; ++t) rmsnorm_f32(&x[t * H], L.post_attn_norm.data(), d.eps, H, &h[t * H]);
    bitlinear(h, T, H, {{&L.gate, &g}, {&L.up, &u}});
    mlp.resize(g.size());
    for (size_t i = 0; i < g.size(); ++i) {
      const float r = std::max(g[i], 0.0f);
      mlp[i] = r * r * u[i];  // relu(gate)^2 * up
    }
    for (int t = 0; t < T; ++t) rmsnorm_f32(&mlp[static_cast<size_t>(t) * I], L.ffn_sub_norm.data(), d.eps, I, &mlp[static_cast<size_t>(t) * I]);
    bitlinear(mlp, T, I, {{&L.down, &o}});
    for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];
  }
  std::vector<float> logits(static_cast<size_t>(T) * d.vocab);
  for (int t = 0; t < T; ++t) {
    rmsnorm_f32(&x[t * H], m.final_norm.data(), d.eps, H, &h[t * H]);
    for (int vtok = 0; vtok < d.vocab; ++vtok)
      logits[static_cast<size_t>(t) * d.vocab + vtok] = dot_f32(&h[t * H], &m.embed[static_cast<size_t>(vtok) * H], H);
  }
  return logits;
}

}  // namespace trine
