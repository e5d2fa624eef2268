#include "model/hf_config.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/json_file.h"
#include "runtime/error.h"

namespace trine::model {

namespace {

template <class T>
T field(const nlohmann::json& j, const std::string& file, const char* name, std::optional<T> fallback = std::nullopt) {
  if (!j.contains(name) || j[name].is_null()) {
    if (fallback) return *fallback;
    throw Error(fmt::format("{}: missing field {}", file, name));
  }
  try {
    return j[name].get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(fmt::format("{}: field {} has the wrong type ({})", file, name, j[name].dump()));
  }
}

}  // namespace

HfConfig load_hf_config(const std::string& dir) {
  const std::string file = (std::filesystem::path(dir) / "config.json").string();
  const nlohmann::json j = read_json_file(file);
  HfConfig c;
  BitNetConfig& m = c.model;
  m.vocab_size = field<int>(j, file, "vocab_size");
  m.hidden_size = field<int>(j, file, "hidden_size");
  m.intermediate_size = field<int>(j, file, "intermediate_size");
  m.num_hidden_layers = field<int>(j, file, "num_hidden_layers");
  m.num_attention_heads = field<int>(j, file, "num_attention_heads");
  m.num_key_value_heads = field<int>(j, file, "num_key_value_heads", m.num_attention_heads);
  m.max_position_embeddings = field<int>(j, file, "max_position_embeddings", 2048);
  m.rms_norm_eps = field<float>(j, file, "rms_norm_eps", 1e-5f);
  float theta = field<float>(j, file, "rope_theta", 10000.0f);
  if (j.contains("rope_parameters") && j["rope_parameters"].is_object())
    theta = field<float>(j["rope_parameters"], file, "rope_theta", theta);
  m.rope_theta = theta;
  c.head_dim = field<int>(j, file, "head_dim", m.hidden_size / std::max(1, m.num_attention_heads));
  c.bos_token_id = field<int>(j, file, "bos_token_id", 128000);
  c.eos_token_id = field<int>(j, file, "eos_token_id", 128001);
  c.tie_word_embeddings = field<bool>(j, file, "tie_word_embeddings", true);
  for (auto [name, v] : {std::pair{"vocab_size", m.vocab_size}, {"hidden_size", m.hidden_size},
                         {"intermediate_size", m.intermediate_size}, {"num_hidden_layers", m.num_hidden_layers},
                         {"num_attention_heads", m.num_attention_heads}, {"num_key_value_heads", m.num_key_value_heads}}) {
    if (v <= 0) throw Error(fmt::format("{}: field {} must be positive, got {}", file, name, v));
  }
  if (m.num_attention_heads % m.num_key_value_heads != 0)
    throw Error(fmt::format("{}: num_attention_heads {} is not a multiple of num_key_value_heads {}", file,
                            m.num_attention_heads, m.num_key_value_heads));
  // The scale's meaning follows linear_class (spec 1.3): only autobitlinear multiplies.
  if (j.contains("quantization_config") && j["quantization_config"].is_object()) {
    const auto& q = j["quantization_config"];
    const std::string lc = field<std::string>(q, file, "linear_class", std::string("bitlinear"));
    const std::string qm = field<std::string>(q, file, "quantization_mode", std::string("offline"));
    if (lc != "autobitlinear" && lc != "bitlinear")
      throw Error(fmt::format("{}: quantization_config.linear_class '{}' (expected autobitlinear or bitlinear)", file, lc));
    if (qm != "offline" && qm != "online")
      throw Error(fmt::format("{}: quantization_config.quantization_mode '{}' (expected offline or online)", file, qm));
    c.linear_class = lc == "autobitlinear" ? LinearClass::autobitlinear : LinearClass::bitlinear;
    c.quant_mode = qm == "online" ? QuantMode::online : QuantMode::offline;
  }
  return c;
}

}  // namespace trine::model
