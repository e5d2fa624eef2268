// `trine aot`: generate the tuned winners (or defaults) of a target as a source tree that builds
// without LLVM, for deployment.
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "codegen/aot_cuda.h"
#include "codegen/aot_writer.h"
#include "model/json_file.h"
#include "runtime/error.h"

namespace trine::cli {

namespace {

struct AotArgs {
  std::string db, from_json, target = "host", arch, out;
  bool force = false;
};

// Imported through a scratch database, so a JSON file is checked exactly as `cache import` does.
std::vector<Winner> winners_from_json(const std::string& file) {
  const nlohmann::json doc = model::read_json_file(file);
  const std::string scratch =
      (std::filesystem::temp_directory_path() / fmt::format("trine-aot-{}.db", getpid())).string();
  std::vector<Winner> w;
  try {
    TuningDb db(scratch);
    db.import_json(doc);
    w = db.winners();
  } catch (const Error& e) {
    std::filesystem::remove(scratch);
    throw Error(fmt::format("--from-json {}: {}", file, e.what()));
  }
  std::filesystem::remove(scratch);
  return w;
}

std::vector<Winner> winners_from_db(const std::string& given) {
  const std::string path = given.empty() ? TuningDb::default_path() : given;
  if (!std::filesystem::exists(path)) {
    // Opening would create an empty database; a mistyped --db must not leave one behind.
    if (!given.empty()) throw Error(fmt::format("--db {}: no such file", given));
    fmt::print(stderr, "trine: note: no tuning database at {}\n", path);
    return {};
  }
  return TuningDb(path).winners();
}

void print_plan(const codegen::AotPlan& plan, const std::string& out) {
  Table t({"op", "MxK", "threads", "family", "isa", "config", "source"});
  for (const codegen::AotEntry& e : plan.entries)
    t.add({op_name(e.op), e.tuned() ? fmt::format("{}x{}", e.M, e.K) : "any",
           e.tuned() ? std::to_string(e.threads) : "any", e.cand.family, isa_name(e.cand.isa), e.cand.config,
           e.tuned() ? fmt::format("tuned {} us", us(e.median_s)) : "default"});
  std::vector<std::string> isas;
  for (Isa isa : plan.target.isas) isas.push_back(isa_name(isa));
  fmt::print("target {} ({}), ISAs {}: {} kernels, {} tuned -> {}\n", plan.target.name, plan.target.arch,
             fmt::join(isas, ", "), plan.entries.size(), plan.tuned, out);
  fmt::print("{}", t.str());
  for (const std::string& n : plan.notes) fmt::print(stderr, "trine: note: {}\n", n);
}

void print_cuda_plan(const codegen::CudaAotPlan& plan, const std::string& out) {
  Table t({"op", "MxK", "config", "source"});
  for (const CudaKernelChoice& e : plan.entries)
    t.add({op_name(e.op), e.tuned() ? fmt::format("{}x{}", e.M, e.K) : "any", e.config.str(),
           e.tuned() ? fmt::format("tuned {} us", us(e.median_s)) : "default"});
  fmt::print("target cuda ({}): {} kernels, {} tuned -> {}\n", plan.arch, plan.entries.size(), plan.tuned, out);
  fmt::print("{}", t.str());
  for (const std::string& n : plan.notes) fmt::print(stderr, "trine: note: {}\n", n);
}

void run_cuda(const AotArgs& a) {
  if (a.arch.empty()) throw Error("--target cuda needs --arch (sm_80, sm_89 or sm_90)");
  codegen::cuda_arch_number(a.arch);  // a bad --arch fails before the database is read
  const std::vector<Winner> winners = a.from_json.empty() ? winners_from_db(a.db) : winners_from_json(a.from_json);
  const codegen::CudaAotPlan plan = codegen::plan_cuda_aot(a.arch, winners);
  codegen::write_cuda_aot(plan, a.out, a.force);
  print_cuda_plan(plan, a.out);
  fmt::print("build it (needs nvcc): cmake -S {0} -B {0}/build -G Ninja && ninja -C {0}/build\n", a.out);
}

void run(const AotArgs& a) {
  if (a.target == "cuda") return run_cuda(a);
  if (!a.arch.empty()) throw Error(fmt::format("--arch {} applies to --target cuda only", a.arch));
  const HostInfo& host = host_info();
  const codegen::AotTarget target = codegen::aot_target(a.target, host);
  const std::vector<Winner> winners = a.from_json.empty() ? winners_from_db(a.db) : winners_from_json(a.from_json);
  const codegen::AotPlan plan = codegen::plan_aot(target, winners, host.fingerprint);
  codegen::write_aot(plan, a.out, a.force);
  print_plan(plan, a.out);
  fmt::print("build it: cmake -S {0} -B {0}/build -G Ninja && ninja -C {0}/build\n", a.out);
}

}  // namespace

void add_aot_command(CLI::App& app) {
  auto a = std::make_shared<AotArgs>();
  auto* cmd = app.add_subcommand("aot", "Generate the tuned kernels of a target as sources that build without LLVM");
  auto* db = cmd->add_option("--db", a->db, "Tuning database (default $XDG_CACHE_HOME/trine/tuning.db)");
  cmd->add_option("--from-json", a->from_json, "Winners exported with `trine cache export`")->excludes(db);
  cmd->add_option("--target", a->target, "host, x86-64-v3, x86-64-v4, aarch64 or cuda")->capture_default_str();
  cmd->add_option("--arch", a->arch, "GPU architecture for --target cuda: sm_80, sm_89 or sm_90");
  cmd->add_option("--out", a->out, "Directory to write")->required();
  cmd->add_flag("--force", a->force, "Replace --out if it exists and is not empty");
  cmd->callback([a] { run(*a); });
}

}  // namespace trine::cli
