#include "codegen/aot_writer.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/error.h"

namespace trine::codegen {

namespace fs = std::filesystem;

namespace {

bool has_isa(const AotTarget& t, Isa isa) { return std::find(t.isas.begin(), t.isas.end(), isa) != t.isas.end(); }

Isa required_isa(const char* name, const char* target) {
  if (std::optional<Isa> isa = parse_isa(name)) return *isa;
  throw Error(fmt::format("--target {}: this trine has no {} kernels", target, name));
}

// The winner kept where several hosts tuned one key: this host's, then the newest.
bool preferred(const Winner& a, const Winner& b, const std::string& host) {
  if ((a.key.host == host) != (b.key.host == host)) return a.key.host == host;
  return a.created_at > b.created_at;
}

void add_entry(AotPlan& plan, AotEntry e) {
  for (const AotEntry& x : plan.entries)
    if (x.op == e.op && x.M == e.M && x.K == e.K && x.threads == e.threads && x.cand == e.cand) return;
  plan.entries.push_back(std::move(e));
}

void add_tuned(AotPlan& plan, const std::vector<Winner>& winners, const std::string& host) {
  std::map<std::tuple<std::string, int, int, int, std::string>, const Winner*> kept;
  int stale = 0, elsewhere = 0, unknown = 0, gpu = 0, native = 0;
  for (const Winner& w : winners) {
    if (w.family == "cuda") { ++gpu; continue; }
    if (w.key.generator != TRINE_GENERATOR_VERSION) { ++stale; continue; }
    const std::optional<Isa> isa = parse_isa(w.key.isa);
    if (!isa || !has_isa(plan.target, *isa)) { ++elsewhere; continue; }
    try {
      family_by_name(w.family).candidate(*isa, w.config);
    } catch (const Error&) {
      ++unknown;
      continue;
    }
    if (!parse_op(w.key.op)) { ++unknown; continue; }
    if (family_by_name(w.family).compiles_natively()) { ++native; continue; }
    const auto key = std::make_tuple(w.key.op, w.key.M, w.key.K, w.key.threads, w.key.isa);
    auto [it, fresh] = kept.emplace(key, &w);
    if (!fresh && preferred(w, *it->second, host)) it->second = &w;
  }
  for (const auto& [key, w] : kept) {
    const Isa isa = *parse_isa(w->key.isa);
    add_entry(plan, AotEntry{*parse_op(w->key.op), w->key.M, w->key.K, w->key.threads, family_by_name(w->family).candidate(isa, w->config),
                             w->stats.median_s});
  }
  plan.tuned = static_cast<int>(plan.entries.size());
  if (stale) plan.notes.push_back(fmt::format("{} winners skipped: tuned by another generator version than {}", stale,
                                              TRINE_GENERATOR_VERSION));
  if (elsewhere) plan.notes.push_back(fmt::format("{} winners skipped: their ISA is not in target {}", elsewhere,
                                                  plan.target.name));
  if (gpu) plan.notes.push_back(fmt::format("{} CUDA winners skipped: they are generated with --target cuda", gpu));
  if (unknown) plan.notes.push_back(fmt::format("{} winners skipped: unknown family, config or op", unknown));
  if (native)
    plan.notes.push_back(fmt::format("{} winners skipped: Halide kernels are JIT-compiled by Halide and have no C++ source",
                                     native));
}

void add_defaults(AotPlan& plan) {
  for (Isa isa : plan.target.isas)
    for (Op op : {Op::gemv, Op::gemm}) add_entry(plan, AotEntry{op, 0, 0, 0, mad_family().default_candidate(isa, op), 0});
  // Prefill reads the copy packed for decode: every decode layout needs a prefill kernel.
  const std::vector<AotEntry> so_far = plan.entries;
  for (const AotEntry& e : so_far) {
    if (e.op != Op::gemv) continue;
    const Family& fam = family_by_name(e.cand.family);
    add_entry(plan, AotEntry{Op::gemm, 0, 0, 0, fam.default_for_layout(e.cand, Op::gemm), 0});
  }
}

void write_file(const fs::path& path, const std::string& text) { write_tree_file(path.string(), text); }

std::string source_name(const Candidate& c) { return fmt::format("kernels_{}_{}.cpp", c.family, isa_name(c.isa)); }

// Candidates grouped by the translation unit that defines them (one per family and ISA).
std::map<std::string, std::vector<Candidate>> translation_units(const AotPlan& plan) {
  std::map<std::string, std::vector<Candidate>> tus;
  for (const AotEntry& e : plan.entries) {
    auto& v = tus[source_name(e.cand)];
    if (std::find(v.begin(), v.end(), e.cand) == v.end()) v.push_back(e.cand);
  }
  return tus;
}

std::string dispatch_source(const AotPlan& plan) {
  std::string decls, rows;
  std::set<std::string> declared;
  for (const AotEntry& e : plan.entries) {
    if (declared.insert(e.cand.symbol).second)
      decls += fmt::format("void {}(const trine_gemm_args*, int32_t, int32_t);\n", e.cand.symbol);
    rows += fmt::format("    {{\"{}\", {}, {}, {}, \"{}\", \"{}\", \"{}\", {:.9g}, &{}}},\n", op_name(e.op), e.M, e.K,
                        e.threads, e.cand.family, isa_name(e.cand.isa), e.cand.config, e.median_s, e.cand.symbol);
  }
  return fmt::format(
      "// Generated by `trine aot --target {0}`: which kernel runs which op. Regenerate, do not edit.\n"
      "#include \"runtime/aot_table.h\"\n\nextern \"C\" {{\n\n{1}\n"
      "const trine_aot_kernel trine_aot_kernels[] = {{\n{2}}};\n"
      "const int32_t trine_aot_kernel_count = {3};\n"
      "const char trine_aot_target[] = \"{0}\";\n"
      "const char trine_aot_generator_version[] = \"{4}\";\n\n}}\n",
      plan.target.name, decls, rows, plan.entries.size(), TRINE_GENERATOR_VERSION);
}

std::string cmake_source(const AotPlan& plan, const std::map<std::string, std::vector<Candidate>>& tus) {
  std::string files = "dispatch_table.cpp", props;
  for (const auto& [file, cands] : tus) {
    files += "\n  " + file;
    props += fmt::format("set_source_files_properties({} PROPERTIES COMPILE_OPTIONS \"{}\")\n", file,
                         aot_isa_flags(cands.front().isa));
  }
  return fmt::format(
      "# Generated by `trine aot --target {0}` ({1} kernels for {2}). Builds the static library\n"
      "# trine_aot_kernels on its own, or inside trine with -DTRINE_AOT_KERNELS=<this directory>.\n"
      "cmake_minimum_required(VERSION 3.16)\n"
      "project(trine_aot_kernels CXX)\n"
      "if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)\n"
      "  set(CMAKE_BUILD_TYPE Release CACHE STRING \"Build type\" FORCE)\n"
      "endif()\n\n"
      "add_library(trine_aot_kernels STATIC\n  {3})\n"
      "target_include_directories(trine_aot_kernels PUBLIC ${{CMAKE_CURRENT_SOURCE_DIR}})\n"
      "target_compile_features(trine_aot_kernels PRIVATE cxx_std_20)\n"
      "# Each ISA's kernels get that ISA's instructions and no more; the runtime dispatches on the\n"
      "# host's features, so the library also loads on a host that lacks some of them.\n{4}",
      plan.target.name, plan.entries.size(), plan.target.arch, files, props);
}

std::string describe_shape(const AotEntry& e) {
  return e.tuned() ? fmt::format("{}x{}", e.M, e.K) : std::string("any");
}

std::string readme_source(const AotPlan& plan, const std::map<std::string, std::vector<Candidate>>& tus) {
  std::string isas, rows, files;
  for (Isa isa : plan.target.isas) {
    std::string flags = aot_isa_flags(isa);
    std::replace(flags.begin(), flags.end(), ';', ' ');
    isas += fmt::format("{}`{}` ({})", isas.empty() ? "" : ", ", isa_name(isa), flags);
  }
  for (const AotEntry& e : plan.entries)
    rows += fmt::format("| {} | {} | {} | {} | {} | `{}` | {} |\n", op_name(e.op), describe_shape(e),
                        e.tuned() ? std::to_string(e.threads) : "any", e.cand.family, isa_name(e.cand.isa),
                        e.cand.config, e.tuned() ? fmt::format("tuned, {:.1f} us", 1e6 * e.median_s) : "default");
  for (const auto& [file, cands] : tus) files += fmt::format("- `{}`: {} kernels\n", file, cands.size());
  std::string notes;
  for (const std::string& n : plan.notes) notes += "- " + n + "\n";
  return fmt::format(
      "# trine kernels for target `{0}`\n\n"
      "Generated by `trine aot` (trine {1}, generator {2}) for {3}: {4} table entries, {5} of them tuned.\n"
      "ISAs (most capable first; the runtime uses the best one the host runs): {6}.\n\n"
      "## Build\n\n"
      "On its own (a static library, `libtrine_aot_kernels.a`):\n\n"
      "    cmake -S . -B build -G Ninja && ninja -C build\n\n"
      "As the kernels of a trine runtime without LLVM:\n\n"
      "    cmake -S <trine source> -B build-aot -G Ninja -DTRINE_JIT=OFF -DTRINE_AOT_KERNELS=$PWD\n\n"
      "## Files\n\n"
      "- `dispatch_table.cpp`: the table from (op, shape, threads) to kernel (`runtime/aot_table.h`)\n"
      "{7}- `templates/`, `runtime/`: the template headers the kernels instantiate\n"
      "- `manifest.json`: the table as data\n\n"
      "## Kernels\n\n"
      "Shape `any` is a default, used where no tuned entry matches the shape and thread count.\n\n"
      "| op | MxK | threads | family | isa | config | source |\n|---|---|---|---|---|---|---|\n{8}"
      "{9}",
      plan.target.name, TRINE_VERSION, TRINE_GENERATOR_VERSION, plan.target.arch, plan.entries.size(), plan.tuned, isas,
      files, rows, notes.empty() ? "" : "\n## Notes\n\n" + notes);
}

std::string manifest_source(const AotPlan& plan) {
  nlohmann::json kernels = nlohmann::json::array();
  for (const AotEntry& e : plan.entries)
    kernels.push_back({{"op", op_name(e.op)}, {"M", e.M}, {"K", e.K}, {"threads", e.threads},
                       {"family", e.cand.family}, {"isa", isa_name(e.cand.isa)}, {"config", e.cand.config},
                       {"median_s", e.median_s}});
  nlohmann::json isas = nlohmann::json::array();
  for (Isa isa : plan.target.isas) isas.push_back(isa_name(isa));
  const nlohmann::json doc{{"format", "trine-aot"}, {"version", 1},       {"target", plan.target.name},
                           {"arch", plan.target.arch}, {"isas", isas},     {"generator", TRINE_GENERATOR_VERSION},
                           {"kernels", kernels}};
  return doc.dump(2) + "\n";
}

void check_out_dir(const fs::path& dir, bool force) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  if (!fs::is_directory(dir, ec)) throw Error(fmt::format("--out {}: exists and is not a directory", dir.string()));
  if (!fs::is_empty(dir, ec) && !force)
    throw Error(fmt::format("--out {}: exists and is not empty; pass --force to replace it", dir.string()));
}

void write_tree(const AotPlan& plan, const fs::path& root) {
  std::set<std::string> written;
  for (const Family* fam : all_families())
    for (const jit::SourceFile& h : fam->headers())
      if (written.insert(h.path).second) write_file(root / h.path, h.text);
  const auto tus = translation_units(plan);
  for (const auto& [file, cands] : tus) {
    const Family& fam = family_by_name(cands.front().family);
    write_file(root / file, fmt::format("// Generated by `trine aot --target {}`. Regenerate, do not edit.\n{}",
                                        plan.target.name, fam.source(cands)));
  }
  write_file(root / "dispatch_table.cpp", dispatch_source(plan));
  write_file(root / "CMakeLists.txt", cmake_source(plan, tus));
  write_file(root / "README.md", readme_source(plan, tus));
  write_file(root / "manifest.json", manifest_source(plan));
}

}  // namespace

