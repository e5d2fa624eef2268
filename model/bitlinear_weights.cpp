#include "model/bitlinear_weights.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "runtime/error.h"

namespace trine::model {

TernaryMatrix unpack_packed(const TensorView& packed, const TensorView& scale, LinearClass cls) {
  if (packed.dtype != DType::U8 || packed.shape.size() != 2)
    throw Error(fmt::format("{}: expected a 2-D U8 tensor of packed ternary codes", packed.describe()));
  if (scale.numel() != 1) throw Error(fmt::format("{}: expected one scale per tensor", scale.describe()));
  const float s = to_f32(scale)[0];
  if (!std::isfinite(s) || s <= 0) throw Error(fmt::format("{}: scale {} is not a positive number", scale.describe(), s));
  const int R = static_cast<int>(packed.shape[0]), K = static_cast<int>(packed.shape[1]);
  TernaryMatrix W;
  W.M = 4 * R;
  W.K = K;
  W.w.resize(static_cast<std::size_t>(W.M) * K);
  for (int r = 0; r < R; ++r) {
    for (int k = 0; k < K; ++k) {
      const uint8_t byte = packed.data[static_cast<std::size_t>(r) * K + k];
      for (int i = 0; i < 4; ++i) {
        const int code = (byte >> (2 * i)) & 3;
        if (code == 3)
          throw Error(fmt::format("{}: corrupt code 0b11 at packed[{}][{}] (only 0b00, 0b01, 0b10 encode -1, 0, +1)",
                                  packed.describe(), r, k));
        W.w[static_cast<std::size_t>(r + i * R) * K + k] = static_cast<int8_t>(code - 1);
      }
    }
  }
  W.wscale = cls == LinearClass::autobitlinear ? s : 1.0f / s;
  return W;
}

TernaryMatrix ternarize_master(const TensorView& master) {
  if (master.shape.size() != 2) throw Error(fmt::format("{}: expected a 2-D weight", master.describe()));
  const std::vector<float> w = to_f32(master);
  double sum = 0;
  for (float v : w) sum += std::fabs(v);
  const float mean = static_cast<float>(sum / static_cast<double>(w.size()));
  const float s = 1.0f / std::max(mean, 1e-5f);
  TernaryMatrix W;
  W.M = static_cast<int>(master.shape[0]);
  W.K = static_cast<int>(master.shape[1]);
  W.w.resize(w.size());
  for (std::size_t i = 0; i < w.size(); ++i)
    W.w[i] = static_cast<int8_t>(std::clamp(std::rint(w[i] * s), -1.0f, 1.0f));
  W.wscale = 1.0f / s;
  return W;
}

TernaryMatrix load_projection(const Checkpoint& ckpt, const HfConfig& cfg, const std::string& prefix) {
  const TensorView& weight = ckpt.get(prefix + ".weight");
  if (cfg.quant_mode == QuantMode::online) return ternarize_master(weight);
  return unpack_packed(weight, ckpt.get(prefix + ".weight_scale"), cfg.linear_class);
}

}  // namespace trine::model
