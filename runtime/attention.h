// RoPE and causal attention over a cache of post-RoPE keys and values, shared by the reference
// forward pass and the engine so the two differ only in how they run the ternary matmuls.
#pragma once
#include <cstdint>
#include <vector>

namespace trine {

// inv_freq[i] = 1 / theta^(2i / hd) in fp32, as transformers computes it.
std::vector<float> rope_inv_freq(float theta, int hd);
// {cos, sin} of pos * inv_freq[i] for pos < positions, i < hd/2, computed as apply_rope computes
// them: [positions][hd/2][2]. The GPU engine's RoPE reads this table.
std::vector<float> rope_table(const std::vector<float>& inv_freq, int positions);
// NeoX pairing (d, d + hd/2) for every head of v at position pos.
void apply_rope(float* v, int heads, int hd, int pos, const std::vector<float>& inv_freq);
// out = softmax_s(q . K[s] * scale) V[s] over s < n; rows of K and V are `stride` floats apart.
// p needs n floats of scratch.
void attend(const float* q, const float* K, const float* V, int64_t stride, int n, int hd, float scale, float* out,
            float* p);

}  // namespace trine