const std::vector<std::string>& aot_target_names() {
  static const std::vector<std::string> names{"host", "x86-64-v3", "x86-64-v4", "aarch64"};
  return names;
}

AotTarget aot_target(const std::string& name, const HostInfo& host) {
  if (name == "host") {
    AotTarget t{name, "x86_64", usable_isas(host)};
    if (t.isas.empty()) throw Error("--target host: this host runs none of trine's kernel ISAs (AVX2 is the minimum)");
    return t;
  }
  // A fat library: the target's baseline ISA plus the extensions hosts of that level may have.
  if (name == "x86-64-v3") return {name, "x86_64", {Isa::avxvnni, Isa::avx2}};
  if (name == "x86-64-v4") return {name, "x86_64", {Isa::avx512vnni, Isa::avx2}};
  if (name == "aarch64") return {name, "aarch64", {required_isa("neondot", "aarch64")}};
  throw Error(fmt::format("--target {}: unknown target (expected one of: host, x86-64-v3, x86-64-v4, aarch64, cuda)", name));
}

std::string aot_isa_flags(Isa isa) {
  const std::string name = isa_name(isa);
  if (name == "avx2") return "-march=x86-64-v3";
  if (name == "avxvnni") return "-march=x86-64-v3;-mavxvnni";
  if (name == "avx512vnni") return "-march=x86-64-v4;-mavx512vnni";
  if (name == "neondot") return "-march=armv8.2-a+dotprod";
  throw Error(fmt::format("no ahead-of-time compiler flags for ISA {}", name));
}

