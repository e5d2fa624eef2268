// The vector float dot products behind vec_math.h, one file per architecture (vec_math_x86.cpp,
// vec_math_arm.cpp); vec_math.cpp falls back to scalar loops where none applies.
#pragma once
#include <cstdint>
#include <vector>

namespace trine {

struct DotKernels {
  float (*f32)(const float* a, const float* b, int n) = nullptr;
  float (*bf16)(const uint16_t* w, const float* x, int n) = nullptr;
  float (*i8)(const int8_t* w, const float* x, int n) = nullptr;
  // Four rows at once, each summed exactly as the one-row kernel sums it; null: four one-row calls.
  void (*bf16x4)(const uint16_t* const* w, const float* x, int n, float* out) = nullptr;
  void (*i8x4)(const int8_t* const* w, const float* x, int n, float* out) = nullptr;
};

// The best kernels this host runs (all null where the build or the CPU has none).
DotKernels simd_dot_kernels();
// Every vector level this host runs, best first, whatever TRINE_ISA caps: for tests.
std::vector<DotKernels> all_simd_dot_kernels();

}  // namespace trine
