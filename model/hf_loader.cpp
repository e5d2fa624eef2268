#include "model/hf_loader.h"

#include <fmt/format.h>

#include "model/bitlinear_weights.h"
#include "runtime/error.h"

namespace trine::model {

namespace {

std::vector<float> vector_of(const Checkpoint& c, const std::string& name, int64_t n) {
  const TensorView& t = c.get(name);
  if (t.numel() != n) throw Error(fmt::format("{}: expected {} values", t.describe(), n));
  return to_f32(t);
}

void check_shape(const TernaryMatrix& W, int M, int K, const std::string& name) {
  if (W.M != M || W.K != K)
    throw Error(fmt::format("{}: weights are {}x{} but the config implies {}x{}", name, W.M, W.K, M, K));
}

}  // namespace

ModelWeights load_hf_model(const std::string& dir) {
  const HfConfig cfg = load_hf_config(dir);
  const Checkpoint ckpt(dir);
  ModelWeights m;
  const BitNetConfig& c = cfg.model;
  m.dims = ModelDims{c.vocab_size, c.hidden_size, c.intermediate_size, c.num_hidden_layers, c.num_attention_heads,
                     c.num_key_value_heads, cfg.head_dim, c.rms_norm_eps, c.rope_theta};
  const ModelDims& d = m.dims;
  m.embed = vector_of(ckpt, "model.embed_tokens.weight", static_cast<int64_t>(d.vocab) * d.hidden);
  m.final_norm = vector_of(ckpt, "model.norm.weight", d.hidden);
  const int qdim = d.heads * d.head_dim, kvdim = d.kv_heads * d.head_dim;
  for (int l = 0; l < d.layers; ++l) {
    const std::string p = fmt::format("model.layers.{}.", l);
    LayerWeights L;
    struct Proj { TernaryMatrix* w; const char* name; int M, K; };
    for (const Proj& pr : {Proj{&L.q, "self_attn.q_proj", qdim, d.hidden}, Proj{&L.k, "self_attn.k_proj", kvdim, d.hidden},
                           Proj{&L.v, "self_attn.v_proj", kvdim, d.hidden}, Proj{&L.o, "self_attn.o_proj", d.hidden, qdim},
                           Proj{&L.gate, "mlp.gate_proj", d.inter, d.hidden}, Proj{&L.up, "mlp.up_proj", d.inter, d.hidden},
                           Proj{&L.down, "mlp.down_proj", d.hidden, d.inter}}) {
      *pr.w = load_projection(ckpt, cfg, p + pr.name);
      check_shape(*pr.w, pr.M, pr.K, dir + ": " + p + pr.name);
    }
    L.input_norm = vector_of(ckpt, p + "input_layernorm.weight", d.hidden);
    L.attn_sub_norm = vector_of(ckpt, p + "self_attn.attn_sub_norm.weight", qdim);
    L.post_attn_norm = vector_of(ckpt, p + "post_attention_layernorm.weight", d.hidden);
    L.ffn_sub_norm = vector_of(ckpt, p + "mlp.ffn_sub_norm.weight", d.inter);
    m.layers.push_back(std::move(L));
  }
  return m;
}

}  // namespace trine::model
