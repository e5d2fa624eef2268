// `trine bench -m`: end-to-end prefill and decode speed of a model, in JIT and AOT builds alike;
// `bench kernels` (cmd_bench_kernels.cpp) needs the JIT.
#include <fstream>

#include <fmt/format.h>

#include "bench/model_bench.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/model_setup.h"
#if TRINE_HAVE_CUDA && TRINE_HAVE_JIT
#include "cli/model_setup_cuda.h"
#endif
#include "runtime/error.h"

namespace trine::cli {

namespace {

// Each projection's decode matmuls as the model ran them, beside the bandwidth of the same run.
// Nothing when the engine did not time them (a GPU engine times its phases only under --profile).
void print_projection_rates(const std::vector<ProjectionRate>& rates, double gbps, const char* bw_name) {
  if (rates.empty()) return;
  fmt::print("decode matmuls   us per call   median us   MB per call   GB/s   % {}\n", bw_name);
  for (const ProjectionRate& p : rates)
    fmt::print("  {:<14} {:>11.1f} {:>11.1f} {:>13.2f} {:>6.1f}   {:.0f}%\n", p.name, 1e6 * p.s_per_call,
               1e6 * p.median_s_per_call, p.bytes_per_call / 1e6, p.gbps, 100 * p.gbps / gbps);
}

}  // namespace

struct ModelBenchArgs {
  ModelArgs m;
  bench::ModelBenchOptions opt;
  std::string json;
};

void run_model(const ModelBenchArgs& a) {
  LoadedModel lm = load_model(a.m);
  const int threads = a.m.threads > 0 ? a.m.threads : default_threads();
  fmt::print(stderr, "{}", lm.engine->kernel_summary());
  bench::ModelBenchOptions opt = a.opt;
  const bool gpu = a.m.device == "cuda";
#if TRINE_HAVE_CUDA && TRINE_HAVE_JIT
  if (gpu) opt.bandwidth = gpu_copy_gbps;
#endif
  bench::ModelBenchReport rep = bench::run_model_bench(*lm.engine, host_info(), threads, opt);
  rep.load_s = lm.load_seconds;
  const double gib = 1u << 30;
  fmt::print("model            {}{}\n", lm.path, lm.synthetic ? " (synthetic, random weights)" : "");
  fmt::print("device           {}\n", rep.device);
  fmt::print("load             {:.2f} s\n", rep.load_s);
  fmt::print("prefill          {:.1f} tok/s ({} tokens, median of {})\n", rep.prefill_tok_s(), rep.prompt, rep.prefill.n);
  fmt::print("decode           {:.2f} ms/token = {:.1f} tok/s (p20 {:.2f}, p80 {:.2f}; {} steps)\n",
             rep.decode_ms_per_token(), 1e3 / rep.decode_ms_per_token(), 1e3 * rep.decode_token.p20_s,
             1e3 * rep.decode_token.p80_s, rep.decode_token.n);
  fmt::print("bytes per token  {:.1f} MB (ternary weights, head, norms)\n", rep.bytes_per_token / 1e6);
  fmt::print("{:<17}{:.1f} GB/s measured in the same run -> decode floor {:.2f} ms/token ({:.0f}% reached)\n",
             gpu ? "GPU copy" : "DRAM read", rep.read_gbps.median_s, rep.floor_ms_per_token(), 100 * rep.floor_ms_per_token() / rep.decode_ms_per_token());
  fmt::print("memory           {:.2f} GiB as loaded{}, peak RSS {:.2f} GiB\n", rep.memory_bytes / gib, gpu ? " on the GPU" : "",
             rep.peak_rss_bytes / gib);
  print_projection_rates(rep.decode_projections, rep.read_gbps.median_s, gpu ? "GPU copy" : "DRAM read");
  if (!a.json.empty()) {
    std::ofstream out(a.json);
    if (!(out << rep.to_json().dump(2) << "\n")) throw Error(fmt::format("cannot write --json {}", a.json));
  }
}

void add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Benchmarks: `bench -m MODEL` end to end, `bench kernels` per shape");
  auto mb = std::make_shared<ModelBenchArgs>();
  mb->m.add_to(bench, false);
  bench->add_option("--prompt", mb->opt.prompt, "Prefill tokens")->capture_default_str();
  bench->add_option("--gen", mb->opt.gen, "Decoded tokens per repetition")->capture_default_str();
  bench->add_option("--reps", mb->opt.reps, "Repetitions")->capture_default_str();
  bench->add_option("--json", mb->json, "Also write the results as JSON");
#if TRINE_HAVE_JIT
  add_bench_kernels_command(bench);
  bench->callback([bench, mb] {
    if (!bench->got_subcommand("kernels")) run_model(*mb);
  });
#else
  bench->callback([mb] { run_model(*mb); });
#endif
}

}  // namespace trine::cli
