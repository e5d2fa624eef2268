#include "gpu/cuda_engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "runtime/attention.h"
#include "runtime/error.h"
#include "runtime/kernel_abi.h"
#include "runtime/quantize.h"
#include "runtime/vec_math.h"
#include "templates/cuda/model_ops.cuh"

namespace trine::gpu {

namespace {

// Prompts run in chunks of at most this many tokens (exactly as if fed one chunk after another:
// every kernel is exact in N), which bounds the activations and the attention scratch.
constexpr int kMaxChunk = 256;
constexpr unsigned kOpThreads = trine_cuda::kOpThreads;

unsigned blocks_for(long long count) {
  return static_cast<unsigned>(std::clamp<long long>((count + kOpThreads - 1) / kOpThreads, 1, 65535));
}

// Launches an op kernel; every argument must have the exact type of the kernel's parameter.
template <class... A>
void run(const void* kernel, unsigned grid_x, unsigned grid_y, const char* what, A... args) {
  void* params[] = {static_cast<void*>(&args)...};
  launch(kernel, grid_x, grid_y, kOpThreads, params, what);
}

template <class T>
Buffer upload(const T* data, std::size_t count, std::size_t& total) {
  Buffer b(count * sizeof(T));
  if (count) b.upload(data, count * sizeof(T));
  total += b.size();
  return b;
}

}  // namespace

struct CudaEngine::Ops {
  const void *embed, *rmsnorm, *quantize, *rope, *attention, *add, *relu2_mul, *lm_head;
  explicit Ops(const Module& m)
      : embed(m.kernel("trine_op_embed")),
        rmsnorm(m.kernel("trine_op_rmsnorm")),
        quantize(m.kernel("trine_op_quantize")),
        rope(m.kernel("trine_op_rope")),
        attention(m.kernel("trine_op_attention")),
        add(m.kernel("trine_op_add")),
        relu2_mul(m.kernel("trine_op_relu2_mul")),
        lm_head(m.kernel("trine_op_lm_head")) {}
};

struct CudaEngine::Proj {
  Buffer w;
  float wscale = 0;
  int M = 0, K = 0;
  const CudaKernelChoice* gemv = nullptr;
  const CudaKernelChoice* gemm = nullptr;
  const void* gemv_kernel = nullptr;
  const void* gemm_kernel = nullptr;
};

struct CudaEngine::Layer {
  Proj q, k, v, o, gate, up, down;
  Buffer input_norm, attn_sub_norm, post_attn_norm, ffn_sub_norm;
};

// Activations of one chunk of tokens, sized for kMaxChunk, and the quantized activations with
// the epilogue factors of the (up to three) projections that read them.
struct CudaEngine::Acts {
  Buffer ids, x, h, q, attn, o, g, u, act_q, qsum, s, scale[3], scratch, logits;
  Timer timer;
};

CudaEngine::CudaEngine(const Device& dev, ModelWeights w, int context_length, const CudaModelKernels& kernels,
                       const EngineOptions& opt)
    : Engine(w.dims, context_length, opt), dev_(dev), profile_(opt.profile) {
  const ModelDims& d = dims_;
  if (d.head_dim % 2 || d.kv_heads <= 0 || d.heads % d.kv_heads)
    throw Error(fmt::format("--device cuda: unsupported attention shape ({} heads, {} kv heads, head_dim {})", d.heads,
                            d.kv_heads, d.head_dim));
  ops_module_ = std::make_unique<Module>(kernels.ops_cubin);
  mm_module_ = std::make_unique<Module>(kernels.matmul_cubin);
  ops_ = std::make_unique<Ops>(*ops_module_);

  // The embedding lookup is exact: bf16 when every value is (published checkpoints), else fp32.
  if (exact_in_bf16(w.embed.data(), w.embed.size())) {
    std::vector<uint16_t> bf(w.embed.size());
    to_bf16_exact(w.embed.data(), w.embed.size(), bf.data());
    embed_ = upload(bf.data(), bf.size(), memory_);
    embed_bf16_ = true;
  } else {
    embed_ = upload(w.embed.data(), w.embed.size(), memory_);
  }
  if (opt.lm_head_int8) {
    std::vector<int8_t> q(w.embed.size());
    std::vector<float> scale(static_cast<std::size_t>(d.vocab));
    for (int v = 0; v < d.vocab; ++v) {
      const std::size_t at = static_cast<std::size_t>(v) * d.hidden;
      scale[static_cast<std::size_t>(v)] = quantize_row_i8(&w.embed[at], d.hidden, &q[at]);
    }
    head_i8_ = upload(q.data(), q.size(), memory_);
    head_scale_ = upload(scale.data(), scale.size(), memory_);
  }
  w.embed = {};
  final_norm_ = upload(w.final_norm.data(), w.final_norm.size(), memory_);
  const std::vector<float> cs = rope_table(rope_inv_freq(d.rope_theta, d.head_dim), ctx_);
  rope_cs_ = upload(cs.data(), cs.size(), memory_);

  matmuls_ = kernels.matmuls;  // each Proj points at its choices in this copy
  std::map<std::pair<Op, std::pair<int, int>>, const void*> loaded;
  auto kernel_of = [&](const CudaKernelChoice& c) {
    const void*& k = loaded[{c.op, {c.M, c.K}}];
    if (!k) k = mm_module_->kernel(c.config.symbol());
    return k;
  };
  auto prepare = [&](TernaryMatrix& W) {
    Proj p;
    const PackedWeights packed = pack_cuda(W);
    p.w = upload(packed.bytes.data(), packed.size_bytes(), memory_);
    p.wscale = W.wscale, p.M = W.M, p.K = W.K;
    p.gemv = &pick_cuda_kernel(matmuls_, Op::gemv, W.M, W.K);
    p.gemm = &pick_cuda_kernel(matmuls_, Op::gemm, W.M, W.K);
    p.gemv_kernel = kernel_of(*p.gemv);
    p.gemm_kernel = kernel_of(*p.gemm);
    W.w = {};
    return p;
  };
  for (LayerWeights& L : w.layers) {
    Layer l;
    l.q = prepare(L.q), l.k = prepare(L.k), l.v = prepare(L.v), l.o = prepare(L.o);
    l.gate = prepare(L.gate), l.up = prepare(L.up), l.down = prepare(L.down);
    l.input_norm = upload(L.input_norm.data(), L.input_norm.size(), memory_);
    l.attn_sub_norm = upload(L.attn_sub_norm.data(), L.attn_sub_norm.size(), memory_);
    l.post_attn_norm = upload(L.post_attn_norm.data(), L.post_attn_norm.size(), memory_);
    l.ffn_sub_norm = upload(L.ffn_sub_norm.data(), L.ffn_sub_norm.size(), memory_);
    layers_.push_back(std::move(l));
    L = LayerWeights{};  // host memory goes as each layer lands on the device
  }
  const std::size_t kv = static_cast<std::size_t>(d.layers) * ctx_ * d.kv_heads * d.head_dim * sizeof(float);
  kcache_ = Buffer(kv), vcache_ = Buffer(kv);
  memory_ += 2 * kv;

  acts_ = std::make_unique<Acts>();
  Acts& a = *acts_;
  const std::size_t T = kMaxChunk, qdim = static_cast<std::size_t>(d.heads) * d.head_dim;
  const std::size_t q_stride = static_cast<std::size_t>(act_stride(std::max({d.hidden, d.inter, static_cast<int>(qdim)})));
  auto alloc = [&](std::size_t bytes) {
    Buffer b(bytes);
    b.zero();
    memory_ += bytes;
    return b;
  };
  a.ids = alloc(T * sizeof(int));
  a.x = alloc(T * d.hidden * 4), a.h = alloc(T * d.hidden * 4), a.o = alloc(T * d.hidden * 4);
  a.q = alloc(T * qdim * 4), a.attn = alloc(T * qdim * 4);
  a.g = alloc(T * d.inter * 4), a.u = alloc(T * d.inter * 4);
  a.act_q = alloc(T * q_stride + TRINE_ACT_SLACK);
  a.qsum = alloc(T * 4), a.s = alloc(T * 4);
  for (Buffer& b : a.scale) b = alloc(T * 4);
  a.scratch = alloc(T * d.heads * static_cast<std::size_t>(ctx_) * 4);
  a.logits = alloc(T * d.vocab * 4);
}

CudaEngine::~CudaEngine() = default;

std::string CudaEngine::device() const { return fmt::format("cuda: {} ({})", dev_.name, dev_.arch()); }

// Events time only the work between them on the stream: whatever is left untimed (norms, adds,
// the embedding) lands in other_s as wall time minus the timed phases, as on the CPU.
template <class F>
void CudaEngine::timed(double& acc, F&& f) {
  if (!profile_) return f();
  acts_->timer.start();
  f();
  acc += acts_->timer.stop_seconds();
}

void CudaEngine::rmsnorm(const float* x, const Buffer& w, int n, int D, float* y) {
  run(ops_->rmsnorm, static_cast<unsigned>(n), 1, "trine_op_rmsnorm", x, w.as<const float>(), dims_.eps, D, y);
}

void CudaEngine::quantize(const float* x, int n, int D, std::initializer_list<const Proj*> projs) {
  Acts& a = *acts_;
  trine_quant_scales sc{};
  for (const Proj* p : projs) {
    sc.wscale[sc.count] = p->wscale;
    sc.out[sc.count] = a.scale[sc.count].as<float>();
    ++sc.count;
  }
  timed(prof_.quantize_s, [&] {
    run(ops_->quantize, static_cast<unsigned>(n), 1, "trine_op_quantize", x, D, a.act_q.as<signed char>(),
        static_cast<long long>(act_stride(D)), a.qsum.as<int>(), a.s.as<float>(), sc);
  });
}

void CudaEngine::matmul(Projection which, const Proj& p, int slot, int n, float* y, int y_stride) {
  Acts& a = *acts_;
  const trine_cuda_args args{p.w.as<unsigned char>(), a.act_q.as<signed char>(), a.qsum.as<int>(),
                             a.scale[slot].as<float>(), y, static_cast<long long>(act_stride(p.K)), y_stride,
                             p.M, p.K, n};
  const CudaKernelChoice& c = n == 1 ? *p.gemv : *p.gemm;
  double s = 0;
  timed(s, [&] { launch(n == 1 ? p.gemv_kernel : p.gemm_kernel, c.config, args); });
  prof_.add_matmul(which, s, p.w.size());
}

void CudaEngine::add(float* x, const float* d, long long count) {
  run(ops_->add, blocks_for(count), 1, "trine_op_add", x, d, count);
}

void CudaEngine::layer(int l, int n) {
  const ModelDims& d = dims_;
  Acts& a = *acts_;
  Layer& L = layers_[static_cast<std::size_t>(l)];
  const int H = d.hidden, I = d.inter, hd = d.head_dim, qdim = d.heads * hd, kvdim = d.kv_heads * hd;
  float *x = a.x.as<float>(), *h = a.h.as<float>(), *q = a.q.as<float>(), *attn = a.attn.as<float>();
  float *o = a.o.as<float>(), *g = a.g.as<float>(), *u = a.u.as<float>();
  const std::size_t layer_at = static_cast<std::size_t>(l) * ctx_ * kvdim;
  float* K = kcache_.as<float>() + layer_at;
  float* V = vcache_.as<float>() + layer_at;
  float* kc = K + static_cast<std::size_t>(pos_) * kvdim;  // k and v land in the cache directly
  float* vc = V + static_cast<std::size_t>(pos_) * kvdim;

  rmsnorm(x, L.input_norm, n, H, h);
  quantize(h, n, H, {&L.q, &L.k, &L.v});
  matmul(Projection::q, L.q, 0, n, q, qdim);
  matmul(Projection::k, L.k, 1, n, kc, kvdim);
  matmul(Projection::v, L.v, 2, n, vc, kvdim);
  timed(prof_.attention_s, [&] {
    run(ops_->rope, static_cast<unsigned>(n), 1, "trine_op_rope", q, static_cast<long long>(qdim), d.heads, hd, pos_,
        rope_cs_.as<const float>());
    run(ops_->rope, static_cast<unsigned>(n), 1, "trine_op_rope", kc, static_cast<long long>(kvdim), d.kv_heads, hd, pos_,
        rope_cs_.as<const float>());
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    run(ops_->attention, static_cast<unsigned>(d.heads), static_cast<unsigned>(n), "trine_op_attention",
        static_cast<const float*>(q), static_cast<const float*>(K), static_cast<const float*>(V), pos_, d.heads,
        d.heads / d.kv_heads, hd, kvdim, scale, a.scratch.as<float>(), ctx_, attn);
  });
  rmsnorm(attn, L.attn_sub_norm, n, qdim, attn);
  quantize(attn, n, qdim, {&L.o});
  matmul(Projection::o, L.o, 0, n, o, H);
  add(x, o, static_cast<long long>(n) * H);
  rmsnorm(x, L.post_attn_norm, n, H, h);
  quantize(h, n, H, {&L.gate, &L.up});
  matmul(Projection::gate, L.gate, 0, n, g, I);
  matmul(Projection::up, L.up, 1, n, u, I);
  const long long count = static_cast<long long>(n) * I;
  run(ops_->relu2_mul, blocks_for(count), 1, "trine_op_relu2_mul", static_cast<const float*>(g),
      static_cast<const float*>(u), g, count);
  rmsnorm(g, L.ffn_sub_norm, n, I, g);
  quantize(g, n, I, {&L.down});
  matmul(Projection::down, L.down, 0, n, o, H);
  add(x, o, static_cast<long long>(n) * H);
}

void CudaEngine::forward_chunk(const int* ids, int n, int first, float* out) {
  const ModelDims& d = dims_;
  Acts& a = *acts_;
  a.ids.upload(ids, sizeof(int) * static_cast<std::size_t>(n));
  run(ops_->embed, static_cast<unsigned>(n), 1, "trine_op_embed", static_cast<const void*>(embed_.as<void>()),
      embed_bf16_ ? 1 : 0, static_cast<const int*>(a.ids.as<int>()), d.hidden, a.x.as<float>());
  for (int l = 0; l < d.layers; ++l) layer(l, n);
  pos_ += n;
  if (first >= n) return;
  const int rows = n - first;
  const std::size_t H = static_cast<std::size_t>(d.hidden);
  float* h = a.h.as<float>() + first * H;
  rmsnorm(a.x.as<float>() + first * H, final_norm_, rows, d.hidden, h);
  const bool i8 = head_i8_.size() > 0;
  const void* table = i8 ? head_i8_.as<void>() : embed_.as<void>();
  const int kind = i8 ? 2 : embed_bf16_ ? 1 : 0;
  const unsigned grid = static_cast<unsigned>((d.vocab + kOpThreads / 32 - 1) / (kOpThreads / 32));
  timed(prof_.lm_head_s, [&] {
    for (int t = 0; t < rows; ++t)
      run(ops_->lm_head, grid, 1, "trine_op_lm_head", table, kind, static_cast<const float*>(head_scale_.as<float>()),
          static_cast<const float*>(h + t * H), d.hidden, d.vocab, a.logits.as<float>() + static_cast<std::size_t>(t) * d.vocab);
  });
  a.logits.download(out, sizeof(float) * static_cast<std::size_t>(rows) * d.vocab);  // waits for the chunk
}

void CudaEngine::forward(const int* ids, int n, bool all_logits, std::vector<float>& logits) {
  check_forward(ids, n);
  const auto start = std::chrono::steady_clock::now();
  const EngineProfile before = prof_;
  const std::size_t V = static_cast<std::size_t>(dims_.vocab);
  logits.resize((all_logits ? static_cast<std::size_t>(n) : 1) * V);
  for (int c0 = 0; c0 < n; c0 += kMaxChunk) {
    const int m = std::min(kMaxChunk, n - c0);
    // Every token's logits, or only the last token's from the last chunk.
    const int first = all_logits ? 0 : c0 + m == n ? m - 1 : m;
    forward_chunk(ids + c0, m, first, logits.data() + (all_logits ? static_cast<std::size_t>(c0) * V : 0));
  }
  prof_.end_call(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), before);
}

