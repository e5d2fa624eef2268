// Kernels ready to time, shared by `bench kernels`, `report` and the Google Benchmark suite: a
// random problem per shape, and each chosen kernel compiled and given the weights packed in its
// layout. Uses codegen only (no cli/ code), so the benchmark suite can build it too.
#pragma once
#include <deque>
#include <string>
#include <vector>

#include "bench/kernel_bench.h"
#include "codegen/kernel_compiler.h"
#include "codegen/tuner.h"
#include "runtime/problems.h"
#include "runtime/registry.h"

namespace trine::cli {

// A kernel to time and what it is: "winner" (the stored winner of the shape), "family best" (the
// family's fastest tuned config, beaten by another family), "default" (the family's default
// config), or "... = default" where the tuned one is the default config.
struct KernelVariant {
  KernelChoice choice;
  std::string variant;
};

// Each family of codegen::all_families() for key's op and shape: its fastest tuned config over
// `isas` where it was tuned, and its default for the most capable ISA it supports (beside the
// tuned one when defaults_beside_tuned, else only where it was never tuned).
std::vector<KernelVariant> family_variants(const TuningDb* db, const TuneKey& key, const std::vector<Isa>& isas,
                                           bool defaults_beside_tuned);

struct KernelItems {
  std::deque<Problem> data;  // one per shape; a deque, because items point into it
  std::vector<bench::BenchItem> items;
  std::vector<std::string> variants;  // labels items[i]
};

// choices[i] are the kernels for shapes[i]; all are compiled in one batch per family and ISA.
KernelItems build_items(const std::vector<codegen::Shape>& shapes, const std::vector<std::vector<KernelVariant>>& choices,
                        codegen::CompilerSet& compilers);

}  // namespace trine::cli
