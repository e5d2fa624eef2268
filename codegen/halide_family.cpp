// The Halide family: the MAD math as a Halide pipeline (codegen/halide_pipeline.cpp), with its
// schedule knobs as the search space. Halide compiles each pipeline to an object that the JIT
// loads (and caches on disk like clang's); templates/cpu/halide_glue.h meets the kernel ABI: the
// calling thread picks its row tiles and describes them to Halide, so trine's pool drives
// parallelism, not Halide's. `trine aot` writes the same objects and glue into its trees.
#include <array>
#include <mutex>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "codegen/family.h"
#include "codegen/halide_pipeline.h"
#include "runtime/embedded_files.h"
#include "runtime/error.h"
#include "runtime/halide_config.h"
#include "templates/cpu/halide_glue.h"

namespace trine::codegen {

namespace {

// What a trampoline needs: the compiled pipeline and the knobs Halide never sees.
struct Slot {
  halide_glue::Pipeline fn = nullptr;
  halide_glue::Schedule schedule{};
};

// trine_gemm_fn carries no context, so each compiled candidate gets one of a fixed set of
// trampolines, each reading its own slot. Slots are never freed: a slot is reused when the same
// code runs the same schedule again.
constexpr int kSlots = 1024;
std::array<Slot, kSlots> g_slots;
int g_used = 0;

template <int I>
void trampoline(const trine_gemm_args* a, int32_t tid, int32_t n) {
  halide_glue::run(g_slots[I].fn, g_slots[I].schedule, a, tid, n);
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

  // The AOT wrappers: each candidate's entry point runs its pipeline (aot_objects) through the glue.
  std::string source(const std::vector<Candidate>& cands) const override {
    std::string decls, defs;
    std::set<std::string> declared;
    for (const Candidate& cand : cands) {
      const HalideConfig c = HalideConfig::parse(cand.isa, cand.config);
      const std::string pipe = halide::function_name(spec_of(c));
      if (declared.insert(pipe).second)
        decls += fmt::format("int {}(halide_buffer_t*, halide_buffer_t*, halide_buffer_t*, halide_buffer_t*, int32_t, "
                             "halide_buffer_t*);\n",
                             pipe);
      defs += fmt::format(
          "void {}(const trine_gemm_args* a, int32_t tid, int32_t n) {{\n"
          "  trine::halide_glue::run(&{}, trine::halide_glue::Schedule{{{}, {}, {}, {}}}, a, tid, n);\n}}\n",
          cand.symbol, pipe, c.v, c.r, c.nb, c.g);
    }
    return fmt::format(
        "// Halide kernels: wrappers of pipelines Halide compiled ({}), linked from the objects beside this file.\n"
        "#include \"templates/cpu/halide_glue.h\"\n\nextern \"C\" {{\n\n{}\n{}\n}}\n",
        halide::halide_version(), decls, defs);
  }
  std::vector<jit::SourceFile> headers() const override {
    std::vector<jit::SourceFile> out = embedded_headers();
    for (const EmbeddedFile& f : halide_runtime_files()) out.push_back({f.path, f.text});
    return out;
  }

  std::vector<ObjectFile> aot_objects(const std::vector<Candidate>& cands) const override {
    std::vector<ObjectFile> out;
    std::set<std::string> made;
    for (const Candidate& cand : cands) {
      const halide::PipelineSpec spec = spec_of(HalideConfig::parse(cand.isa, cand.config));
      const std::string name = halide::function_name(spec);
      if (made.insert(name).second) out.push_back({name + ".o", halide::object(spec)});
    }
    return out;
  }

  bool compiles_natively() const override { return true; }

  std::vector<Native> compile_native(jit::Jit& jit, const std::vector<Candidate>& cands) const override {
    std::vector<Native> out;
    for (const Candidate& cand : cands) {
      Native n;
      try {
        const HalideConfig c = HalideConfig::parse(cand.isa, cand.config);
        const halide::PipelineSpec spec = spec_of(c);
        const std::string name = halide::function_name(spec);
        // The Jit loads each object once; configs differing only in g share it.
        const jit::ModuleId mod = jit.add_object(
            name, {halide::halide_version(), halide::target_string(spec), spec.key(), name},
            [&] { return halide::object(spec); });
        const Slot slot{reinterpret_cast<halide_glue::Pipeline>(jit.lookup(mod, name)),
                        halide_glue::Schedule{c.v, c.r, c.nb, c.g}};
        n.fn = trampoline_for(slot);
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
  static trine_gemm_fn trampoline_for(const Slot& slot) {
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    for (int i = 0; i < g_used; ++i) {
      const Slot& s = g_slots[i];
      if (s.fn == slot.fn && s.schedule.vb == slot.schedule.vb && s.schedule.r == slot.schedule.r &&
          s.schedule.nb == slot.schedule.nb && s.schedule.g == slot.schedule.g)
        return g_trampolines[i];
    }
    if (g_used >= kSlots) throw Error(fmt::format("out of Halide kernel slots ({})", kSlots));
    g_slots[g_used] = slot;
    return g_trampolines[g_used++];
  }
};

}  // namespace

const Family& halide_family() {
  static const HalideFamily f;
  return f;
}

}  // namespace trine::codegen
