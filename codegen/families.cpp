// The registry of kernel families the tuner searches, and the template sources they compile.
#include <fmt/format.h>

#include "codegen/family.h"
#include "runtime/embedded_files.h"
#include "runtime/error.h"

namespace trine::codegen {

const std::vector<const Family*>& all_families() {
  // MAD first: its default is the baseline every speedup is quoted against.
  static const std::vector<const Family*> fams{&mad_family(), &base3_family(), &lut_family(), &halide_family()};
  return fams;
}

const Family& family_by_name(const std::string& name) {
  for (const Family* f : all_families())
    if (f->name() == name) return *f;
  std::string known;
  for (const Family* f : all_families()) known += (known.empty() ? "" : ", ") + f->name();
  throw Error(fmt::format("unknown kernel family '{}' (known: {})", name, known));
}

std::vector<jit::SourceFile> embedded_headers() {
  std::vector<jit::SourceFile> out;
  for (const EmbeddedFile& f : embedded_files()) out.push_back({f.path, f.text});
  return out;
}

}  // namespace trine::codegen
