// Building a Tokenizer from tokenizer.json or from GGUF vocabulary arrays. Everything the encoder
// relies on (every byte has a token, every merge names known pieces) is checked here, once, so
// encoding never meets a hole.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/json_file.h"
#include "model/tokenizer.h"
#include "model/tokenizer_impl.h"
#include "runtime/error.h"

namespace trine::model {

using nlohmann::json;

std::shared_ptr<Tokenizer::Impl> build_impl(std::vector<VocabEntry> vocab,
                                            const std::vector<std::pair<std::string, std::string>>& merges,
                                            const std::string& pattern, bool ignore_merges, const std::string& where) {
  auto t = std::make_shared<Tokenizer::Impl>();
  const size_t n = vocab.size();
  t->bytes.resize(n);
  t->added_flags.assign(n, 0);
  std::vector<std::pair<std::string, int>> pieces;
  pieces.reserve(n);
  for (size_t id = 0; id < n; ++id) {
    VocabEntry& e = vocab[id];
    if (!e.present) continue;
    if (e.added) {
      if (e.text.empty()) throw Error(fmt::format("{}: added token {} has empty content", where, id));
      t->added_flags[id] = Tokenizer::Impl::kAdded | (e.lstrip ? Tokenizer::Impl::kLstrip : 0) |
                           (e.rstrip ? Tokenizer::Impl::kRstrip : 0);
      t->added_ids.emplace(e.text, int(id));
      t->specials.add(e.text, int(id));
      t->bytes[id] = std::move(e.text);
    } else if (e.raw) {
      t->bytes[id] = std::move(e.text);
    } else {
      std::optional<std::string> b = tok::piece_to_bytes(e.text);
      if (!b)
        throw Error(fmt::format("{}: token {} {} is not spelled in the byte-level alphabet", where, id,
                                json(e.text).dump(-1, ' ', false, json::error_handler_t::replace)));
      pieces.emplace_back(*b, int(id));
      t->bytes[id] = std::move(*b);
    }
  }
  t->pieces.build(pieces);
  for (int b = 0; b < 256; ++b) {
    t->byte_id[size_t(b)] = t->pieces.find(std::string(1, char(b)));
    if (t->byte_id[size_t(b)] < 0)
      throw Error(fmt::format("{}: no token for byte 0x{:02X} (byte-level BPE needs one for each of the 256 bytes)",
                              where, b));
  }
  std::vector<tok::MergeTable::Entry> entries;
  entries.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto& [l, r] = merges[i];
    const auto fail = [&](const std::string& why) {
      return Error(fmt::format("{}: merge {} \"{} {}\": {}", where, i, l, r, why));
    };
    std::optional<std::string> lb = tok::piece_to_bytes(l), rb = tok::piece_to_bytes(r);
    if (!lb || !rb) throw fail("not spelled in the byte-level alphabet");
    const int li = t->pieces.find(*lb), ri = t->pieces.find(*rb), mi = t->pieces.find(*lb + *rb);
    if (li < 0 || ri < 0) throw fail("a side is not in the vocabulary");
    if (mi < 0) throw fail("the merged piece is not in the vocabulary");
    entries.push_back({tok::MergeTable::key(li, ri), int32_t(i), mi});
  }
  t->merges.build(entries);
  t->regex = std::make_unique<tok::Regex>(pattern, where);
  t->ignore_merges = ignore_merges;
  return t;
}

namespace {

// Both spellings HF has written: "a b" (a piece never holds a space, since space is "Ġ") and,
// in newer files, ["a", "b"].
std::pair<std::string, std::string> split_merge(const json& m, size_t i, const std::string& where) {
  if (m.is_string()) {
    const std::string& s = m.get_ref<const std::string&>();
    const size_t sp = s.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 >= s.size() || s.find(' ', sp + 1) != std::string::npos)
      throw Error(fmt::format("{}: merge {} \"{}\" is not two pieces separated by one space", where, i, s));
    return {s.substr(0, sp), s.substr(sp + 1)};
  }
  if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string())
    return {m[0].get<std::string>(), m[1].get<std::string>()};
  throw Error(fmt::format("{}: merge {} is neither \"a b\" nor [\"a\", \"b\"]: {}", where, i, m.dump()));
}

