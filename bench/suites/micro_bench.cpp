// Google Benchmark suite: activation quantization (once per token and projection input, so it
// sits on the decode path), the roofline probes (DRAM read bandwidth, int8 multiply-add peak)
// and, in a JIT build, the kernels themselves (kernel_suite.cpp).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <vector>

#include "bench/roofline.h"
#include "runtime/host.h"
#include "runtime/quantize.h"

namespace {

void BM_QuantizeActs(benchmark::State& state) {
  const int K = static_cast<int>(state.range(0)), N = static_cast<int>(state.range(1));
  std::vector<float> x(static_cast<size_t>(N) * K);
  std::mt19937 rng(1);
  std::normal_distribution<float> g;
  for (float& v : x) v = g(rng);
  trine::QuantizedActs q;
  for (auto _ : state) {
    trine::quantize_acts(x.data(), N, K, K, q);
    benchmark::DoNotOptimize(q.q.data());
  }
  state.SetItemsProcessed(state.iterations() * N * K);
}
BENCHMARK(BM_QuantizeActs)->Args({2560, 1})->Args({6912, 1})->Args({2560, 128});

void BM_Int8Peak(benchmark::State& state) {
  trine::ThreadPool pool(static_cast<int>(state.range(0)));
  const trine::Isa isa = trine::usable_isas(trine::host_info()).front();
  for (auto _ : state) state.counters["GMAC/s"] = trine::bench::int8_peak_gmacs(pool, isa);
}
BENCHMARK(BM_Int8Peak)->Arg(1)->Arg(2)->UseRealTime();

void BM_ReadBandwidth(benchmark::State& state) {
  trine::ThreadPool pool(static_cast<int>(state.range(0)));
  trine::bench::ReadProbe probe(pool, trine::bench::read_probe_bytes(trine::host_info()));
  for (auto _ : state) state.counters["GB/s"] = probe.gbps();
}
BENCHMARK(BM_ReadBandwidth)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

#if TRINE_HAVE_JIT
void trine_register_kernel_benchmarks();  // kernel_suite.cpp
#endif

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
#if TRINE_HAVE_JIT
  try {
    trine_register_kernel_benchmarks();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trine_bench_micro: kernel benchmarks not registered: %s\n", e.what());
  }
#endif
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
