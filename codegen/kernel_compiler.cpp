#include "codegen/kernel_compiler.h"

#include <fmt/format.h>

namespace trine::codegen {

void KernelCompiler::compile(const Family& family, const std::vector<Candidate>& cands, const Progress& progress) {
  std::vector<Candidate> todo;
  for (const Candidate& c : cands)
    if (!done_.count(c.symbol)) todo.push_back(c);
  for (std::size_t i = 0; i < todo.size(); i += kBatch) {
    const std::size_t end = std::min(todo.size(), i + kBatch);
    compile_batch(family, std::vector<Candidate>(todo.begin() + i, todo.begin() + end));
    if (progress) progress(static_cast<int>(end), static_cast<int>(todo.size()));
  }
}

void KernelCompiler::compile_batch(const Family& family, const std::vector<Candidate>& batch) {
  const std::string name = fmt::format("{}_{}_{}", family.name(), isa_name(batch.front().isa), batch.front().symbol);
  try {
    const jit::ModuleId mod = jit_.add(name, family.source(batch), family.headers());
    for (const Candidate& c : batch) done_[c.symbol].fn = reinterpret_cast<trine_gemm_fn>(jit_.lookup(mod, c.symbol));
    return;
  } catch (const Error& e) {
    if (batch.size() == 1) {
      done_[batch.front().symbol].error = e.what();
      return;
    }
  }
  // One bad candidate must not sink its batch: retry each alone.
  for (const Candidate& c : batch) compile_batch(family, {c});
}

const Compiled& KernelCompiler::get(const Candidate& cand) const {
  static const Compiled missing{nullptr, "not compiled"};
  auto it = done_.find(cand.symbol);
  return it == done_.end() ? missing : it->second;
}

KernelCompiler& CompilerSet::for_isa(Isa isa) {
  auto it = compilers_.find(isa);
  if (it != compilers_.end()) return *it->second;
  auto jit = std::make_unique<jit::Jit>(jit::host_target_capped(isa), cache_dir_);
  auto comp = std::make_unique<KernelCompiler>(*jit);
  jits_[isa] = std::move(jit);
  return *(compilers_[isa] = std::move(comp));
}

jit::Counters CompilerSet::counters() const {
  jit::Counters sum;
  for (const auto& [isa, j] : jits_) {
    sum.compiles += j->counters().compiles;
    sum.cache_hits += j->counters().cache_hits;
    sum.compile_seconds += j->counters().compile_seconds;
  }
  return sum;
}

}  // namespace trine::codegen
