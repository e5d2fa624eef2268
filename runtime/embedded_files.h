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

}  // namespace trine
