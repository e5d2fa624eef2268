// `trine report`: the 2B4T-report-style table for this machine (models: memory, prefill, decode
// latency against its bandwidth floor, energy per token estimated and measured where possible)
// and the kernel table, as Markdown, CSV or JSON, with a gnuplot picture; or `--merge` of reports
// from several machines. Every figure is measured in this run or computed from stated counts.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "bench/energy_meter.h"
#include "bench/energy_model.h"
#include "bench/model_bench.h"
#include "bench/plot.h"
#include "bench/report.h"
#include "bench/report_kernels.h"
#include "bench/report_render.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/kernel_items.h"
#include "cli/model_setup.h"
#include "cli/shapes_option.h"
#include "runtime/error.h"

namespace trine::cli {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct ReportArgs {
  std::vector<std::string> models, merge;
  int threads = 0, ctx = 0, position = -1, rounds = 5;
  bench::ModelBenchOptions bench{128, 32, 2, {}};
  std::string format, plot, out, energy_table, lm_head = "full", db, isa, object_cache;
  ShapeArgs shapes;
  bool no_kernels = false;
};

// --format, else the extension of --out, else Markdown.
std::string pick_format(const ReportArgs& a) {
  std::string f = a.format;
  if (f.empty()) {
    const std::string ext = fs::path(a.out).extension().string();
    f = ext == ".json" ? "json" : ext == ".csv" ? "csv" : "md";
  }
  if (f != "md" && f != "csv" && f != "json") throw Error(fmt::format("--format '{}': expected md, csv or json", f));
  return f;
}

std::string model_name(const std::string& path) {
  fs::path p(path);
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

LoadedModel load_or_explain(const ModelArgs& m) {
  try {
    return load_model(m);
  } catch (const Error& e) {
    // Loader errors usually name the file already; only the others need the model's path.
    const std::string what = e.what();
    if (!m.model.empty() && what.find(m.model) != std::string::npos) throw;
    throw Error(fmt::format("-m {}: cannot load the model: {}", m.model.empty() ? "(synthetic)" : m.model, what));
  }
}

json measure_model(const ReportArgs& a, const std::string& path, int threads, const bench::EnergyTable& table,
                   const bench::EnergyMeter& meter) {
  ModelArgs m;
  m.model = path;
  m.threads = threads;
  m.ctx = a.ctx;
  m.db = a.db;
  m.isa = a.isa;
  m.object_cache = a.object_cache;
  m.lm_head = a.lm_head;
  fmt::print(stderr, "loading {}\n", path.empty() ? "the synthetic 2B4T model" : path);
  LoadedModel lm = load_or_explain(m);
  fmt::print(stderr, "{}", lm.engine->kernel_summary());
  fmt::print(stderr, "timing prefill and decode, {} repetitions...\n", a.bench.reps);
  bench::ModelBenchReport rep = bench::run_model_bench(*lm.engine, host_info(), threads, a.bench);
  rep.load_s = lm.load_seconds;
  const bench::MeasuredEnergy measured = bench::measure_decode_energy(*lm.engine, meter, a.bench.prompt, a.bench.gen);
  const bench::ModelInfo info{model_name(lm.path), lm.path, lm.synthetic, a.lm_head == "int8",
                              a.position >= 0 ? a.position : a.bench.prompt};
  return bench::model_json(info, *lm.engine, rep, table, measured);
}

struct KernelPart {
  json rows, roofline;
};

KernelPart measure_kernels(const ReportArgs& a, const std::vector<codegen::Shape>& shapes, int threads, int rounds) {
  const HostInfo& host = host_info();
  const std::vector<Isa> isas = pick_isas(a.isa, host, false);
  auto db = open_db(a.db);
  std::vector<std::vector<KernelVariant>> choices;
  for (const codegen::Shape& s : shapes) {
    const TuneKey key = codegen::make_key(host, jit::Jit::compiler_version(), op_for_tokens(s.N), s, threads, isas.front());
    choices.push_back(family_variants(db.get(), key, isas, true));
  }
  codegen::CompilerSet compilers(a.object_cache.empty() ? jit::Jit::default_cache_dir() : a.object_cache);
  fmt::print(stderr, "compiling the kernels of {} shapes...\n", shapes.size());
  KernelItems k = build_items(shapes, choices, compilers);
  ThreadPool pool(threads);
  bench::BenchOptions opt;
  opt.rounds = rounds;
  fmt::print(stderr, "timing {} kernels and the roofline, {} rounds...\n", k.items.size(), rounds);
  const bench::BenchReport rep = bench::run_kernel_bench(pool, host, k.items, opt);
  fmt::print(stderr, "timing the scalar reference...\n");
  std::vector<bench::ReferenceTiming> refs;
  for (std::size_t i = 0; i < shapes.size(); ++i)
    refs.push_back(bench::time_reference(k.data[i], shapes[i].label, shapes[i].N == 1 ? 5 : 1));
  return {bench::kernel_rows_json(rep, k.variants, refs),
          bench::roofline_json(rep.read_gbps, rep.int8_gmacs, rep.peak_isa,
                               fmt::format("{} rounds of probes interleaved with the kernels", rep.read_gbps.n))};
}

void check_measure_args(const ReportArgs& a) {
  if (a.bench.prompt < 1 || a.bench.gen < 1 || a.bench.reps < 1)
    throw Error("--prompt, --gen and --reps must be positive");
  if (a.rounds < 1 || a.rounds > 1000) throw Error(fmt::format("--rounds {}: must be between 1 and 1000", a.rounds));
  if (a.position < -1) throw Error(fmt::format("--position {}: must be non-negative", a.position));
  if (a.lm_head != "full" && a.lm_head != "int8") throw Error(fmt::format("--lm-head '{}': expected full or int8", a.lm_head));
}

json measure(const ReportArgs& a, const bench::EnergyTable& table) {
  check_measure_args(a);
  const int threads = a.threads > 0 ? a.threads : default_threads();
  check_threads(threads);
  std::vector<codegen::Shape> shapes;
  if (!a.no_kernels) shapes = a.shapes.preset.empty() && a.shapes.shapes.empty() ? preset_shapes("bitnet-2b4t") : a.shapes.resolve();
  const bench::EnergyMeter meter;
  json models = json::array();
  for (const std::string& path : a.models.empty() ? std::vector<std::string>{""} : a.models)
    models.push_back(measure_model(a, path, threads, table, meter));
  KernelPart kern{json::array(), json()};
  if (!shapes.empty()) {
    kern = measure_kernels(a, shapes, threads, a.rounds);
  } else {
    ThreadPool pool(threads);
    kern.roofline = bench::probe_roofline_json(pool, host_info(), 3);
  }
  const std::string measured = meter.available() ? meter.source() : "not available (" + meter.reason() + ")";
  return bench::make_report(bench::host_json(host_info(), threads, jit::Jit::compiler_version()),
                            bench::method_json(a.bench, shapes.empty() ? 0 : a.rounds, measured), kern.roofline,
                            std::move(models), std::move(kern.rows), table);
}

void emit(const json& doc, const std::string& format, const std::string& out) {
  const std::string text = format == "json" ? doc.dump(2) + "\n" : format == "csv" ? bench::render_csv(doc) : bench::render_markdown(doc);
  if (out.empty()) {
    fmt::print("{}", text);
    return;
  }
  std::ofstream f(out, std::ios::binary);
  if (!(f << text) || !f.flush()) throw Error(fmt::format("--out {}: cannot write", out));
  fmt::print(stderr, "wrote {}\n", out);
}

void run(const ReportArgs& a) {
  const std::string format = pick_format(a);
  if (!a.out.empty()) bench::check_output_path(a.out, "--out");
  if (!a.plot.empty()) bench::check_plot_target(a.plot);
  json doc;
  if (!a.merge.empty()) {
    if (!a.models.empty() || !a.energy_table.empty())
      throw Error("--merge combines finished reports and measures nothing: drop -m and --energy-table");
    std::vector<json> docs;
    for (const std::string& f : a.merge) docs.push_back(bench::read_report_file(f));
    doc = bench::merge_reports(docs);
  } else {
    const bench::EnergyTable table =
        a.energy_table.empty() ? bench::default_energy_table() : bench::load_energy_table(a.energy_table);
    doc = measure(a, table);
  }
  emit(doc, format, a.out);
  if (!a.plot.empty()) {
    bench::write_plot(doc, a.plot);
    fmt::print(stderr, "wrote plot {}\n", a.plot);
  }
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto a = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand("report", "Model and kernel tables for this machine (latency, memory, energy), or --merge reports");
  cmd->add_option("-m,--model", a->models, "Model directory or .gguf, repeatable (default: the synthetic 2B4T model)");
  cmd->add_option("--merge", a->merge, "Combine report JSON files from several machines (measures nothing)");
  cmd->add_option("--threads", a->threads, "Threads (default: all CPUs)");
  cmd->add_option("--format", a->format, "md, csv or json (default: from --out's extension, else md)");
  cmd->add_option("--out", a->out, "Write the report here instead of standard output");
  cmd->add_option("--plot", a->plot, "Also draw FILE.svg or FILE.png with gnuplot");
  cmd->add_option("--energy-table", a->energy_table, "JSON of pJ per operation replacing the 7 nm table");
  cmd->add_option("--prompt", a->bench.prompt, "Prefill tokens")->capture_default_str();
  cmd->add_option("--gen", a->bench.gen, "Decoded tokens per repetition")->capture_default_str();
  cmd->add_option("--reps", a->bench.reps, "Repetitions of prefill + decode")->capture_default_str();
  cmd->add_option("--position", a->position, "Context position of the token the energy estimate counts (default: --prompt)");
  cmd->add_option("--ctx", a->ctx, "Context length (default: the model's)");
  cmd->add_option("--lm-head", a->lm_head, "full or int8 (lossy)")->capture_default_str();
  a->shapes.add_to(cmd);
  cmd->add_flag("--no-kernels", a->no_kernels, "Skip the kernel table");
  cmd->add_option("--rounds", a->rounds, "Rounds of roofline probes around the kernel timings")->capture_default_str();
  cmd->add_option("--db", a->db, "Tuning database (default $XDG_CACHE_HOME/trine/tuning.db)");
  cmd->add_option("--isa", a->isa, "Only kernels for this ISA");
  cmd->add_option("--object-cache", a->object_cache, "Directory of compiled kernel objects");
  cmd->callback([a] { run(*a); });
}

}  // namespace trine::cli
