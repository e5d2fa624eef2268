#include "model/synthetic.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/safetensors_writer.h"
#include "runtime/error.h"
#include "runtime/tuning_db.h"

namespace trine::model {

namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> bf16_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> out(v.size() * 2);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const uint16_t b = to_bf16(v[i]);
    std::memcpy(&out[2 * i], &b, 2);
  }
  return out;
}

// Codes packed along output rows in 4 blocks of R rows (spec 3.1), drawn uniformly from -1, 0, +1.
std::vector<uint8_t> random_packed(int M, int K, std::mt19937_64& rng) {
  const int R = M / 4;
  std::vector<uint8_t> out(static_cast<std::size_t>(R) * K);
  for (auto& b : out) {
    uint8_t byte = 0;
    uint64_t r = rng();
    for (int i = 0; i < 4; ++i, r >>= 8) byte |= static_cast<uint8_t>((r % 3) << (2 * i));
    b = byte;
  }
  return out;
}

std::vector<float> random_vector(std::size_t n, float mean, float stddev, std::mt19937_64& rng) {
  std::normal_distribution<float> g(mean, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = g(rng);
  return v;
}

}  // namespace

BitNetConfig synthetic_config(const std::string& preset) {
  if (preset == "tiny") {
    BitNetConfig c;
    c.vocab_size = 512;
    c.hidden_size = 256;
    c.intermediate_size = 704;
    c.num_hidden_layers = 4;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.max_position_embeddings = 512;
    return c;
  }
  if (preset == "bitnet-2b4t") return BitNetConfig{};
  throw Error(fmt::format("--preset '{}': unknown (known: bitnet-2b4t, tiny)", preset));
}

void write_synthetic_hf(const BitNetConfig& c, const std::string& dir, uint64_t seed) {
  if (c.hidden_size % 4 || c.intermediate_size % 4 || (c.num_key_value_heads * c.head_dim()) % 4)
    throw Error("synthetic model: projection sizes must be multiples of 4 (packed codes)");
  fs::create_directories(dir);
  if (fs::exists(fs::path(dir) / "model.safetensors") || fs::exists(fs::path(dir) / "config.json"))
    throw Error(fmt::format("{}: already holds a model; choose an empty directory", dir));
  std::mt19937_64 rng(seed);
  SafetensorsWriter w;
  const int H = c.hidden_size, I = c.intermediate_size, kv = c.num_key_value_heads * c.head_dim();
  w.add("model.embed_tokens.weight", DType::BF16, {c.vocab_size, H},
        bf16_bytes(random_vector(static_cast<std::size_t>(c.vocab_size) * H, 0.0f, 1.0f, rng)));
  w.add("model.norm.weight", DType::BF16, {H}, bf16_bytes(random_vector(H, 1.0f, 0.1f, rng)));
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = fmt::format("model.layers.{}.", l);
    struct Proj { const char* name; int M, K; };
    for (const Proj& pr : {Proj{"self_attn.q_proj", H, H}, Proj{"self_attn.k_proj", kv, H}, Proj{"self_attn.v_proj", kv, H},
                           Proj{"self_attn.o_proj", H, H}, Proj{"mlp.gate_proj", I, H}, Proj{"mlp.up_proj", I, H},
                           Proj{"mlp.down_proj", H, I}}) {
      w.add(p + pr.name + ".weight", DType::U8, {pr.M / 4, pr.K}, random_packed(pr.M, pr.K, rng));
      w.add(p + pr.name + ".weight_scale", DType::BF16, {1}, bf16_bytes({1.0f + 0.5f * std::fabs(random_vector(1, 0, 1, rng)[0])}));
    }
    for (auto [name, n] : {std::pair{"input_layernorm", H}, {"post_attention_layernorm", H},
                           {"self_attn.attn_sub_norm", H}, {"mlp.ffn_sub_norm", I}})
      w.add(p + name + ".weight", DType::BF16, {n}, bf16_bytes(random_vector(static_cast<std::size_t>(n), 1.0f, 0.1f, rng)));
  }
  nlohmann::json cfg = {
      {"architectures", {"BitNetForCausalLM"}}, {"model_type", "bitnet"}, {"vocab_size", c.vocab_size},
      {"hidden_size", H}, {"intermediate_size", I}, {"num_hidden_layers", c.num_hidden_layers},
      {"num_attention_heads", c.num_attention_heads}, {"num_key_value_heads", c.num_key_value_heads},
      {"hidden_act", "relu2"}, {"max_position_embeddings", c.max_position_embeddings},
      {"rms_norm_eps", c.rms_norm_eps}, {"rope_theta", c.rope_theta}, {"tie_word_embeddings", true},
      {"bos_token_id", c.vocab_size > 128000 ? 128000 : 0}, {"eos_token_id", c.vocab_size > 128001 ? 128001 : 1},
      {"torch_dtype", "bfloat16"},
      {"quantization_config", {{"quant_method", "bitnet"}, {"linear_class", "autobitlinear"}, {"quantization_mode", "offline"}}},
      {"trine_synthetic", {{"seed", seed}, {"note", "random weights in the published format; not a trained model"}}}};
  w.write((fs::path(dir) / "model.safetensors").string());
  std::ofstream out(fs::path(dir) / "config.json");
  out << cfg.dump(2) << "\n";
  if (!out) throw Error(fmt::format("cannot write {}/config.json", dir));
}

std::string default_synthetic_model(const std::string& preset, uint64_t seed) {
  const fs::path cache = fs::path(TuningDb::default_path()).parent_path() / "models" / fmt::format("{}-synthetic-seed{}", preset, seed);
  if (fs::exists(cache / "config.json") && fs::exists(cache / "model.safetensors")) return cache.string();
  // Build beside the final place, then move it in: an interrupted build leaves nothing half-made.
  const fs::path tmp = cache.string() + fmt::format(".partial-{}", ::getpid());
  fs::remove_all(tmp);
  write_synthetic_hf(synthetic_config(preset), tmp.string(), seed);
  fs::remove_all(cache);
  fs::rename(tmp, cache);
  return cache.string();
}

}  // namespace trine::model
