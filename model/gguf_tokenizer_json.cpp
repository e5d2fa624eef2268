#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/gguf.h"
#include "model/json_file.h"
#include "runtime/error.h"

namespace trine::model {

GgufTokenizerData gguf_tokenizer_from_json(const std::string& path) {
  const nlohmann::json j = read_json_file(path);
  if (!j.contains("model") || !j["model"].contains("vocab") || !j["model"]["vocab"].is_object())
    throw Error(fmt::format("{}: no model.vocab object", path));
  GgufTokenizerData t;
  t.pre = "llama-bpe";
  int size = 0;
  for (const auto& [piece, id] : j["model"]["vocab"].items()) size = std::max(size, id.get<int>() + 1);
  if (j.contains("added_tokens"))
    for (const auto& a : j["added_tokens"]) size = std::max(size, a["id"].get<int>() + 1);
  t.tokens.assign(static_cast<std::size_t>(size), "");
  t.token_type.assign(static_cast<std::size_t>(size), 1);
  for (const auto& [piece, id] : j["model"]["vocab"].items()) t.tokens[id.get<int>()] = piece;
  if (j.contains("added_tokens")) {
    for (const auto& a : j["added_tokens"]) {
      const int id = a["id"].get<int>();
      t.tokens[id] = a["content"].get<std::string>();
      if (a.value("special", false)) t.token_type[id] = 3;
    }
  }
  for (std::size_t i = 0; i < t.tokens.size(); ++i)
    if (t.tokens[i].empty()) throw Error(fmt::format("{}: no token has id {} (ids must be dense)", path, i));
  for (const auto& m : j["model"].value("merges", nlohmann::json::array())) {
    if (m.is_string()) t.merges.push_back(m.get<std::string>());
    else if (m.is_array() && m.size() == 2) t.merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
    else throw Error(fmt::format("{}: a merge is neither \"a b\" nor [a, b]", path));
  }
  auto find = [&](const char* s) {
    for (std::size_t i = 0; i < t.tokens.size(); ++i)
      if (t.tokens[i] == s) return static_cast<int>(i);
    return -1;
  };
  t.bos_id = find("<|begin_of_text|>");
  t.eos_id = find("<|end_of_text|>");
  t.eot_id = find("<|eot_id|>");
  t.add_bos = t.bos_id >= 0;
  return t;
}

}  // namespace trine::model