// The regex that splits text into pre-tokens, from a byte-level pre_tokenizer; anything this
// tokenizer would get wrong is refused rather than approximated.
std::string pre_tokenizer_pattern(const json& pt, const std::string& path) {
  const auto unsupported = [&](const std::string& what) {
    return Error(fmt::format("{}: pre_tokenizer {} is not supported (expected a byte-level BPE: Split(Regex, "
                             "Isolated) + ByteLevel(use_regex false), or ByteLevel alone)",
                             path, what));
  };
  if (!pt.is_object()) throw unsupported(pt.is_null() ? "null" : pt.dump());
  std::vector<json> steps;
  const std::string type = pt.value("type", "");
  if (type == "Sequence" && pt.contains("pretokenizers") && pt["pretokenizers"].is_array())
    for (const json& s : pt["pretokenizers"]) steps.push_back(s);
  else
    steps.push_back(pt);
  std::optional<std::string> pattern;
  bool byte_level = false;
  for (const json& s : steps) {
    const std::string st = s.is_object() ? s.value("type", "") : "";
    if (st == "Split") {
      if (pattern) throw unsupported("with more than one Split");
      if (!s.contains("pattern") || !s["pattern"].is_object() || !s["pattern"].contains("Regex") ||
          !s["pattern"]["Regex"].is_string())
        throw unsupported("Split without a Regex pattern");
      if (s.value("behavior", "") != "Isolated") throw unsupported("Split behavior " + s.value("behavior", "?"));
      if (s.value("invert", false)) throw unsupported("Split with invert");
      pattern = s["pattern"]["Regex"].get<std::string>();
    } else if (st == "ByteLevel") {
      if (s.value("add_prefix_space", false)) throw unsupported("ByteLevel with add_prefix_space");
      if (s.value("use_regex", true)) {
        if (pattern) throw unsupported("Split followed by ByteLevel(use_regex true)");
        pattern = tok::kGpt2Pattern;
      }
      byte_level = true;
    } else {
      throw unsupported(st.empty() ? s.dump() : st);
    }
  }
  if (!byte_level) throw unsupported("without ByteLevel");
  if (!pattern) throw unsupported("without a regex");
  return *pattern;
}

// Finds the TemplateProcessing step of post_processor (alone or inside a Sequence).
const json* template_processing(const json& j) {
  if (!j.contains("post_processor")) return nullptr;
  const json& pp = j["post_processor"];
  if (!pp.is_object()) return nullptr;
  if (pp.value("type", "") == "TemplateProcessing") return &pp;
  if (pp.value("type", "") == "Sequence" && pp.contains("processors") && pp["processors"].is_array())
    for (const json& p : pp["processors"])
      if (p.is_object() && p.value("type", "") == "TemplateProcessing") return &p;
  return nullptr;
}

// bos_token / eos_token of tokenizer_config.json: a string or an AddedToken object.
std::optional<std::string> config_token(const json& cfg, const char* key) {
  if (!cfg.contains(key)) return std::nullopt;
  const json& v = cfg[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  return std::nullopt;
}

}  // namespace

