#include "codegen/resolve.h"

#include <algorithm>

#include <fmt/format.h>

#include "runtime/error.h"

namespace trine::codegen {

std::vector<Resolved> resolve_kernels(const std::vector<KernelChoice>& choices, CompilerSet& compilers) {
  std::vector<Resolved> out;
  for (const KernelChoice& c : choices) {
    const Family& fam = family_by_name(c.family);
    out.push_back(Resolved{c, &fam, fam.candidate(c.isa, c.config), nullptr});
  }
  for (const Family* fam : all_families()) {
    for (Isa isa : all_isas()) {
      std::vector<Candidate> mine;
      for (const Resolved& r : out)
        if (r.family == fam && r.cand.isa == isa && std::find(mine.begin(), mine.end(), r.cand) == mine.end())
          mine.push_back(r.cand);
      if (!mine.empty()) compilers.for_isa(isa).compile(*fam, mine);
    }
  }
  for (Resolved& r : out) {
    const Compiled& comp = compilers.for_isa(r.cand.isa).get(r.cand);
    if (!comp.fn) throw Error(fmt::format("kernel {} {} {} failed to compile: {}", r.cand.family, isa_name(r.cand.isa),
                                          r.cand.config, comp.error));
    r.fn = comp.fn;
  }
  return out;
}

}  // namespace trine::codegen
