// The Halide family: the MAD math as a Halide pipeline (codegen/halide_pipeline.cpp), with its
// schedule knobs as the search space. Halide compiles it with its own JIT; a thin wrapper meets
// the kernel ABI: it picks the calling thread's row tiles and describes them to Halide with
// buffer descriptors on its stack, so trine's pool drives parallelism, not Halide's.
#include <HalideRuntime.h>

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <utility>

#include <fmt/format.h>

#include "codegen/family.h"
#include "codegen/halide_pipeline.h"
#include "runtime/error.h"
#include "runtime/halide_config.h"

namespace trine::codegen {

namespace {

// What a wrapper needs: the compiled pipeline and the knobs Halide never sees.
struct Slot {
  halide::RawFn fn = nullptr;
  int vb = 0, r = 0, nb = 1, g = 0;
};

// trine_gemm_fn carries no context, so each compiled candidate gets one of a fixed set of
// trampolines, each reading its own slot.
constexpr int kSlots = 1024;
std::array<Slot, kSlots> g_slots;
int g_used = 0;

halide_dimension_t dim(int64_t extent, int64_t stride) {
  halide_dimension_t d{};
  d.min = 0;
  d.extent = static_cast<int32_t>(extent);
  d.stride = static_cast<int32_t>(stride);
  return d;
}

halide_buffer_t buffer(const void* host, halide_type_t type, halide_dimension_t* dims, int n) {
  halide_buffer_t b{};
  b.host = static_cast<uint8_t*>(const_cast<void*>(host));
  b.type = type;
  b.dimensions = n;
  b.dim = dims;
  return b;
}

// Rows [m0, m1) of every token; m0 is a multiple of the block rows.
void run_rows(const Slot& s, const trine_gemm_args* a, int64_t m0, int64_t m1) {
  const mad::Layout lay{s.vb, s.r};
  const int64_t b0 = m0 / s.r, blocks = lay.blocks(a->M) - b0, bb = lay.block_bytes(a->K);
  halide_dimension_t wd[3] = {dim(s.vb, 1), dim(lay.chunks(a->K), s.vb), dim(blocks, bb)};
  halide_dimension_t qd[2] = {dim(a->q_stride, 1), dim(a->N, a->q_stride)};
  halide_dimension_t nd[1] = {dim(a->N, 1)};
  halide_dimension_t nd2[1] = {dim(a->N, 1)};
  halide_dimension_t yd[2] = {dim(m1 - m0, 1), dim(a->N, a->y_stride)};
  halide_buffer_t w = buffer(a->w + b0 * bb, halide_type_t(halide_type_uint, 8), wd, 3);
  halide_buffer_t q = buffer(a->q, halide_type_t(halide_type_int, 8), qd, 2);
  halide_buffer_t qs = buffer(a->qsum, halide_type_t(halide_type_int, 32), nd, 1);
  halide_buffer_t sc = buffer(a->scale, halide_type_t(halide_type_float, 32), nd2, 1);
  halide_buffer_t y = buffer(a->y + m0, halide_type_t(halide_type_float, 32), yd, 2);
  s.fn(&w, &q, &qs, &sc, static_cast<int>(blocks), &y);
}

void run(const Slot& s, const trine_gemm_args* a, int32_t tid, int32_t nthreads) {
  if (a->M <= 0 || a->N <= 0) return;
  const int64_t rows = static_cast<int64_t>(s.r) * s.nb, tiles = (a->M + rows - 1) / rows;
  if (s.g == 0) {
    const int64_t t0 = tiles * tid / nthreads, t1 = tiles * (tid + 1) / nthreads;
    if (t1 > t0) run_rows(s, a, t0 * rows, std::min<int64_t>(a->M, t1 * rows));
    return;
  }
  for (int64_t c = tid; c * s.g < tiles; c += nthreads)
    run_rows(s, a, c * s.g * rows, std::min<int64_t>(a->M, (c + 1) * s.g * rows));
}

template <int I>
void trampoline(const trine_gemm_args* a, int32_t tid, int32_t n) {
  run(g_slots[I], a, tid, n);
}

template <std::size_t... I>
constexpr std::array<trine_gemm_fn, sizeof...(I)> make_trampolines(std::index_sequence<I...>) {
  return {&trampoline<static_cast<int>(I)>...};
}
constexpr std::array<trine_gemm_fn, kSlots> g_trampolines = make_trampolines(std::make_index_sequence<kSlots>());

Candidate to_candidate(const HalideConfig& c) {
  return Candidate{"halide", c.isa, c.str(), c.symbol(), c.layout_key()};
}

halide::PipelineSpec spec_of(const HalideConfig& c) {
  halide::PipelineSpec s;
  s.vb = c.v;
  s.r = c.r;
  s.nb = c.nb;
  s.nt = c.nt;
  s.ku = c.ku;
  s.pf = c.pf;
  s.avx512 = c.isa == Isa::avx512vnni;
  s.vnni = c.isa == Isa::avx512vnni && c.v == 64;  // zmm only: see target_for
  return s;
}

// Halide compiles take seconds: the space stays small (every ISA/op space well under 30 s cold).
std::vector<HalideConfig> enumerate(Isa isa, Op op) {
  std::vector<HalideConfig> out;
  if (!halide_supports(isa)) return out;
  const bool wide = isa == Isa::avx512vnni;
  std::vector<int> nbs, nts, kus, pfs{0}, gs;
  if (op == Op::gemv) {
    nbs = wide ? std::vector<int>{2, 4, 8} : std::vector<int>{2, 4};
    nts = {1};
    kus = wide ? std::vector<int>{1, 2} : std::vector<int>{1};
    pfs = {0, 2048};
    gs = {0, 4};
  } else {
    nbs = {1, 2, 4};
    nts = wide ? std::vector<int>{2, 4, 8} : std::vector<int>{2, 4};
    kus = {1};
    gs = {0};
  }
  for (int nb : nbs) for (int nt : nts) for (int ku : kus) for (int pf : pfs) for (int g : gs) {
    HalideConfig c = halide_default(isa, op);
    c.nb = nb;
    c.nt = nt;
    c.ku = ku;
    c.pf = pf;
    c.g = g;
    if (c.violation().empty()) out.push_back(c);
  }
  return out;
}

class HalideFamily final : public Family {
 public:
  std::string name() const override { return "halide"; }
  bool supports(Isa isa) const override { return halide_supports(isa); }
  double nominal_bits_per_weight() const override { return 2.0; }

