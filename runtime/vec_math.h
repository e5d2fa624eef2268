// Float vector primitives of the forward pass, dispatched on the host's ISA. Reductions are
// vectorised, so their rounding differs from a sequential sum by ulps (inference is compared by
// tolerance, not bit for bit; only the ternary kernels have a bit-exact contract).
#pragma once
#include <cstddef>
#include <cstdint>

namespace trine {

float dot_f32(const float* a, const float* b, int n);
// Dot of bf16 weights (widened exactly to fp32) with fp32 activations: half the bytes of fp32
// weights and the same products.
float dot_bf16_f32(const uint16_t* w, const float* x, int n);
// True when every value is exactly representable in bf16, so storing it as bf16 loses nothing.
bool exact_in_bf16(const float* v, std::size_t n);
// Dot of int8 weights (widened to fp32) with fp32 activations; the caller applies the row scale.
float dot_i8_f32(const int8_t* w, const float* x, int n);
// out[r] = the dot of row w[r] with x for four rows, bit for bit what the one-row dots give: four
// far-apart rows streamed at once keep more DRAM pages in flight than one row at a time (the 2B4T
// bf16 head, 2 threads: 20.4 -> 18.1 ms).
void dot4_bf16_f32(const uint16_t* const* w, const float* x, int n, float* out);
void dot4_i8_f32(const int8_t* const* w, const float* x, int n, float* out);
void to_bf16_exact(const float* v, std::size_t n, uint16_t* out);  // requires exact_in_bf16
float bf16_to_f32(uint16_t b);
// y = w * x / sqrt(mean(x^2) + eps)
void rmsnorm_f32(const float* x, const float* w, float eps, int n, float* y);

}  // namespace trine
