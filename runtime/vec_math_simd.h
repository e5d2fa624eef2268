// The vector float dot products behind vec_math.h, one file per architecture (vec_math_x86.cpp,
// vec_math_arm.cpp); vec_math.cpp falls back to scalar loops where none applies.
#pragma once
#include <cstdint>

namespace trine {

struct DotKernels {
  float (*f32)(const float* a, const float* b, int n) = nullptr;
  float (*bf16)(const uint16_t* w, const float* x, int n) = nullptr;
  float (*i8)(const int8_t* w, const float* x, int n) = nullptr;
};

// The best kernels this host runs (all null where the build or the CPU has none).
DotKernels simd_dot_kernels();

}  // namespace trine
