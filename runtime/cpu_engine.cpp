#include "runtime/cpu_engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "runtime/attention.h"
#include "runtime/error.h"
#include "runtime/vec_math.h"

namespace trine {

struct CpuEngine::Layer {
  PreparedMatmul q, k, v, o, gate, up, down;
  std::vector<float> input_norm, attn_sub_norm, post_attn_norm, ffn_sub_norm;
};

namespace {

using Clock = std::chrono::steady_clock;

// Adds the wall time of a scope to one profile counter.
struct Timed {
  double& acc;
  Clock::time_point t0 = Clock::now();
  ~Timed() { acc += std::chrono::duration<double>(Clock::now() - t0).count(); }
};

PreparedMatmul prepare(KernelProvider& kp, TernaryMatrix& W, int threads, WeightArena& arena) {
  PreparedMatmul pm = kp.prepare(W, threads);
  W.w.clear();  // the packed copy is all the engine reads from now on
  W.w.shrink_to_fit();
  arena.adopt(pm.packed);
  arena.adopt(pm.prefill_packed);
  return pm;
}

}  // namespace

CpuEngine::CpuEngine(ModelWeights w, int context_length, KernelProvider& kernels, const EngineOptions& opt)
    : Engine(w.dims, context_length, opt), pool_(std::make_unique<ThreadPool>(opt.threads)) {
  if (exact_in_bf16(w.embed.data(), w.embed.size())) {
    embed_bf16_.resize(w.embed.size());
    to_bf16_exact(w.embed.data(), w.embed.size(), embed_bf16_.data());
    w.embed = {};
  } else {
    embed_ = std::move(w.embed);
  }
  final_norm_ = std::move(w.final_norm);
  if (opt.lm_head_int8) quantize_head();
  inv_freq_ = rope_inv_freq(dims_.rope_theta, dims_.head_dim);
  for (LayerWeights& L : w.layers) {
    Layer l;
    l.q = prepare(kernels, L.q, opt.threads, arena_);
    l.k = prepare(kernels, L.k, opt.threads, arena_);
    l.v = prepare(kernels, L.v, opt.threads, arena_);
    l.o = prepare(kernels, L.o, opt.threads, arena_);
    l.gate = prepare(kernels, L.gate, opt.threads, arena_);
    l.up = prepare(kernels, L.up, opt.threads, arena_);
    l.down = prepare(kernels, L.down, opt.threads, arena_);
    l.input_norm = std::move(L.input_norm);
    l.attn_sub_norm = std::move(L.attn_sub_norm);
    l.post_attn_norm = std::move(L.post_attn_norm);
    l.ffn_sub_norm = std::move(L.ffn_sub_norm);
    layers_.push_back(std::move(l));
  }
  const std::size_t kv = static_cast<std::size_t>(dims_.layers) * ctx_ * dims_.kv_heads * dims_.head_dim;
  kcache_.assign(kv, 0.0f);
  vcache_.assign(kv, 0.0f);
}

CpuEngine::~CpuEngine() = default;

void CpuEngine::matmul(Projection which, const PreparedMatmul& pm, const QuantizedActs& a, std::vector<float>& y) {
  const auto t0 = Clock::now();
  const PackedWeights& w = pm.weights_for(a.N);
  y.resize(static_cast<std::size_t>(a.N) * w.M);
  ws_.prepare(a, w.wscale, pool_->size());
  const trine_gemm_args args = make_gemm_args(w.data(), w.M, w.K, a, ws_, y.data(), w.M);
  run_gemm(*pool_, a.N == 1 ? pm.gemv : pm.gemm, args);
  prof_.add_matmul(which, std::chrono::duration<double>(Clock::now() - t0).count(), w.size_bytes());
}

// Heads are shared out over the pool; each token attends to the cache up to its own position.
void CpuEngine::attention(int layer, int n, std::vector<float>& q, std::vector<float>& out) {
  const int hd = dims_.head_dim, qdim = dims_.heads * hd, kvdim = dims_.kv_heads * hd;
  const int group = dims_.heads / dims_.kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const float* K = &kcache_[static_cast<std::size_t>(layer) * ctx_ * kvdim];
  const float* V = &vcache_[static_cast<std::size_t>(layer) * ctx_ * kvdim];
  out.resize(static_cast<std::size_t>(n) * qdim);
  Timed timed{prof_.attention_s};
  const int p0 = pos_;
  auto body = [&](int tid, int nth) {
    std::vector<float> p(static_cast<std::size_t>(p0 + n));
    for (int head = tid; head < dims_.heads; head += nth) {
      const int kvh = head / group;
      for (int t = 0; t < n; ++t)
        attend(&q[static_cast<std::size_t>(t) * qdim + head * hd], K + kvh * hd, V + kvh * hd, kvdim, p0 + t + 1, hd,
               scale, &out[static_cast<std::size_t>(t) * qdim + head * hd], p.data());
    }
  };
  pool_->run(body);
}

// The int8 head, built from the exact embedding.
void CpuEngine::quantize_head() {
  const int H = dims_.hidden, V = dims_.vocab;
  head_i8_.resize(static_cast<std::size_t>(V) * H);
  head_scale_.resize(V);
  std::vector<float> row(H);
  for (int v = 0; v < V; ++v) {
    embed_row(v, row.data());
    head_scale_[v] = quantize_row_i8(row.data(), H, &head_i8_[static_cast<std::size_t>(v) * H]);
  }
}

void CpuEngine::lm_head(const float* h, float* logits) {
  Timed t{prof_.lm_head_s};
  const int H = dims_.hidden, V = dims_.vocab;
  const auto row = [H](const auto& table, int v) { return &table[static_cast<std::size_t>(v) * H]; };
  auto one = [&](int v) {
    if (!head_i8_.empty()) logits[v] = head_scale_[v] * dot_i8_f32(row(head_i8_, v), h, H);
    else if (!embed_bf16_.empty()) logits[v] = dot_bf16_f32(row(embed_bf16_, v), h, H);
    else logits[v] = dot_f32(h, row(embed_, v), H);
  };
  auto four = [&](const int (&v)[4]) {
    float out[4];
    if (!head_i8_.empty()) {
      const int8_t* w[4] = {row(head_i8_, v[0]), row(head_i8_, v[1]), row(head_i8_, v[2]), row(head_i8_, v[3])};
      dot4_i8_f32(w, h, H, out);
      for (int j = 0; j < 4; ++j) logits[v[j]] = head_scale_[v[j]] * out[j];
    } else if (!embed_bf16_.empty()) {
      const uint16_t* w[4] = {row(embed_bf16_, v[0]), row(embed_bf16_, v[1]), row(embed_bf16_, v[2]), row(embed_bf16_, v[3])};
      dot4_bf16_f32(w, h, H, out);
      for (int j = 0; j < 4; ++j) logits[v[j]] = out[j];
    } else {
      for (int j = 0; j < 4; ++j) one(v[j]);
    }
  };
  // Each thread streams the four quarters of its rows at once, then the rows left over.
  auto body = [&](int tid, int nth) {
    const int v0 = static_cast<int>(static_cast<int64_t>(V) * tid / nth), v1 = static_cast<int>(static_cast<int64_t>(V) * (tid + 1) / nth);
    const int per = (v1 - v0) / 4;
    for (int r = 0; r < per; ++r) four({v0 + r, v0 + per + r, v0 + 2 * per + r, v0 + 3 * per + r});
    for (int v = v0 + 4 * per; v < v1; ++v) one(v);
  };
  pool_->run(body);
}

void CpuEngine::forward(const int* ids, int n, bool all_logits, std::vector<float>& logits) {
  check_forward(ids, n);
  const auto start = Clock::now();
  const EngineProfile before = prof_;
  const int H = dims_.hidden, I = dims_.inter, hd = dims_.head_dim;
  const int qdim = dims_.heads * hd, kvdim = dims_.kv_heads * hd;
  auto& [x, h, q, k, v, o, g, u, attn, mlp, acts] = buf_;
  x.resize(static_cast<std::size_t>(n) * H);
  h.resize(x.size());
  for (int t = 0; t < n; ++t) embed_row(ids[t], &x[static_cast<std::size_t>(t) * H]);
  for (int l = 0; l < dims_.layers; ++l) {
    Layer& L = layers_[l];
    for (int t = 0; t < n; ++t) rmsnorm_f32(&x[t * H], L.input_norm.data(), dims_.eps, H, &h[t * H]);
    { Timed t{prof_.quantize_s}; quantize_acts(h.data(), n, H, H, acts); }  // once for q, k and v
    matmul(Projection::q, L.q, acts, q);
    matmul(Projection::k, L.k, acts, k);
    matmul(Projection::v, L.v, acts, v);
    float* kc = &kcache_[(static_cast<std::size_t>(l) * ctx_ + pos_) * kvdim];
    float* vc = &vcache_[(static_cast<std::size_t>(l) * ctx_ + pos_) * kvdim];
    for (int t = 0; t < n; ++t) {
      apply_rope(&q[static_cast<std::size_t>(t) * qdim], dims_.heads, hd, pos_ + t, inv_freq_);
      apply_rope(&k[static_cast<std::size_t>(t) * kvdim], dims_.kv_heads, hd, pos_ + t, inv_freq_);
    }
    std::copy(k.begin(), k.end(), kc);
    std::copy(v.begin(), v.end(), vc);
    attention(l, n, q, attn);
    for (int t = 0; t < n; ++t) rmsnorm_f32(&attn[t * qdim], L.attn_sub_norm.data(), dims_.eps, qdim, &attn[t * qdim]);
    { Timed t{prof_.quantize_s}; quantize_acts(attn.data(), n, qdim, qdim, acts); }
    matmul(Projection::o, L.o, acts, o);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] += o[i];
    for (int t = 0; t < n; ++t) rmsnorm_f32(&x[t * H], L.post_attn_norm.data(), dims_.eps, H, &h[t * H]);
    { Timed t{prof_.quantize_s}; quantize_acts(h.data(), n, H, H, acts); }  // once for gate and up
    matmul(Projection::gate, L.gate, acts, g);
    matmul(Projection::up, L.up, acts, u);
    mlp.resize(g.size());
    for (std::size_t i = 0; i < g.size(); ++i) {
      const float r = std::max(g[i], 0.0f);
      mlp[i] = r * r * u[i];
    }
    for (int t = 0; t < n; ++t)
      rmsnorm_f32(&mlp[static_cast<std::size_t>(t) * I], L.ffn_sub_norm.data(), dims_.eps, I, &mlp[static_cast<std::size_t>(t) * I]);
    { Timed t{prof_.quantize_s}; quantize_acts(mlp.data(), n, I, I, acts); }
    matmul(Projection::down, L.down, acts, o);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] += o[i];
  }
  pos_ += n;
  const int first = all_logits ? 0 : n - 1;
  logits.resize(static_cast<std::size_t>(n - first) * dims_.vocab);
  for (int t = first; t < n; ++t) {
    rmsnorm_f32(&x[t * H], final_norm_.data(), dims_.eps, H, &h[t * H]);
    lm_head(&h[t * H], &logits[static_cast<std::size_t>(t - first) * dims_.vocab]);
  }
  prof_.end_call(std::chrono::duration<double>(Clock::now() - start).count(), before);
}

