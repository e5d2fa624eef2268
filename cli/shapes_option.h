// --preset / --shape, shared by `tune` and `bench kernels`.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "codegen/tuner.h"
#include "model/config.h"

namespace trine::cli {

// Each BitLinear shape of the preset as a decode GEMV (N = 1), then each as a prefill GEMM at
// N = 128 (the prompt lengths prefill will see).
inline std::vector<codegen::Shape> preset_shapes(const std::string& preset) {
  std::vector<codegen::Shape> out;
  const auto mats = model::matmul_shapes(model::preset_config(preset));
  for (int n : {1, 128})
    for (const auto& m : mats) out.push_back({m.M, m.K, n, m.names});
  return out;
}

struct ShapeArgs {
  std::string preset;
  std::vector<std::string> shapes;
  void add_to(CLI::App* cmd) {
    auto* p = cmd->add_option("--preset", preset, "Model whose matmul shapes to use (bitnet-2b4t)");
    auto* s = cmd->add_option("--shape", shapes, "MxK (GEMV, N = 1) or MxKxN (GEMM); repeatable");
    p->excludes(s);
    s->excludes(p);
  }
  std::vector<codegen::Shape> resolve() const {
    if (!preset.empty()) return preset_shapes(preset);
    if (shapes.empty()) throw Error("give --preset bitnet-2b4t or at least one --shape MxK[xN]");
    std::vector<codegen::Shape> out;
    for (const std::string& s : shapes) out.push_back(codegen::parse_shape(s));
    return out;
  }
};

}  // namespace trine::cli