  std::vector<Candidate> space(Isa isa, Op op) const override {
    std::vector<Candidate> out;
    for (const HalideConfig& c : enumerate(isa, op)) out.push_back(to_candidate(c));
    return out;
  }

  Candidate default_candidate(Isa isa, Op op) const override { return to_candidate(halide_default(isa, op)); }

  Candidate candidate(Isa isa, const std::string& config) const override {
    return to_candidate(HalideConfig::parse(isa, config));
  }

  Candidate default_for_layout(const Candidate& owner, Op op) const override {
    // Every Halide config of an ISA reads the same layout.
    return default_candidate(owner.isa, op);
  }

  std::string source(const std::vector<Candidate>& cands) const override {
    throw Error("Halide kernels are compiled by Halide's JIT and have no C++ source (no AOT export)");
  }
  std::vector<jit::SourceFile> headers() const override { return {}; }

  bool compiles_natively() const override { return true; }

  std::vector<Native> compile_native(const std::vector<Candidate>& cands) const override {
    std::vector<Native> out;
    for (const Candidate& cand : cands) {
      Native n;
      try {
        const HalideConfig c = HalideConfig::parse(cand.isa, cand.config);
        const halide::PipelineSpec spec = spec_of(c);
        std::lock_guard<std::mutex> lock(mu_);
        if (auto done = fns_.find(cand.symbol); done != fns_.end()) {  // another KernelCompiler's
          n.fn = done->second;
          out.push_back(std::move(n));
          continue;
        }
        // Configs differing only in wrapper knobs (g) share one compiled pipeline.
        auto it = pipelines_.find(spec.key());
        if (it == pipelines_.end()) it = pipelines_.emplace(spec.key(), halide::compile(spec)).first;
        if (g_used >= kSlots) throw Error(fmt::format("out of Halide kernel slots ({})", kSlots));
        g_slots[g_used] = Slot{it->second, c.v, c.r, c.nb, c.g};
        n.fn = fns_[cand.symbol] = g_trampolines[g_used++];
      } catch (const Error& e) {
        n.error = e.what();
      }
      out.push_back(std::move(n));
    }
    return out;
  }

  PackedWeights pack(const Candidate& cand, const TernaryMatrix& W) const override {
    return pack_mad(W, HalideConfig::parse(cand.isa, cand.config).layout());
  }

 private:
  mutable std::mutex mu_;
  mutable std::map<std::string, halide::RawFn> pipelines_;  // by PipelineSpec::key()
  mutable std::map<std::string, trine_gemm_fn> fns_;        // by candidate symbol
};

}  // namespace

const Family& halide_family() {
  static const HalideFamily f;
  return f;
}

}  // namespace trine::codegen