void CpuEngine::embed_row(int id, float* out) const {
  const std::size_t H = static_cast<std::size_t>(dims_.hidden);
  if (embed_bf16_.empty()) {
    std::copy_n(&embed_[id * H], H, out);
  } else {
    for (std::size_t i = 0; i < H; ++i) out[i] = bf16_to_f32(embed_bf16_[id * H + i]);
  }
}

std::string CpuEngine::device() const { return fmt::format("cpu ({} threads)", pool_->size()); }

std::string CpuEngine::kernel_summary() const {
  std::map<std::string, std::string> rows;
  if (layers_.empty()) return "";
  const Layer& L = layers_.front();
  for (auto [name, pm] : {std::pair{"q,o", &L.q}, {"k,v", &L.k}, {"gate,up", &L.gate}, {"down", &L.down}})
    rows[name] = fmt::format("{:<8} {}x{}: decode {} | prefill {}", name, pm->packed.M, pm->packed.K, pm->gemv_desc,
                             pm->gemm_desc);
  std::string s;
  for (const char* name : {"q,o", "k,v", "gate,up", "down"}) s += rows[name] + "\n";
  return s;
}

namespace {

// Bytes of one of the packed copies (decode's or prefill's own) over every projection.
template <class Layers>
std::size_t packed_bytes(const Layers& layers, PackedWeights PreparedMatmul::*copy) {
  std::size_t b = 0;
  for (const auto& L : layers)
    for (const PreparedMatmul* pm : {&L.q, &L.k, &L.v, &L.o, &L.gate, &L.up, &L.down}) b += (pm->*copy).size_bytes();
  return b;
}

}  // namespace

