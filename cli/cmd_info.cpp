// `trine info`: what this host is and what trine can run on it.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "runtime/tuning_db.h"
#if TRINE_HAVE_JIT
#include "codegen/family.h"
#include "jit/jit.h"
#endif

namespace trine::cli {

namespace {

nlohmann::json info_json() {
  const HostInfo& h = host_info();
  nlohmann::json j;
  j["trine_version"] = TRINE_VERSION;
  j["generator"] = TRINE_GENERATOR_VERSION;
  j["host"] = h.to_json();
  std::vector<std::string> isas;
  for (Isa i : usable_isas(h)) isas.push_back(isa_name(i));
  j["usable_isas"] = isas;
  j["tuning_db"] = TuningDb::default_path();
#if TRINE_HAVE_JIT
  j["jit"] = true;
  j["compiler"] = jit::Jit::compiler_version();
  j["object_cache"] = jit::Jit::default_cache_dir();
  j["jit_target"] = jit::host_target().key();
  nlohmann::json fams = nlohmann::json::object();
  for (const codegen::Family* f : codegen::all_families()) fams[f->name()] = isas;
  j["families"] = fams;
#else
  j["jit"] = false;
#endif
  return j;
}

std::string kib(std::size_t bytes) { return bytes >= (1u << 20) ? fmt::format("{} MiB", bytes >> 20) : fmt::format("{} KiB", bytes >> 10); }

void print_info() {
  const nlohmann::json j = info_json();
  const HostInfo& h = host_info();
  fmt::print("trine {} (generator {})\n", TRINE_VERSION, TRINE_GENERATOR_VERSION);
  fmt::print("cpu          {} ({}, family {} model {} stepping {})\n", h.model_name, h.vendor, h.family, h.model,
             h.stepping);
  fmt::print("fingerprint  {}\n", h.fingerprint);
  fmt::print("logical cpus {}\n", h.logical_cpus);
  fmt::print("caches       L1d {}, L2 {}, L3 {}\n", kib(h.cache.l1d), kib(h.cache.l2), kib(h.cache.l3));
  fmt::print("features     {}\n", fmt::join(h.features, " "));
  fmt::print("usable ISAs  {}\n", fmt::join(j["usable_isas"].get<std::vector<std::string>>(), " "));
  if (j["jit"].get<bool>()) {
    fmt::print("families     ");
    bool first = true;
    for (auto& [name, isas] : j["families"].items()) {
      fmt::print("{}{} ({})", first ? "" : ", ", name, fmt::join(isas.get<std::vector<std::string>>(), " "));
      first = false;
    }
    fmt::print("\ncompiler     {} in process, target {}\n", j["compiler"].get<std::string>(),
               j["jit_target"].get<std::string>().substr(0, 60) + "...");
    fmt::print("object cache {}\n", j["object_cache"].get<std::string>());
  } else {
    fmt::print("jit          off (built with -DTRINE_JIT=OFF)\n");
  }
  fmt::print("tuning db    {}\n", j["tuning_db"].get<std::string>());
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Show this host's CPU, features, caches and the kernels usable here");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([json] {
    if (*json) fmt::print("{}\n", info_json().dump(2));
    else print_info();
  });
}

}  // namespace trine::cli
