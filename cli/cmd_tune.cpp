// `trine tune`: search every candidate kernel for each shape and store the winners.
#include <algorithm>
#include <chrono>
#include <fstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/shapes_option.h"
#include "codegen/family.h"
#include "codegen/tuner.h"
#ifdef TRINE_HAVE_CUDA
#include "cli/cuda_commands.h"
#endif

namespace trine::cli {

namespace {

struct TuneArgs {
  ShapeArgs shapes;
  int threads = default_threads();
  double budget = 170;
  std::vector<std::string> families;  // CLI11 splits the comma-separated list
  std::string db, isa, object_cache = jit::Jit::default_cache_dir(), json, device = "cpu";
  bool force = false;
};

std::string ratio(const std::optional<TimingStats>& base, const TimingStats& w) {
  if (!base || base->median_s <= 0) return "-";
  return fmt::format("{:.2f}x", base->median_s / w.median_s);
}

double bits_per_weight(int64_t bytes, int M, int K) { return bytes * 8.0 / (static_cast<double>(M) * K); }

// The fastest config of every family on each shape, so a user sees which family wins where.
void print_family_bests(const std::vector<codegen::TuneResult>& results) {
  Table t({"shape", "op", "MxKxN", "isa", "family", "best config", "median us", "bits/weight", "GB/s read",
           "vs winner"});
  for (const auto& r : results) {
    for (const codegen::FamilyBest& f : r.family_best) {
      const double s = f.stats.median_s;
      t.add({r.shape.label.empty() ? "-" : r.shape.label, op_name(r.op),
             fmt::format("{}x{}x{}", r.shape.M, r.shape.K, r.shape.N), f.isa, f.family, f.config, us(s),
             fmt::format("{:.2f}", bits_per_weight(f.weight_bytes, r.shape.M, r.shape.K)),
             fmt::format("{:.1f}", f.weight_bytes / s / 1e9), fmt::format("{:.2f}x", r.winner.stats.median_s / s)});
    }
  }
  fmt::print("best of each family:\n{}", t.str());
}

void print_results(const std::vector<codegen::TuneResult>& results) {
  Table t({"shape", "op", "MxKxN", "isa", "winner config", "median us", "GB/s", "GMAC/s", "vs ref", "vs default",
           "source"});
  for (const auto& r : results) {
    const Winner& w = r.winner;
    t.add({r.shape.label.empty() ? "-" : r.shape.label, op_name(r.op),
           fmt::format("{}x{}x{}", r.shape.M, r.shape.K, r.shape.N), w.key.isa, w.family + " " + w.config,
           us(w.stats.median_s), fmt::format("{:.1f}", w.gbps), fmt::format("{:.1f}", w.gmacs),
           ratio(r.reference_stats, w.stats), ratio(r.default_stats, w.stats), r.cached ? "database" : "tuned"});
  }
  fmt::print("{}", t.str());
  print_family_bests(results);
  for (const auto& r : results) {
    if (r.cached) continue;
    if (r.compile_failed + r.verify_failed > 0)
      fmt::print("{}x{}x{} {}: {} of {} candidates rejected ({} failed to compile, {} failed verification)\n",
                 r.shape.M, r.shape.K, r.shape.N, r.winner.key.isa, r.compile_failed + r.verify_failed, r.candidates,
                 r.compile_failed, r.verify_failed);
    for (const std::string& f : r.failures) fmt::print("  rejected: {}\n", f.substr(0, 300));
  }
}

nlohmann::json family_json(const codegen::TuneResult& r) {
  nlohmann::json fams = nlohmann::json::array();
  for (const codegen::FamilyBest& f : r.family_best)
    fams.push_back({{"family", f.family}, {"isa", f.isa}, {"config", f.config}, {"median_s", f.stats.median_s},
                    {"weight_bytes", f.weight_bytes},
                    {"bits_per_weight", bits_per_weight(f.weight_bytes, r.shape.M, r.shape.K)}});
  return fams;
}

void write_json(const std::string& file, const std::vector<codegen::TuneResult>& results) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : results) {
    const Winner& w = r.winner;
    j.push_back({{"op", w.key.op}, {"M", w.key.M}, {"K", w.key.K}, {"N", w.key.N}, {"threads", w.key.threads},
                 {"isa", w.key.isa}, {"family", w.family}, {"config", w.config}, {"median_s", w.stats.median_s},
                 {"gbps", w.gbps}, {"gmacs", w.gmacs}, {"cached", r.cached},
                 {"reference_median_s", r.reference_stats ? r.reference_stats->median_s : 0.0},
                 {"default_median_s", r.default_stats ? r.default_stats->median_s : 0.0},
                 {"weight_bytes", r.weight_bytes},
                 {"bits_per_weight", bits_per_weight(r.weight_bytes, w.key.M, w.key.K)},
                 {"candidates", r.candidates}, {"rejected", r.compile_failed + r.verify_failed},
                 {"families", family_json(r)}});
  }
  std::ofstream out(file);
  if (!(out << j.dump(2) << "\n")) throw Error(fmt::format("cannot write {}", file));
}