Tokenizer Tokenizer::from_json_file(const std::string& path) {
  const json j = read_json_file(path);
  try {
    if (!j.is_object()) throw Error(fmt::format("{}: not a tokenizer.json (top level is not an object)", path));
    if (!j.contains("model") || !j["model"].is_object())
      throw Error(fmt::format("{}: not a tokenizer.json (no \"model\" object)", path));
    const json& m = j["model"];
    if (m.contains("type") && m["type"] != "BPE")
      throw Error(fmt::format("{}: model.type is {}, only BPE is supported", path, m["type"].dump()));
    if (!m.contains("vocab") || !m["vocab"].is_object())
      throw Error(fmt::format("{}: model.vocab is missing or not an object", path));
    if (!m.contains("merges") || !m["merges"].is_array())
      throw Error(fmt::format("{}: model.merges is missing or not an array", path));
    if (m.value("byte_fallback", false)) throw Error(fmt::format("{}: model.byte_fallback is not supported", path));
    for (const char* k : {"continuing_subword_prefix", "end_of_word_suffix"})
      if (m.contains(k) && m[k].is_string() && !m[k].get<std::string>().empty())
        throw Error(fmt::format("{}: model.{} is not supported", path, k));
    if (j.contains("normalizer") && !j["normalizer"].is_null())
      throw Error(fmt::format("{}: normalizer {} is not supported (byte-level BPE has none)", path,
                              j["normalizer"].value("type", j["normalizer"].dump())));

    std::vector<VocabEntry> vocab;
    const auto slot = [&](int64_t id, const std::string& what) -> VocabEntry& {
      if (id < 0 || id >= (int64_t{1} << 24)) throw Error(fmt::format("{}: {} has id {} out of range", path, what, id));
      if (size_t(id) >= vocab.size()) vocab.resize(size_t(id) + 1);
      return vocab[size_t(id)];
    };
    for (const auto& [piece, idj] : m["vocab"].items()) {
      if (!idj.is_number_integer()) throw Error(fmt::format("{}: model.vocab[{}] is not an integer id", path, json(piece).dump()));
      VocabEntry& e = slot(idj.get<int64_t>(), "model.vocab entry " + json(piece).dump());
      if (e.present) throw Error(fmt::format("{}: model.vocab gives id {} twice", path, idj.get<int64_t>()));
      e.text = piece;
      e.present = true;
    }
    if (j.contains("added_tokens")) {
      if (!j["added_tokens"].is_array()) throw Error(fmt::format("{}: added_tokens is not an array", path));
      for (const json& a : j["added_tokens"]) {
        if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
            !a["content"].is_string())
          throw Error(fmt::format("{}: added token without an integer id and a string content: {}", path, a.dump()));
        VocabEntry& e = slot(a["id"].get<int64_t>(), "added token " + a["content"].dump());
        // An added token replaces a vocabulary entry with the same id, as in HF tokenizers.
        e = VocabEntry{a["content"].get<std::string>(), true, a.value("lstrip", false), a.value("rstrip", false), false, true};
      }
    }
    std::vector<std::pair<std::string, std::string>> merges;
    merges.reserve(m["merges"].size());
    for (size_t i = 0; i < m["merges"].size(); ++i) merges.push_back(split_merge(m["merges"][i], i, path));

    const std::string pattern = pre_tokenizer_pattern(j.contains("pre_tokenizer") ? j["pre_tokenizer"] : json(), path);
    auto impl = build_impl(std::move(vocab), merges, pattern, m.value("ignore_merges", false), path);

    const auto id_of = [&](const std::string& text) -> int {
      if (auto it = impl->added_ids.find(text); it != impl->added_ids.end()) return it->second;
      return impl->pieces.find(text);
    };
    // The special-token names a sibling tokenizer_config.json gives win over conventions.
    std::optional<std::string> bos_name, eos_name;
    const auto cfg_path = std::filesystem::path(path).parent_path() / "tokenizer_config.json";
    if (std::filesystem::exists(cfg_path)) {
      const json cfg = read_json_file(cfg_path.string());
      if (cfg.is_object()) bos_name = config_token(cfg, "bos_token"), eos_name = config_token(cfg, "eos_token");
    }
    if (const json* tp = template_processing(j)) {
      if (!tp->contains("single") || !(*tp)["single"].is_array())
        throw Error(fmt::format("{}: post_processor TemplateProcessing has no \"single\" template", path));
      bool after = false;
      for (const json& item : (*tp)["single"]) {
        if (item.contains("Sequence")) {
          after = true;
        } else if (item.contains("SpecialToken") && item["SpecialToken"].contains("id")) {
          const std::string name = item["SpecialToken"]["id"].get<std::string>();
          std::vector<int> ids;
          const json* st = tp->contains("special_tokens") && (*tp)["special_tokens"].contains(name)
                               ? &(*tp)["special_tokens"][name] : nullptr;
          if (st && st->contains("ids") && (*st)["ids"].is_array()) {
            for (const json& x : (*st)["ids"]) ids.push_back(x.get<int>());
          } else if (int id = id_of(name); id >= 0) {
            ids.push_back(id);
          }
          for (int id : ids)
            if (id < 0 || id >= int(impl->bytes.size()))
              throw Error(fmt::format("{}: post_processor special token {} has id {} outside the vocabulary", path, name, id));
          if (ids.empty()) throw Error(fmt::format("{}: post_processor special token {} is not in the vocabulary", path, name));
          auto& dst = after ? impl->bos_suffix : impl->bos_prefix;
          dst.insert(dst.end(), ids.begin(), ids.end());
        }
      }
    }
    impl->bos = id_of(bos_name.value_or("<|begin_of_text|>"));
    if (impl->bos < 0 && impl->bos_prefix.size() == 1) impl->bos = impl->bos_prefix[0];
    impl->eos = id_of(eos_name.value_or("<|end_of_text|>"));
    // Without a TemplateProcessing (early Llama-3 uploads have only ByteLevel) add_bos still
    // means "start with BOS".
    if (!template_processing(j) && impl->bos >= 0) impl->bos_prefix = {impl->bos};
    return Tokenizer(std::move(impl));
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: unexpected tokenizer.json structure: {}", path, e.what()));
  }
}

