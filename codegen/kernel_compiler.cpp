#include "codegen/kernel_compiler.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

namespace trine::codegen {

namespace {

std::string unit_name(const Family& family, const std::vector<Candidate>& batch) {
  return fmt::format("{}_{}_{}", family.name(), isa_name(batch.front().isa), batch.front().symbol);
}

}  // namespace

void KernelCompiler::compile(const Family& family, const std::vector<Candidate>& cands, const Progress& progress) {
  std::vector<Candidate> todo;
  for (const Candidate& c : cands)
    if (!done_.count(c.symbol)) todo.push_back(c);
  if (family.compiles_natively()) {
    // One candidate at a time, so progress moves with each Halide compile.
    for (std::size_t i = 0; i < todo.size(); ++i) {
      std::vector<Family::Native> got = family.compile_native(jit_, {todo[i]});
      Compiled& c = done_[todo[i].symbol];
      if (got.size() == 1) {
        c.fn = got[0].fn;
        c.error = got[0].error;
      } else {
        c.error = "the family compiled no kernel";
      }
      if (progress) progress(static_cast<int>(i + 1), static_cast<int>(todo.size()));
    }
    return;
  }
  std::vector<std::vector<Candidate>> batches;
  for (std::size_t i = 0; i < todo.size(); i += kBatch)
    batches.emplace_back(todo.begin() + i, todo.begin() + std::min(todo.size(), i + kBatch));
  const std::vector<jit::SourceFile> headers = family.headers();
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Rounds of a few batches per thread: all threads busy, and progress still moves.
  const std::size_t per_round = static_cast<std::size_t>(2 * threads);
  std::size_t compiled = 0;
  for (std::size_t r = 0; r < batches.size(); r += per_round) {
    const std::size_t end = std::min(batches.size(), r + per_round);
    std::vector<jit::Jit::Unit> units;
    for (std::size_t b = r; b < end; ++b) units.push_back({unit_name(family, batches[b]), family.source(batches[b]), &headers});
    const std::vector<jit::Jit::Added> added = jit_.add_all(units, threads);
    for (std::size_t b = r; b < end; ++b) {
      const jit::Jit::Added& a = added[b - r];
      if (a.id) {
        for (const Candidate& c : batches[b]) done_[c.symbol].fn = reinterpret_cast<trine_gemm_fn>(jit_.lookup(a.id, c.symbol));
      } else if (batches[b].size() == 1) {
        done_[batches[b].front().symbol].error = a.error;
      } else {
        // One bad candidate must not sink its batch: retry each alone.
        for (const Candidate& c : batches[b]) compile_batch(family, {c});
      }
      compiled += batches[b].size();
    }
    if (progress) progress(static_cast<int>(compiled), static_cast<int>(todo.size()));
  }
}

void KernelCompiler::compile_batch(const Family& family, const std::vector<Candidate>& batch) {
  try {
    const jit::ModuleId mod = jit_.add(unit_name(family, batch), family.source(batch), family.headers());
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
