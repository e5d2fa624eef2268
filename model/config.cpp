#include "model/config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/error.h"

namespace trine::model {

std::vector<MatmulShape> matmul_shapes(const BitNetConfig& c) {
  const int kv = c.num_key_value_heads * c.head_dim();
  std::vector<MatmulShape> out{{"q,o", c.hidden_size, c.hidden_size},
                               {"k,v", kv, c.hidden_size},
                               {"gate,up", c.intermediate_size, c.hidden_size},
                               {"down", c.hidden_size, c.intermediate_size}};
  // o_proj shares q's shape only while heads * head_dim == hidden; keep them apart otherwise.
  if (c.num_attention_heads * c.head_dim() != c.hidden_size) out[0].names = "q";
  return out;
}

std::vector<std::string> preset_names() { return {"bitnet-2b4t"}; }

BitNetConfig preset_config(const std::string& preset) {
  if (preset == "bitnet-2b4t") return BitNetConfig{};
  throw Error(fmt::format("--preset '{}': unknown preset (known: {})", preset, fmt::join(preset_names(), ", ")));
}

}  // namespace trine::model