Tokenizer Tokenizer::from_vocab(std::vector<std::string> tokens, std::vector<std::string> merges,
                                std::vector<int> token_types, int bos_id, int eos_id, std::string_view pre) {
  const std::string where = "GGUF tokenizer";
  if (tokens.empty()) throw Error(where + ": tokenizer.ggml.tokens is empty");
  if (!token_types.empty() && token_types.size() != tokens.size())
    throw Error(fmt::format("{}: tokenizer.ggml.token_type has {} entries for {} tokens", where, token_types.size(),
                            tokens.size()));
  std::string pattern;
  bool ignore_merges;
  if (pre == "llama-bpe" || pre == "llama3") {
    pattern = tok::kLlama3Pattern, ignore_merges = true;
  } else if (pre == "gpt-2" || pre == "default" || pre.empty()) {
    pattern = tok::kGpt2Pattern, ignore_merges = false;
  } else {
    throw Error(fmt::format("{}: tokenizer.ggml.pre \"{}\" is not supported (llama-bpe, gpt-2)", where, pre));
  }
  std::vector<VocabEntry> vocab(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    const int type = token_types.empty() ? 1 : token_types[i];
    VocabEntry& e = vocab[i];
    e.text = std::move(tokens[i]);
    e.present = true;
    // 3 = control, 4 = user-defined: llama.cpp stores both as plain text and matches them first.
    e.added = type == 3 || type == 4;
    // Unknown/unused slots may hold text like "[PAD5]" or "<unk>" outside the byte alphabet;
    // they only need to decode.
    e.raw = (type == 2 || type == 5) && !tok::piece_to_bytes(e.text);
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const std::string& s = merges[i];
    const size_t sp = s.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 >= s.size() || s.find(' ', sp + 1) != std::string::npos)
      throw Error(fmt::format("{}: tokenizer.ggml.merges[{}] \"{}\" is not two pieces separated by one space", where, i, s));
    pairs.emplace_back(s.substr(0, sp), s.substr(sp + 1));
  }
  const int n = int(tokens.size());
  for (auto [name, id] : {std::pair{"bos", bos_id}, {"eos", eos_id}})
    if (id < -1 || id >= n) throw Error(fmt::format("{}: {} id {} is outside the vocabulary of {}", where, name, id, n));
  auto impl = build_impl(std::move(vocab), pairs, pattern, ignore_merges, where);
  impl->bos = bos_id;
  impl->eos = eos_id;
  if (bos_id >= 0) impl->bos_prefix = {bos_id};
  return Tokenizer(std::move(impl));
}

}  // namespace trine::model
