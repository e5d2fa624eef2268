// Random-weight BitNet models in the real on-disk format (Hugging Face packed safetensors +
// config.json), for benchmarks and the default `trine run` when no checkpoint is given.
#pragma once
#include <cstdint>
#include <string>

#include "model/config.h"

namespace trine::model {

// "bitnet-2b4t" (the real shapes) or "tiny" (hidden 256, 4 layers, vocab 512).
BitNetConfig synthetic_config(const std::string& preset);
// Writes DIR/config.json and DIR/model.safetensors; DIR must not hold a model already.
void write_synthetic_hf(const BitNetConfig& cfg, const std::string& dir, uint64_t seed);
// The default model: made once under $XDG_CACHE_HOME/trine/models/ and reused; returns its dir.
std::string default_synthetic_model(const std::string& preset, uint64_t seed);

}  // namespace trine::model
