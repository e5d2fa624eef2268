// A BitNet b1.58 model in memory, as the forward pass reads it: ternary projections, fp32 norms
// and the tied embedding. Filled by model/ from the published file formats.
#pragma once
#include <vector>

#include "runtime/ternary.h"

namespace trine {

struct ModelDims {
  int vocab = 0, hidden = 0, inter = 0, layers = 0, heads = 0, kv_heads = 0, head_dim = 0;
  float eps = 1e-5f, rope_theta = 500000.0f;
};

struct LayerWeights {
  TernaryMatrix q, k, v, o, gate, up, down;
  std::vector<float> input_norm, attn_sub_norm, post_attn_norm, ffn_sub_norm;
};

struct ModelWeights {
  ModelDims dims;
  std::vector<float> embed;  // [vocab][hidden], also the lm_head (tied)
  std::vector<float> final_norm;
  std::vector<LayerWeights> layers;
};

// Logits [T][vocab] of every position, recomputing the whole prompt in fp32 with the scalar
// reference GEMM: the model's definition, against which faster paths are checked.
std::vector<float> reference_forward(const ModelWeights& m, const std::vector<int>& ids);

}  // namespace trine