std::size_t CpuEngine::weight_bytes() const { return packed_bytes(layers_, &PreparedMatmul::packed); }

std::size_t CpuEngine::prefill_copy_bytes() const { return packed_bytes(layers_, &PreparedMatmul::prefill_packed); }

std::size_t CpuEngine::bytes_per_token() const {
  std::size_t b = weight_bytes() + final_norm_.size() * sizeof(float);
  b += !head_i8_.empty() ? head_i8_.size() + head_scale_.size() * sizeof(float)
       : !embed_bf16_.empty() ? embed_bf16_.size() * sizeof(uint16_t) : embed_.size() * sizeof(float);
  for (const Layer& L : layers_)
    b += (L.input_norm.size() + L.attn_sub_norm.size() + L.post_attn_norm.size() + L.ffn_sub_norm.size()) * sizeof(float);
  return b;
}

std::size_t CpuEngine::memory_bytes() const {
  std::size_t b = weight_bytes() + prefill_copy_bytes() + embed_bf16_.size() * sizeof(uint16_t) + head_i8_.size() + head_scale_.size() * 4 +
                  (embed_.size() + final_norm_.size() + kcache_.size() + vcache_.size()) * sizeof(float);
  for (const Layer& L : layers_)
    b += (L.input_norm.size() + L.attn_sub_norm.size() + L.post_attn_norm.size() + L.ffn_sub_norm.size()) * sizeof(float);
  return b;
}

}  // namespace trine
