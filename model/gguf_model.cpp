// BitNet b1.58 in GGUF (spec section 6): metadata under "<arch>.", tensors named as llama.cpp
// names them, projections in I2_S. Mirrors hf_loader.cpp so both formats fill ModelWeights alike.
#include <climits>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "model/gguf.h"
#include "runtime/error.h"

namespace trine::model {

namespace {

constexpr const char* kArch = "bitnet-b1.58";
constexpr uint32_t kFileTypeI2S = 40;  // LLAMA_FTYPE_MOSTLY_I2_S

// ---- reading ----

int positive_int(const GgufFile& f, const std::string& key) {
  const uint32_t v = f.get_u32(key);
  if (v == 0 || v > INT_MAX) throw Error(fmt::format("{}: metadata key {}: {} is not a usable size", f.path(), key, v));
  return static_cast<int>(v);
}

float positive_float(const GgufFile& f, const std::string& key) {
  const float v = f.get_f32(key);
  if (!std::isfinite(v) || v <= 0) throw Error(fmt::format("{}: metadata key {}: {} is not positive", f.path(), key, v));
  return v;
}

// head_dim is hidden/heads unless attention.key_length says otherwise; the forward pass rotates
// whole heads, so a partial rope.dimension_count cannot be honoured.
int head_dim_of(const GgufFile& f, const std::string& k, const ModelDims& d) {
  int hd;
  if (f.has(k + "attention.key_length")) {
    hd = positive_int(f, k + "attention.key_length");
  } else {
    if (d.hidden % d.heads != 0)
      throw Error(fmt::format("{}: metadata key {}attention.key_length is missing and {} heads do not divide {}",
                              f.path(), k, d.heads, d.hidden));
    hd = d.hidden / d.heads;
  }
  for (const char* key : {"attention.value_length", "rope.dimension_count"}) {
    if (f.has(k + key) && positive_int(f, k + key) != hd)
      throw Error(fmt::format("{}: metadata key {}{}: {} differs from the head size {}", f.path(), k, key,
                              f.get_u32(k + key), hd));
  }
  return hd;
}

int vocab_of(const GgufFile& f, const std::string& k, int hidden) {
  const GgufTensorInfo& t = f.tensor("token_embd.weight");
  if (t.ne.size() != 2 || t.ne[0] != static_cast<uint64_t>(hidden) || t.ne[1] == 0 || t.ne[1] > INT_MAX)
    throw Error(fmt::format("{}: tensor {}: expected {{{}, vocab}}", f.path(), t.describe(), hidden));
  const int vocab = static_cast<int>(t.ne[1]);
  if (f.has(k + "vocab_size") && f.get_u32(k + "vocab_size") != t.ne[1])
    throw Error(fmt::format("{}: metadata key {}vocab_size: {} but token_embd.weight has {} rows", f.path(), k,
                            f.get_u32(k + "vocab_size"), vocab));
  return vocab;
}

// Trailing 1s are dropped: some writers keep vectors as {n, 1}.
void check_ne(const GgufFile& f, const GgufTensorInfo& t, std::vector<uint64_t> want) {
  std::vector<uint64_t> ne = t.ne;
  while (ne.size() > want.size() && ne.back() == 1) ne.pop_back();
  if (ne != want)
    throw Error(fmt::format("{}: tensor {}: the metadata implies {{{}}}", f.path(), t.describe(), fmt::join(want, ", ")));
}

std::vector<float> load_floats(const GgufFile& f, const std::string& name, std::vector<uint64_t> ne) {
  const GgufTensorInfo& t = f.tensor(name);
  check_ne(f, t, std::move(ne));
  return gguf_to_f32(f, t);
}

TernaryMatrix load_ternary(const GgufFile& f, const std::string& name, int M, int K) {
  const GgufTensorInfo& t = f.tensor(name);
  if (t.type != GgmlType::I2_S) throw Error(fmt::format("{}: tensor {}: expected I2_S", f.path(), t.describe()));
  check_ne(f, t, {static_cast<uint64_t>(K), static_cast<uint64_t>(M)});
  return decode_i2_s(t.data, t.bytes, M, K, fmt::format("{}: tensor {}", f.path(), t.name));
}

int token_id(const GgufFile& f, const std::string& key, std::size_t n_tokens) {
  if (!f.has(key)) return -1;
  const int64_t id = f.get_i64(key);
  if (id < 0 || static_cast<uint64_t>(id) >= n_tokens)
    throw Error(fmt::format("{}: metadata key {}: id {} is outside the {} tokens", f.path(), key, id, n_tokens));
  return static_cast<int>(id);
}

// ---- writing ----

struct Proj {
  const char* gguf;  // blk.N.<gguf>.weight
  TernaryMatrix LayerWeights::*w;
  int M, K;
};

std::vector<Proj> projections(const ModelDims& d) {
  const int qdim = d.heads * d.head_dim, kvdim = d.kv_heads * d.head_dim;
  return {{"attn_q", &LayerWeights::q, qdim, d.hidden},          {"attn_k", &LayerWeights::k, kvdim, d.hidden},
          {"attn_v", &LayerWeights::v, kvdim, d.hidden},          {"attn_output", &LayerWeights::o, d.hidden, qdim},
          {"ffn_gate", &LayerWeights::gate, d.inter, d.hidden},   {"ffn_up", &LayerWeights::up, d.inter, d.hidden},
          {"ffn_down", &LayerWeights::down, d.hidden, d.inter}};
}

struct Norm {
  const char* gguf;
  std::vector<float> LayerWeights::*v;
  int n;
};

std::vector<Norm> norms(const ModelDims& d) {
  return {{"attn_norm", &LayerWeights::input_norm, d.hidden},
          {"attn_sub_norm", &LayerWeights::attn_sub_norm, d.heads * d.head_dim},
          {"ffn_norm", &LayerWeights::post_attn_norm, d.hidden},
          {"ffn_sub_norm", &LayerWeights::ffn_sub_norm, d.inter}};
}

void check_size(const std::string& path, const std::string& what, std::size_t have, int64_t want) {
  if (static_cast<int64_t>(have) != want)
    throw Error(fmt::format("{}: cannot write {}: {} values where the dims imply {}", path, what, have, want));
}

// Everything a reader would reject, found before the file is opened.
void check_model(const ModelWeights& m, const std::string& path) {
  const ModelDims& d = m.dims;
  if (d.vocab <= 0 || d.hidden <= 0 || d.inter <= 0 || d.layers <= 0 || d.heads <= 0 || d.kv_heads <= 0 ||
      d.head_dim <= 0)
    throw Error(fmt::format("{}: cannot write a model with non-positive dims", path));
  if (static_cast<int>(m.layers.size()) != d.layers)
    throw Error(fmt::format("{}: cannot write: {} layers where the dims say {}", path, m.layers.size(), d.layers));
  check_size(path, "token_embd.weight", m.embed.size(), int64_t{d.vocab} * d.hidden);
  check_size(path, "output_norm.weight", m.final_norm.size(), d.hidden);
  for (int l = 0; l < d.layers; ++l) {
    const LayerWeights& L = m.layers[l];
    for (const Norm& n : norms(d)) check_size(path, fmt::format("blk.{}.{}.weight", l, n.gguf), (L.*n.v).size(), n.n);
    for (const Proj& p : projections(d)) {
      const TernaryMatrix& W = L.*p.w;
      if (W.M != p.M || W.K != p.K)
        throw Error(fmt::format("{}: cannot write blk.{}.{}.weight: {}x{} where the dims imply {}x{}", path, l, p.gguf,
                                W.M, W.K, p.M, p.K));
      check_size(path, fmt::format("blk.{}.{}.weight", l, p.gguf), W.w.size(), int64_t{W.M} * W.K);
    }
  }
}

std::vector<uint8_t> f32_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> out(v.size() * 4);
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

std::vector<uint8_t> f16_bytes(const std::vector<float>& v, const std::string& what) {
  std::vector<uint8_t> out(v.size() * 2);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const uint16_t h = f32_to_f16(v[i]);
    if ((h & 0x7c00u) == 0x7c00u && std::isfinite(v[i]))
      throw Error(fmt::format("{}: value {} at index {} overflows F16; write the embedding as F32", what, v[i], i));
    std::memcpy(out.data() + 2 * i, &h, 2);
  }
  return out;
}

void set_dims(GgufWriter& w, const ModelDims& d, const GgufWriteOptions& opt) {
  const std::string k = std::string(kArch) + ".";
  w.set(k + "vocab_size", GgufValue::u32(d.vocab));
  w.set(k + "context_length", GgufValue::u32(opt.context_length));
  w.set(k + "embedding_length", GgufValue::u32(d.hidden));
  w.set(k + "feed_forward_length", GgufValue::u32(d.inter));
  w.set(k + "block_count", GgufValue::u32(d.layers));
  w.set(k + "attention.head_count", GgufValue::u32(d.heads));
  w.set(k + "attention.head_count_kv", GgufValue::u32(d.kv_heads));
  w.set(k + "attention.layer_norm_rms_epsilon", GgufValue::f32(d.eps));
  w.set(k + "rope.freq_base", GgufValue::f32(d.rope_theta));
  w.set(k + "rope.dimension_count", GgufValue::u32(d.head_dim));
  if (d.head_dim * d.heads != d.hidden) {  // readers default to hidden/heads otherwise
    w.set(k + "attention.key_length", GgufValue::u32(d.head_dim));
    w.set(k + "attention.value_length", GgufValue::u32(d.head_dim));
  }
}

void set_tokenizer(GgufWriter& w, const GgufTokenizerData& t, int vocab, const std::string& path) {
  if (static_cast<int>(t.tokens.size()) != vocab)
    throw Error(fmt::format("{}: cannot write tokenizer.ggml.tokens: {} tokens for a vocabulary of {}", path,
                            t.tokens.size(), vocab));
  if (!t.token_type.empty() && t.token_type.size() != t.tokens.size())
    throw Error(fmt::format("{}: cannot write tokenizer.ggml.token_type: {} types for {} tokens", path,
                            t.token_type.size(), t.tokens.size()));
  w.set("tokenizer.ggml.model", GgufValue::str(t.model));
  if (!t.pre.empty()) w.set("tokenizer.ggml.pre", GgufValue::str(t.pre));
  w.set("tokenizer.ggml.tokens", GgufValue::strings(t.tokens));
  if (!t.token_type.empty()) w.set("tokenizer.ggml.token_type", GgufValue::i32s(t.token_type));
  if (!t.merges.empty()) w.set("tokenizer.ggml.merges", GgufValue::strings(t.merges));
  for (auto [key, id] : {std::pair{"tokenizer.ggml.bos_token_id", t.bos_id}, std::pair{"tokenizer.ggml.eos_token_id", t.eos_id},
                         std::pair{"tokenizer.ggml.eot_token_id", t.eot_id}}) {
    if (id >= vocab) throw Error(fmt::format("{}: cannot write {}: id {} outside the vocabulary", path, key, id));
    if (id >= 0) w.set(key, GgufValue::u32(static_cast<uint32_t>(id)));
  }
  if (t.add_bos) w.set("tokenizer.ggml.add_bos_token", GgufValue::boolean(*t.add_bos));
}

// Producers run after this returns, inside GgufWriter::write: they capture pointers into m (which
// outlives the write) and copies of everything local.
void add_tensors(GgufWriter& w, const ModelWeights& m, const std::string& path, const GgufWriteOptions& opt) {
  const ModelDims& d = m.dims;
  const ModelWeights* mp = &m;
  const std::vector<uint64_t> embd_ne{uint64_t(d.hidden), uint64_t(d.vocab)};
  if (opt.f32_embedding)
    w.add_tensor("token_embd.weight", embd_ne, GgmlType::F32, [mp] { return f32_bytes(mp->embed); });
  else
    w.add_tensor("token_embd.weight", embd_ne, GgmlType::F16,
                 [mp, what = path + ": tensor token_embd.weight"] { return f16_bytes(mp->embed, what); });
  for (int l = 0; l < d.layers; ++l) {
    const LayerWeights* L = &m.layers[l];
    for (const Norm& n : norms(d))
      w.add_tensor(fmt::format("blk.{}.{}.weight", l, n.gguf), {uint64_t(n.n)}, GgmlType::F32,
                   [L, v = n.v] { return f32_bytes(L->*v); });
    for (const Proj& p : projections(d)) {
      const std::string name = fmt::format("blk.{}.{}.weight", l, p.gguf);
      w.add_tensor(name, {uint64_t(p.K), uint64_t(p.M)}, GgmlType::I2_S,
                   [L, wp = p.w, what = path + ": tensor " + name] { return encode_i2_s(L->*wp, what); });
    }
  }
  w.add_tensor("output_norm.weight", {uint64_t(d.hidden)}, GgmlType::F32, [mp] { return f32_bytes(mp->final_norm); });
}

}  // namespace

