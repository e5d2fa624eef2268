// `trine bench kernels`: time each family's best tuned kernel (or its default) beside the
// measured roofline, so the families can be compared shape by shape.
#include <fstream>

#include <fmt/format.h>

#include "bench/kernel_bench.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/kernel_items.h"
#include "cli/shapes_option.h"
#include "runtime/error.h"
#include "runtime/registry.h"

#ifdef TRINE_HAVE_CUDA
#include "cli/cuda_commands.h"
#endif

namespace trine::cli {

namespace {

struct BenchArgs {
  ShapeArgs shapes;
  int threads = default_threads();
  int rounds = 9;
  std::string db, isa, json, object_cache = jit::Jit::default_cache_dir(), device = "cpu";
};

// The winners once more, one decoder layer's GEMVs back to back in the model's order, as a
// decode step runs them: a small matrix read right after a large one reads faster than one
// timed after whatever the shuffle put before it.
void print_layer(const bench::BenchReport& rep) {
  Table t({"proj", "MxK", "family", "config", "median us", "GB/s", "% read BW"});
  for (const bench::LayerRow& r : rep.layer)
    t.add({r.proj, fmt::format("{}x{}", r.M, r.K), r.family, r.config, us(r.stats.median_s), fmt::format("{:.1f}", r.gbps),
           fmt::format("{:.0f}%", 100 * r.frac_read_bw)});
  const bench::LayerTotal& tot = rep.layer_total;
  t.add({"layer", "", "", "", us(tot.stats.median_s), fmt::format("{:.1f}", tot.gbps),
         fmt::format("{:.0f}%", 100 * tot.frac_read_bw)});
  fmt::print("\none decode layer in model order (the kernels marked winner, else each shape's first; matrices back\n"
             "to back as the engine stores them, over copies of the layer past the LLC):\n{}",
             t.str());
}

void print_report(const bench::BenchReport& rep, const std::vector<std::string>& variants) {
  Table t({"shape", "op", "MxKxN", "family", "isa", "config", "kernel", "median us", "bits/w", "GB/s", "% read BW",
           "% call read", "GMAC/s", "% int8 peak"});
  for (std::size_t i = 0; i < rep.rows.size(); ++i) {
    const bench::BenchRow& r = rep.rows[i];
    t.add({r.label.empty() ? "-" : r.label, r.op, fmt::format("{}x{}x{}", r.M, r.K, r.N), r.family, r.isa, r.config,
           variants[i], us(r.stats.median_s), fmt::format("{:.2f}", r.bits_per_weight), fmt::format("{:.1f}", r.gbps),
           fmt::format("{:.0f}%", 100 * r.frac_read_bw),
           r.frac_call_read ? fmt::format("{:.0f}%", 100 * *r.frac_call_read) : "-", fmt::format("{:.1f}", r.gmacs),
           fmt::format("{:.0f}%", 100 * r.frac_int8_peak)});
  }
  fmt::print("{}", t.str());
  fmt::print("roofline, measured in the same run ({} rounds of probes around the kernels, {} threads;\n"
             "% columns are medians over rounds of each round's rate over its own probes;\n"
             "% call read: over a plain read of the same bytes per call, timed among the kernels):\n",
             rep.read_gbps.n, rep.threads);
  fmt::print("  DRAM read   {:.1f} GB/s median (p20 {:.1f}, p80 {:.1f})\n", rep.read_gbps.median_s, rep.read_gbps.p20_s,
             rep.read_gbps.p80_s);
  fmt::print("  int8 peak   {:.0f} GMAC/s median (p80 {:.0f}, {})\n", rep.int8_gmacs.median_s, rep.int8_gmacs.p80_s,
             rep.peak_isa);
  for (const bench::CallReadRow& c : rep.call_reads)
    fmt::print("  call read   {:.1f} GB/s reading {:.0f} KiB per call ({:.0f}% of DRAM read)\n", c.gbps, c.bytes / 1024,
               100 * c.frac_read_bw);
  if (!rep.layer.empty()) print_layer(rep);
  for (const std::string& w : rep.warnings) fmt::print(stderr, "warning: {}\n", w);
}

void run_device(const BenchArgs& a) {
  if (!a.isa.empty()) throw Error("--isa applies to --device cpu");
#ifdef TRINE_HAVE_CUDA
  run_cuda_bench_kernels(a.shapes.resolve(), a.db, a.object_cache, a.json);
#else
  throw Error("--device cuda: this trine was built without CUDA (no toolkit was found when it was configured)");
#endif
}

void run(const BenchArgs& a) {
  if (a.device == "cuda") return run_device(a);
  check_threads(a.threads);
  if (a.rounds < 1 || a.rounds > 1000) throw Error(fmt::format("--rounds {}: must be between 1 and 1000", a.rounds));
  const HostInfo& host = host_info();
  const std::vector<codegen::Shape> shapes = a.shapes.resolve();
  const std::vector<Isa> isas = pick_isas(a.isa, host, false);
  auto db = open_db(a.db);
  std::vector<std::vector<KernelVariant>> choices;
  for (const auto& s : shapes) {
    const TuneKey key = codegen::make_key(host, jit::Jit::compiler_version(), op_for_tokens(s.N), s, a.threads, isas.front());
    choices.push_back(family_variants(db.get(), key, isas, false));
  }
  codegen::CompilerSet compilers(a.object_cache);
  KernelItems k = build_items(shapes, choices, compilers);
  std::vector<bench::BenchItem>& items = k.items;
  ThreadPool pool(a.threads);
  bench::BenchOptions opt;
  opt.rounds = a.rounds;
  fmt::print(stderr, "timing {} kernels and the roofline, {} rounds...\n", items.size(), opt.rounds);
  const bench::BenchReport rep = bench::run_kernel_bench(pool, host, items, opt);
  print_report(rep, k.variants);
  if (!a.json.empty()) {
    nlohmann::json j = rep.to_json();
    for (std::size_t i = 0; i < k.variants.size(); ++i) j["results"][i]["variant"] = k.variants[i];
    std::ofstream out(a.json);
    if (!(out << j.dump(2) << "\n")) throw Error(fmt::format("cannot write --json {}", a.json));
  }
}

}  // namespace

void add_bench_kernels_command(CLI::App* parent) {
  auto a = std::make_shared<BenchArgs>();
  auto* cmd = parent->add_subcommand("kernels",
                                     "Time each family's best tuned (or default) kernel and the machine's roofline");
  a->shapes.add_to(cmd);
  cmd->add_option("--threads", a->threads, "Threads (default: all CPUs)");
  cmd->add_option("--db", a->db, "Tuning database (default $XDG_CACHE_HOME/trine/tuning.db)");
  cmd->add_option("--isa", a->isa, "Only kernels for this ISA");
  cmd->add_option("--rounds", a->rounds, "Rounds of roofline probes interleaved with kernel timings")->capture_default_str();
  cmd->add_option("--object-cache", a->object_cache, "Directory of compiled kernel objects")->capture_default_str();
  cmd->add_option("--json", a->json, "Also write the results as JSON");
  cmd->add_option("--device", a->device, "cpu, or cuda: the CUDA kernels on the GPU beside cuBLAS bf16")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  cmd->callback([a] { run(*a); });
}

}  // namespace trine::cli