AotPlan plan_aot(const AotTarget& target, const std::vector<Winner>& winners, const std::string& host_fingerprint) {
  AotPlan plan;
  plan.target = target;
  add_tuned(plan, winners, host_fingerprint);
  if (plan.tuned == 0)
    plan.notes.push_back(fmt::format("no tuned winners for target {}: every shape uses the family defaults", target.name));
  add_defaults(plan);
  return plan;
}

void write_aot(const AotPlan& plan, const std::string& dir, bool force) {
  write_tree_replacing(dir, force, [&](const std::string& root) { write_tree(plan, root); });
}

void write_tree_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  if (!(out << text) || !(out.flush())) throw Error(fmt::format("{}: cannot write", path));
}

void write_tree_replacing(const std::string& dir, bool force, const std::function<void(const std::string& root)>& fill) {
  const fs::path out = fs::absolute(dir).lexically_normal();
  check_out_dir(out, force);
  const fs::path tmp = out.string() + fmt::format(".tmp-{}", getpid());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  try {
    fill(tmp.string());
    if (fs::exists(out)) {
      const fs::path old = out.string() + fmt::format(".old-{}", getpid());
      fs::rename(out, old);
      fs::rename(tmp, out);
      fs::remove_all(old, ec);
    } else {
      fs::rename(tmp, out);
    }
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw Error(fmt::format("--out {}: {}", dir, e.code().message()));
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace trine::codegen