GgufModelMeta read_gguf_model_meta(const GgufFile& f) {
  GgufModelMeta meta;
  meta.arch = f.get_string("general.architecture");
  if (meta.arch != "bitnet-b1.58" && meta.arch != "bitnet-25")
    throw Error(fmt::format("{}: metadata key general.architecture is \"{}\"; trine reads BitNet b1.58 models "
                            "(\"bitnet-b1.58\" or \"bitnet-25\")",
                            f.path(), meta.arch));
  const std::string k = meta.arch + ".";
  ModelDims& d = meta.dims;
  d.layers = positive_int(f, k + "block_count");
  d.hidden = positive_int(f, k + "embedding_length");
  d.inter = positive_int(f, k + "feed_forward_length");
  d.heads = positive_int(f, k + "attention.head_count");
  d.kv_heads = positive_int(f, k + "attention.head_count_kv");
  if (d.heads % d.kv_heads != 0)
    throw Error(fmt::format("{}: metadata key {}attention.head_count_kv: {} does not divide {} query heads", f.path(),
                            k, d.kv_heads, d.heads));
  d.eps = positive_float(f, k + "attention.layer_norm_rms_epsilon");
  d.rope_theta = positive_float(f, k + "rope.freq_base");
  meta.context_length = positive_int(f, k + "context_length");
  d.head_dim = head_dim_of(f, k, d);
  d.vocab = vocab_of(f, k, d.hidden);
  return meta;
}

