// Vector loops behind quantize_acts (runtime/quantize_x86.cpp; none yet for other architectures);
// quantize.cpp keeps the scalar loops they must match bit for bit and uses them where none applies.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace trine {

// One activation: clamp(rint(x * s), -128, 127), NaN -> -128. rint honours the default rounding
// mode: round half to even, as torch.round does.
inline int8_t quantize_act(float x, float s) {
  return static_cast<int8_t>(std::min(127.0f, std::max(-128.0f, std::rint(x * s))));
}

struct ActQuantKernels {
  // max |x[k]|, ignoring NaNs as std::max(amax, std::fabs(x)) does
  float (*amax)(const float* x, int n) = nullptr;
  // q[k] = clamp(rint(x[k] * s), -128, 127) (NaN -> -128, as the scalar clamp gives); returns sum q
  int32_t (*round)(const float* x, int n, float s, int8_t* q) = nullptr;
};

// The host's vector loops (both null where the build or the CPU has none).
ActQuantKernels simd_act_quant();
// The scalar loops, for tests to hold the vector ones against.
ActQuantKernels scalar_act_quant();

}  // namespace trine
