#include "cli/kernel_items.h"

#include "codegen/family.h"
#include "codegen/resolve.h"

namespace trine::cli {

namespace {

// The family's fastest fully timed trial over the ISAs: the best it did, whether or not it won.
std::optional<Winner> family_best(const TuningDb& db, const TuneKey& key, const std::vector<Isa>& isas,
                                  const std::string& family) {
  std::optional<Winner> best;
  for (Isa isa : isas) {
    TuneKey k = key;
    k.isa = isa_name(isa);
    for (const Trial& t : db.trials(k))
      if (t.family == family && t.status == "ok" && t.stats.n > 0 && (!best || t.stats.median_s < best->stats.median_s))
        best = Winner{k, t.family, t.config, t.stats, 0, 0, 0};
  }
  return best;
}

bool same_kernel(const Winner& a, const std::optional<Winner>& b) {
  return b && a.key.isa == b->key.isa && a.family == b->family && a.config == b->config;
}

std::optional<codegen::Candidate> family_default(const codegen::Family& fam, const std::vector<Isa>& isas, Op op) {
  for (Isa isa : isas)
    if (fam.supports(isa) && !fam.space(isa, op).empty()) return fam.default_candidate(isa, op);
  return std::nullopt;
}

}  // namespace

std::vector<KernelVariant> family_variants(const TuningDb* db, const TuneKey& key, const std::vector<Isa>& isas,
                                           bool defaults_beside_tuned) {
  const Op op = op_for_tokens(key.N);
  std::vector<std::string> isa_names;
  for (Isa i : isas) isa_names.push_back(isa_name(i));
  const std::optional<Winner> overall = db ? db->best_winner(key, isa_names) : std::nullopt;
  std::vector<KernelVariant> out;
  for (const codegen::Family* fam : codegen::all_families()) {
    const std::optional<codegen::Candidate> def = family_default(*fam, isas, op);
    const std::optional<Winner> best = db ? family_best(*db, key, isas, fam->name()) : std::nullopt;
    bool best_is_default = false;
    if (best) {
      const Isa isa = *parse_isa(best->key.isa);
      best_is_default = def && def->isa == isa && def->config == best->config;
      std::string what = same_kernel(*best, overall) ? "winner" : "family best";
      if (best_is_default) what += " = default";
      out.push_back({KernelChoice{best->family, isa, best->config, best}, what});
    }
    if (def && !best_is_default && (defaults_beside_tuned || !best))
      out.push_back({KernelChoice{fam->name(), def->isa, def->config, std::nullopt}, "default"});
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
      it.in_layer = v.variant.rfind("winner", 0) == 0;
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