ModelWeights load_gguf_model(const std::string& path) {
  const GgufFile f(path);
  ModelWeights m;
  m.dims = read_gguf_model_meta(f).dims;
  if (f.has_tensor("output.weight"))
    throw Error(fmt::format("{}: tensor output.weight: an untied lm_head is not supported (BitNet b1.58 ties it to "
                            "token_embd)",
                            path));
  const ModelDims& d = m.dims;
  const auto H = static_cast<uint64_t>(d.hidden);
  m.embed = load_floats(f, "token_embd.weight", {H, static_cast<uint64_t>(d.vocab)});
  m.final_norm = load_floats(f, "output_norm.weight", {H});
  for (int l = 0; l < d.layers; ++l) {
    LayerWeights L;
    for (const Proj& p : projections(d)) L.*p.w = load_ternary(f, fmt::format("blk.{}.{}.weight", l, p.gguf), p.M, p.K);
    for (const Norm& n : norms(d))
      L.*n.v = load_floats(f, fmt::format("blk.{}.{}.weight", l, n.gguf), {static_cast<uint64_t>(n.n)});
    m.layers.push_back(std::move(L));
  }
  return m;
}

GgufTokenizerData read_gguf_tokenizer(const GgufFile& f) {
  GgufTokenizerData t;
  t.tokens = f.get_array_strings("tokenizer.ggml.tokens");
  if (f.has("tokenizer.ggml.model")) t.model = f.get_string("tokenizer.ggml.model");
  if (f.has("tokenizer.ggml.pre")) t.pre = f.get_string("tokenizer.ggml.pre");
  if (f.has("tokenizer.ggml.merges")) t.merges = f.get_array_strings("tokenizer.ggml.merges");
  if (f.has("tokenizer.ggml.token_type")) {
    const std::vector<int32_t> types = f.get_array_i32("tokenizer.ggml.token_type");
    if (types.size() != t.tokens.size())
      throw Error(fmt::format("{}: metadata key tokenizer.ggml.token_type: {} types for {} tokens", f.path(),
                              types.size(), t.tokens.size()));
    t.token_type.assign(types.begin(), types.end());
  }
  t.bos_id = token_id(f, "tokenizer.ggml.bos_token_id", t.tokens.size());
  t.eos_id = token_id(f, "tokenizer.ggml.eos_token_id", t.tokens.size());
  t.eot_id = token_id(f, "tokenizer.ggml.eot_token_id", t.tokens.size());
  if (f.has("tokenizer.ggml.add_bos_token")) t.add_bos = f.get_bool("tokenizer.ggml.add_bos_token");
  return t;
}

GgufTokenizerData load_gguf_tokenizer(const std::string& path) { return read_gguf_tokenizer(GgufFile(path)); }

void write_gguf_model(const ModelWeights& m, const std::string& path, const GgufTokenizerData* tok,
                      const GgufWriteOptions& opt) {
  check_model(m, path);
  if (opt.context_length <= 0) throw Error(fmt::format("{}: context length {} is not positive", path, opt.context_length));
  GgufWriter w;
  w.set("general.architecture", GgufValue::str(kArch));
  if (!opt.name.empty()) w.set("general.name", GgufValue::str(opt.name));
  w.set("general.file_type", GgufValue::u32(kFileTypeI2S));
  set_dims(w, m.dims, opt);
  if (tok) set_tokenizer(w, *tok, m.dims.vocab, path);
  add_tensors(w, m, path, opt);
  w.write(path);
}

}  // namespace trine::model
