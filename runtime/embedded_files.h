// Source files compiled into the binary (kernel templates), so the JIT works from any directory.
#pragma once
#include <string>
#include <vector>

namespace trine {

struct EmbeddedFile {
  const char* path;  // relative to the source root, e.g. "templates/cpu/mad.h"
  const char* text;
};

const std::vector<EmbeddedFile>& embedded_files();
// Halide's runtime header (HalideRuntime.h, from the Halide it was built with), which Halide
// kernel wrappers include; only JIT builds, which link Halide, have it.
const std::vector<EmbeddedFile>& halide_runtime_files();

}  // namespace trine
