// Float vector primitives of the forward pass, dispatched on the host's ISA. Reductions are
// vectorised, so their rounding differs from a sequential sum by ulps (inference is compared by
// tolerance, not bit for bit; only the ternary kernels have a bit-exact contract).
#pragma once

namespace trine {

float dot_f32(const float* a, const float* b, int n);
// y = w * x / sqrt(mean(x^2) + eps)
void rmsnorm_f32(const float* x, const float* w, float eps, int n, float* y);

}  // namespace trine
