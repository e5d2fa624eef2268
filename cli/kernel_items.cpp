#include "cli/kernel_items.h"

#include "codegen/family.h"
#include "codegen/resolve.h"

namespace trine::cli {

namespace {

std::optional<Winner> family_winner(const TuningDb& db, const TuneKey& key, const std::vector<Isa>& isas,
                                    const std::string& family) {
  std::optional<Winner> best;
  for (Isa isa : isas) {
    TuneKey k = key;
    k.isa = isa_name(isa);
    std::optional<Winner> w = db.winner(k);
    if (w && w->family == family && (!best || w->stats.median_s < best->stats.median_s)) best = std::move(w);
  }
  return best;
}

std::optional<codegen::Candidate> family_default(const codegen::Family& fam, const std::vector<Isa>& isas, Op op) {
  for (Isa isa : isas)
    if (!fam.space(isa, op).empty()) return fam.default_candidate(isa, op);
  return std::nullopt;
}

}  // namespace

std::vector<KernelVariant> family_variants(const TuningDb* db, const TuneKey& key, const std::vector<Isa>& isas) {
  const Op op = op_for_tokens(key.N);
  std::vector<KernelVariant> out;
  for (const codegen::Family* fam : codegen::all_families()) {
    const std::optional<codegen::Candidate> def = family_default(*fam, isas, op);
    const std::optional<Winner> win = db ? family_winner(*db, key, isas, fam->name()) : std::nullopt;
    bool winner_is_default = false;
    if (win) {
      const Isa isa = *parse_isa(win->key.isa);
      winner_is_default = def && def->isa == isa && def->config == win->config;
      out.push_back({KernelChoice{win->family, isa, win->config, win}, winner_is_default ? "winner = default" : "winner"});
    }
    if (def && !winner_is_default) out.push_back({KernelChoice{fam->name(), def->isa, def->config, std::nullopt}, "default"});
  }
  return out;
}

KernelItems build_items(const std::vector<codegen::Shape>& shapes, const std::vector<std::vector<KernelVariant>>& choices,
                        codegen::CompilerSet& compilers) {
  std::vector<KernelChoice> flat;
  for (const auto& per_shape : choices)
    for (const KernelVariant& v : per_shape) flat.push_back(v.choice);
  const std::vector<codegen::Resolved> kernels = codegen::resolve_kernels(flat, compilers);
  KernelItems out;
  std::size_t r = 0;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const codegen::Shape& s = shapes[i];
    const Problem& data = out.data.emplace_back(make_problem(ProblemKind::random, s.M, s.K, s.N, 99));
    for (const KernelVariant& v : choices[i]) {
      const codegen::Resolved& k = kernels[r++];
      bench::BenchItem it;
      it.label = s.label;
      it.M = s.M;
      it.K = s.K;
      it.N = s.N;
      it.family = k.cand.family;
      it.isa = isa_name(k.cand.isa);
      it.config = k.cand.config;
      it.tuned = k.choice.tuned();
      it.fn = k.fn;
      it.packed = k.family->pack(k.cand, data.W);
      it.data = &data;
      out.items.push_back(std::move(it));
      out.variants.push_back(v.variant);
    }
  }
  return out;
}

}  // namespace trine::cli
