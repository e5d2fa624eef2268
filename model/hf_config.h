// config.json of a Hugging Face BitNet checkpoint, with the quantization fields that decide how
// the projection weights are read.
#pragma once
#include <string>

#include "model/config.h"

namespace trine::model {

enum class LinearClass { autobitlinear, bitlinear };  // weight_scale multiplies / divides
enum class QuantMode { offline, online };             // packed codes / bf16 master weights

struct HfConfig {
  BitNetConfig model;
  int head_dim = 0;
  int bos_token_id = 0, eos_token_id = 0;
  bool tie_word_embeddings = true;
  LinearClass linear_class = LinearClass::bitlinear;
  QuantMode quant_mode = QuantMode::offline;
};

// dir/config.json; throws Error naming the file and the field.
HfConfig load_hf_config(const std::string& dir);

}  // namespace trine::model
