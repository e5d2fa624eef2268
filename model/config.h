// BitNet b1.58 model hyper-parameters (the fields of config.json that shape the forward pass) and
// the matmul shapes they imply.
#pragma once
#include <string>
#include <vector>

namespace trine::model {

struct BitNetConfig {
  int vocab_size = 128256;
  int hidden_size = 2560;
  int intermediate_size = 6912;
  int num_hidden_layers = 30;
  int num_attention_heads = 20;
  int num_key_value_heads = 5;
  int max_position_embeddings = 4096;
  float rms_norm_eps = 1e-5f;
  float rope_theta = 500000.0f;
  int head_dim() const { return hidden_size / num_attention_heads; }
};

// A ternary projection's weight shape: M output features x K input features.
struct MatmulShape {
  std::string names;  // projections with this shape, e.g. "q,o"
  int M = 0, K = 0;
};

// The distinct BitLinear shapes of one decoder layer.
std::vector<MatmulShape> matmul_shapes(const BitNetConfig& c);

// Named configurations: "bitnet-2b4t" (microsoft/bitnet-b1.58-2B-4T). Throws Error naming the
// preset when unknown.
BitNetConfig preset_config(const std::string& preset);
std::vector<std::string> preset_names();

}  // namespace trine::model