// Named families, in order, once each; none named -> all of them.
std::vector<const codegen::Family*> parse_families(const std::vector<std::string>& names) {
  std::vector<const codegen::Family*> out;
  for (const std::string& name : names) {
    try {
      const codegen::Family* f = &codegen::family_by_name(name);
      if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
    } catch (const Error& e) {
      throw Error(fmt::format("--families '{}': {}", fmt::join(names, ","), e.what()));
    }
  }
  return out;
}

void run_device(const TuneArgs& a) {
  if (!a.isa.empty() || !a.families.empty() || !a.json.empty())
    throw Error("--isa, --families and --json apply to --device cpu");
#ifdef TRINE_HAVE_CUDA
  run_cuda_tune(a.shapes.resolve(), a.db, a.object_cache, a.force);
#else
  throw Error("--device cuda: this trine was built without CUDA (no toolkit was found when it was configured)");
#endif
}

void run(const TuneArgs& a) {
  if (a.device == "cuda") return run_device(a);
  const auto t0 = std::chrono::steady_clock::now();
  check_threads(a.threads);
  if (a.budget <= 0) throw Error(fmt::format("--budget {}: must be positive", a.budget));
  const HostInfo& host = host_info();
  codegen::TuneOptions opt;
  opt.shapes = a.shapes.resolve();
  opt.isas = pick_isas(a.isa, host, true);
  opt.budget_s = a.budget;
  opt.force = a.force;
  opt.families = parse_families(a.families);
  auto db = open_db(a.db);
  ThreadPool pool(a.threads);
  codegen::CompilerSet compilers(a.object_cache);
  codegen::Tuner tuner(*db, compilers, pool, host);
  Progress progress;
  const auto results = tuner.tune(opt, [&](const codegen::TuneEvent& e) { progress.update(e.stage, e.done, e.total, e.what); });
  progress.finish();
  print_results(results);
  const jit::Counters c = compilers.counters();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print("{} threads, database {}\n", a.threads, db->path());
  fmt::print("compiled {} translation units ({:.1f} s), {} loaded from the object cache; total {:.1f} s\n", c.compiles,
             c.compile_seconds, c.cache_hits, secs);
  if (!a.json.empty()) write_json(a.json, results);
}

}  // namespace

void add_tune_command(CLI::App& app) {
  auto a = std::make_shared<TuneArgs>();
  auto* cmd = app.add_subcommand("tune", "Generate, verify and time candidate kernels; store the winners");
  a->shapes.add_to(cmd);
  cmd->add_option("--threads", a->threads, "Threads the kernels will run with (default: all CPUs)");
  cmd->add_option("--budget", a->budget, "Time budget for the whole run, seconds")->capture_default_str();
  cmd->add_option("--db", a->db, "Tuning database (default $XDG_CACHE_HOME/trine/tuning.db)");
  cmd->add_option("--isa", a->isa, "Tune for this ISA only: avx2, avxvnni, avx512vnni (default: the best usable)");
  cmd->add_option("--families", a->families, "Comma-separated kernel families to search: mad, base3, lut, halide (default: all)")
      ->delimiter(',');
  cmd->add_option("--object-cache", a->object_cache, "Directory of compiled kernel objects")->capture_default_str();
  cmd->add_flag("--force", a->force, "Retune shapes that already have a stored winner");
  cmd->add_option("--device", a->device, "cpu, or cuda: tune the CUDA kernels on the GPU")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--json", a->json, "Also write the results as JSON");
  cmd->callback([a] { run(*a); });
}

}  // namespace trine::cli