std::string CudaEngine::kernel_summary() const {
  if (layers_.empty()) return "";
  const Layer& L = layers_.front();
  auto text = [](const CudaKernelChoice& c) { return c.config.str() + (c.tuned() ? " (tuned)" : " (default)"); };
  std::string s;
  for (auto [name, p] : {std::pair{"q,o", &L.q}, {"k,v", &L.k}, {"gate,up", &L.gate}, {"down", &L.down}})
    s += fmt::format("{:<8} {}x{}: decode {} | prefill {}\n", name, p->M, p->K, text(*p->gemv), text(*p->gemm));
  return s;
}

std::size_t CudaEngine::weight_bytes() const {
  std::size_t b = 0;
  for (const Layer& L : layers_)
    for (const Proj* p : {&L.q, &L.k, &L.v, &L.o, &L.gate, &L.up, &L.down}) b += p->w.size();
  return b;
}

std::size_t CudaEngine::bytes_per_token() const {
  std::size_t b = weight_bytes() + final_norm_.size();
  b += head_i8_.size() > 0 ? head_i8_.size() + head_scale_.size() : embed_.size();
  for (const Layer& L : layers_)
    b += L.input_norm.size() + L.attn_sub_norm.size() + L.post_attn_norm.size() + L.ffn_sub_norm.size();
  return b;
}

std::size_t CudaEngine::memory_bytes() const { return memory_; }

}  // namespace trine::gpu
