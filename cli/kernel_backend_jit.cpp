// The kernel backend of a JIT build: tuned winners from the database (or defaults), compiled in
// process; and any AOT tree's kernels, compiled from its manifest, to compare with an AOT build.
#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "cli/common.h"
#include "cli/kernel_backend.h"
#include "codegen/jit_provider.h"
#include "codegen/resolve.h"
#include "model/json_file.h"
#include "runtime/error.h"

namespace trine::cli {

namespace {

// The JIT provider borrows its compilers and database; this owns them for the model's lifetime.
class OwningJitProvider final : public KernelProvider {
 public:
  explicit OwningJitProvider(const ModelArgs& a)
      : db_(open_db(a.db)),
        compilers_(a.object_cache.empty() ? jit::Jit::default_cache_dir() : a.object_cache),
        jit_(compilers_, db_.get(), host_info(), pick_isas(a.isa, host_info(), false), a.prefill()) {}
  PreparedMatmul prepare(const TernaryMatrix& W, int threads) override { return jit_.prepare(W, threads); }

 private:
  std::unique_ptr<TuningDb> db_;
  codegen::CompilerSet compilers_;
  codegen::JitKernelProvider jit_;
};

ListedKernel parse_manifest_kernel(const nlohmann::json& k, const std::string& file) {
  try {
    const std::string op_text = k.at("op").get<std::string>(), isa_text = k.at("isa").get<std::string>();
    const std::optional<Isa> isa = parse_isa(isa_text);
    const std::optional<Op> op = parse_op(op_text);
    if (!isa) throw Error(fmt::format("unknown ISA '{}'", isa_text));
    if (!op) throw Error(fmt::format("unknown op '{}'", op_text));
    return ListedKernel{*op, k.at("M").get<int>(), k.at("K").get<int>(),
                        k.at("threads").get<int>(), k.at("family").get<std::string>(), k.at("config").get<std::string>(),
                        *isa, nullptr};
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: a kernel entry is malformed: {}", file, e.what()));
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", file, e.what()));
  }
}

}  // namespace

std::string kernel_backend_name() { return fmt::format("jit ({})", jit::Jit::compiler_version()); }

std::unique_ptr<KernelProvider> make_kernel_provider(const ModelArgs& a) {
  return std::make_unique<OwningJitProvider>(a);
}

KernelList listed_kernels(const std::string& aot_dir, const std::string& object_cache) {
  if (aot_dir.empty()) throw Error("--aot-dir is required: the JIT build has no built-in kernel table");
  const std::string file = (std::filesystem::path(aot_dir) / "manifest.json").string();
  const nlohmann::json doc = model::read_json_file(file);
  if (!doc.is_object() || doc.value("format", "") != "trine-aot" || !doc.contains("kernels") ||
      !doc["kernels"].is_array())
    throw Error(fmt::format("{}: not a trine aot manifest", file));
  KernelList out;
  std::vector<KernelChoice> choices;
  const std::vector<Isa> usable = usable_isas(host_info());
  auto runs = [&](const ListedKernel& l) {
    return std::find(usable.begin(), usable.end(), l.isa) != usable.end() &&
           kernel_runs_on(l.family, l.isa, l.config, host_info());
  };
  for (const nlohmann::json& k : doc["kernels"]) {
    ListedKernel l = parse_manifest_kernel(k, file);
    if (runs(l)) choices.push_back(KernelChoice{l.family, l.isa, l.config, std::nullopt});
    out.kernels.push_back(std::move(l));
  }
  auto compilers =
      std::make_shared<codegen::CompilerSet>(object_cache.empty() ? jit::Jit::default_cache_dir() : object_cache);
  out.owner = compilers;
  const std::vector<codegen::Resolved> compiled = codegen::resolve_kernels(choices, *compilers);
  std::size_t next = 0;
  for (ListedKernel& l : out.kernels)
    if (runs(l)) l.fn = compiled[next++].fn;
  return out;
}

}  // namespace trine::cli
