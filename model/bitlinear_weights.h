// The ternary matrix and scale of one BitLinear projection, from either published form: packed
// uint8 codes with weight_scale (quantization_mode offline) or bf16 master weights ternarised at
// load (online).
#pragma once
#include <string>

#include "model/hf_config.h"
#include "model/safetensors.h"
#include "runtime/ternary.h"

namespace trine::model {

// packed [out/4, in] uint8: row r + i*out/4 of W holds bits 2i..2i+1 of packed[r] (spec 3.1);
// code 3 is corrupt. scale is weight_scale ([1], F32/F16/BF16), multiplied or divided per class.
TernaryMatrix unpack_packed(const TensorView& packed, const TensorView& scale, LinearClass cls);
// W_master [out, in]: s = 1 / max(mean|W|, 1e-5), codes = clamp(rint(W * s), -1, 1), wscale = 1/s.
TernaryMatrix ternarize_master(const TensorView& master);
// prefix e.g. "model.layers.0.self_attn.q_proj"; picks the form from the config.
TernaryMatrix load_projection(const Checkpoint& ckpt, const HfConfig& cfg, const std::string& prefix);

}  // namespace trine::model
