// Google Benchmark cases for the ternary kernels on the 2B4T shapes: GEMV (N = 1) and GEMM
// (N = 128), every family's stored winner and default (the same list `trine report` times, from
// cli/kernel_items), and the scalar reference; each kernel in two modes: "dram" rotates over
// copies of the packed weights larger than the LLC (runtime/measure's ColdCopies, as the tuner
// times decode) and "hot" calls one copy that stays cached. Timings go through time_call, the
// tuner's own call timer. Environment: TRINE_THREADS (default all CPUs), TRINE_DB (default the
// user's tuning database).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <tuple>

#include <fmt/format.h>

#include "bench/report_kernels.h"
#include "cli/kernel_items.h"
#include "codegen/tuner.h"
#include "model/config.h"
#include "runtime/host.h"
#include "runtime/measure.h"

namespace {

using namespace trine;

int suite_threads() {
  const char* t = std::getenv("TRINE_THREADS");
  return t && std::atoi(t) > 0 ? std::atoi(t) : std::max(1, host_info().logical_cpus);
}

ThreadPool& pool() {
  static ThreadPool p(suite_threads());
  return p;
}

codegen::CompilerSet& compilers() {
  static codegen::CompilerSet c(jit::Jit::default_cache_dir());
  return c;
}

struct Case {
  codegen::Shape shape;
  cli::KernelVariant variant;
  bool dram = true;
};

// Compiled and packed on first use, so a filtered run compiles only what it times.
struct Prepared {
  cli::KernelItems items;
  GemmWorkspace ws;
  std::vector<float> y;
  std::unique_ptr<ColdCopies> cold;
  TimedKernel timed;
};

Prepared& prepare(const Case& c) {
  static std::map<std::string, std::unique_ptr<Prepared>> done;
  const std::string key = fmt::format("{}x{}x{} {} {} {}", c.shape.M, c.shape.K, c.shape.N, c.variant.choice.family,
                                      c.variant.choice.config, c.dram);
  auto& p = done[key];
  if (!p) {
    p = std::make_unique<Prepared>();
    p->items = cli::build_items({c.shape}, {{c.variant}}, compilers());
    const bench::BenchItem& it = p->items.items.front();
    p->ws.prepare(it.data->acts, it.packed.wscale, pool().size());
    p->y.resize(static_cast<std::size_t>(it.M) * it.N);
    p->timed.fn = it.fn;
    p->timed.args = make_gemm_args(it.packed.bytes.data(), it.M, it.K, it.data->acts, p->ws, p->y.data(), it.M);
  }
  if (c.dram && !p->cold) {
    // Only the case running needs its cold copies; keeping every case's would take gigabytes.
    for (auto& [k, other] : done) {
      other->cold.reset();
      other->timed.cold = nullptr;
    }
    const bench::BenchItem& it = p->items.items.front();
    p->cold = std::make_unique<ColdCopies>(it.packed.bytes.data(), it.packed.size_bytes(), cold_bytes_for(host_info().cache.l3));
    p->timed.cold = p->cold.get();
  }
  return *p;
}

void set_rates(benchmark::State& st, double bytes, double macs, double seconds) {
  const double n = static_cast<double>(st.iterations());
  st.counters["GB/s"] = bytes * n / seconds / 1e9;
  st.counters["GMAC/s"] = macs * n / seconds / 1e9;
}

void BM_Kernel(benchmark::State& st, const Case& c) {
  Prepared& p = prepare(c);
  time_call(pool(), p.timed);  // wakes the workers
  double total = 0;
  for (auto _ : st) {
    const double s = time_call(pool(), p.timed);
    st.SetIterationTime(s);
    total += s;
  }
  const bench::BenchItem& it = p.items.items.front();
  set_rates(st, static_cast<double>(it.packed.size_bytes()), static_cast<double>(it.M) * it.K * it.N, total);
  st.SetLabel(fmt::format("{} {} {}", it.isa, it.config, c.variant.variant));
}

// Single-threaded as written; it reads one int8 per weight and stays in cache between calls.
void BM_Reference(benchmark::State& st, const codegen::Shape& s) {
  static std::map<std::tuple<int, int, int>, Problem> problems;
  auto [it, fresh] = problems.try_emplace({s.M, s.K, s.N});
  if (fresh) it->second = make_problem(ProblemKind::random, s.M, s.K, s.N, 99);
  double total = 0;
  for (auto _ : st) {
    const double t = bench::time_reference(it->second, s.label, 1).stats.median_s;
    st.SetIterationTime(t);
    total += t;
  }
  set_rates(st, static_cast<double>(s.M) * s.K, static_cast<double>(s.M) * s.K * s.N, total);
}

std::vector<codegen::Shape> preset_shapes() {
  std::vector<codegen::Shape> out;
  const auto mats = model::matmul_shapes(model::preset_config("bitnet-2b4t"));
  for (int n : {1, 128})
    for (const auto& m : mats) out.push_back({m.M, m.K, n, m.names});
  return out;
}

}  // namespace

void trine_register_kernel_benchmarks() {
  const HostInfo& host = host_info();
  const std::vector<Isa> isas = usable_isas(host);
  if (isas.empty()) return;
  const char* db_path = std::getenv("TRINE_DB");
  const TuningDb db(db_path && *db_path ? db_path : TuningDb::default_path());
  const int threads = suite_threads();
  for (const codegen::Shape& s : preset_shapes()) {
    const Op op = op_for_tokens(s.N);
    const std::string shape = fmt::format("{}/{}/{}x{}x{}", op_name(op), s.label, s.M, s.K, s.N);
    const TuneKey key = codegen::make_key(host, jit::Jit::compiler_version(), op, s, threads, isas.front());
    for (const cli::KernelVariant& v : cli::family_variants(&db, key, isas, true))
      for (bool dram : {true, false}) {
        std::string variant = v.variant;  // "winner = default" -> "winner=default"
        variant.erase(std::remove(variant.begin(), variant.end(), ' '), variant.end());
        benchmark::RegisterBenchmark(fmt::format("kernel/{}/{}/{}/{}", shape, v.choice.family, variant, dram ? "dram" : "hot").c_str(),
                                     BM_Kernel, Case{s, v, dram})
            ->UseManualTime()
            ->Unit(benchmark::kMicrosecond);
      }
    // A 2560x6912 reference GEMM takes seconds: one call is enough to place it.
    auto* ref = benchmark::RegisterBenchmark(fmt::format("kernel/{}/reference/hot", shape).c_str(), BM_Reference, s)
                    ->UseManualTime()
                    ->Unit(benchmark::kMicrosecond);
    if (s.N > 1) ref->Iterations(1);
  }
}
