// Internals shared by tokenizer.cpp (encoding) and tokenizer_load.cpp (building the tables).
// Not part of the model/ API: include model/tokenizer.h instead.
#pragma once
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/tokenizer.h"

namespace trine::model::tok {

// GPT-2 byte-level spelling ("ĠHello") <-> raw bytes (" Hello"). nullopt: a character outside the
// 256-character byte alphabet.
std::optional<std::string> piece_to_bytes(std::string_view piece);
std::string bytes_to_piece(std::string_view bytes);

// One UTF-8 character at s[i]: its length; 0 if invalid; -(bytes present) if the text ends inside
// a character that is valid so far (what a stream decoder must wait on).
int utf8_decode(std::string_view s, size_t i, char32_t& cp);

// Unicode White_Space (what HF tokenizers' lstrip/rstrip strip).
bool is_unicode_space(char32_t c);

// Byte string -> id, open addressing over one arena: the whole-pre-token lookup of
// ignore_merges runs once per word, so it should cost one cache miss, not a node chase.
class PieceTable {
 public:
  void build(const std::vector<std::pair<std::string, int>>& entries);
  int find(std::string_view key) const;  // -1 if absent

 private:
  struct Slot {
    uint32_t off = 0, len = 0;
    int32_t id = -1;
    uint32_t hash = 0;
  };
  static uint64_t hash(std::string_view s);
  std::string_view view(const Slot& s) const { return std::string_view(arena_).substr(s.off, s.len); }
  std::string arena_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

// (left id, right id) -> (rank, merged id), 16-byte slots in one flat array.
class MergeTable {
 public:
  struct Entry {
    uint64_t key;
    int32_t rank, merged;
  };
  static uint64_t key(int l, int r) { return (uint64_t(uint32_t(l)) << 32) | uint32_t(r); }
  void build(const std::vector<Entry>& entries);
  const Entry* find(int l, int r) const {
    const uint64_t k = key(l, r);
    for (size_t i = mixed(k) & mask_;; i = (i + 1) & mask_) {
      const Entry& e = slots_[i];
      if (e.key == k) return &e;
      if (e.key == kEmpty) return nullptr;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static uint64_t mixed(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
  }
  std::vector<Entry> slots_{Entry{kEmpty, 0, 0}};
  size_t mask_ = 0;
};

// Longest-match lookup of the added tokens' texts.
class SpecialTrie {
 public:
  void add(std::string_view text, int id);
  bool may_start(unsigned char c) const { return first_[c]; }
  std::pair<int, size_t> longest(std::string_view s, size_t pos) const;  // {id or -1, length}

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int>> next;
    int id = -1;
  };
  std::vector<Node> nodes_;
  std::array<bool, 256> first_{};
};

class Regex {
 public:
  Regex(const std::string& pattern, const std::string& where);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  const pcre2_code* code() const { return code_; }

 private:
  pcre2_code* code_ = nullptr;
};

// tiktoken's cl100k-style pattern used by LLaMA-3 (GGUF "llama-bpe").
inline constexpr const char* kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// GPT-2's pattern (ByteLevel pre-tokenizer with use_regex, GGUF "gpt-2"/"default").
inline constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

}  // namespace trine::model::tok

namespace trine::model {

struct Tokenizer::Impl {
  enum : uint8_t { kAdded = 1, kLstrip = 2, kRstrip = 4 };
  std::vector<std::string> bytes;      // id -> the bytes it stands for (added tokens: their text)
  std::vector<uint8_t> added_flags;    // id -> kAdded | kLstrip | kRstrip
  tok::PieceTable pieces;              // BPE vocabulary, by bytes
  std::unordered_map<std::string, int> added_ids;
  tok::SpecialTrie specials;
  tok::MergeTable merges;
  std::array<int, 256> byte_id{};      // the single-byte token of each byte
  std::unique_ptr<tok::Regex> regex;
  bool ignore_merges = false;
  std::vector<int> bos_prefix, bos_suffix;  // what add_bos puts around the text
  int bos = -1, eos = -1;
};

// Builds the tables from vocabulary pieces (byte-level spelling or, for added tokens, literal
// text). `where` names the source in error messages.
struct VocabEntry {
  std::string text;
  bool added = false, lstrip = false, rstrip = false;
  bool raw = false;      // text is bytes already and takes no part in encoding (GGUF unused slots)
  bool present = false;  // ids nobody defined stay empty
};
std::shared_ptr<Tokenizer::Impl> build_impl(std::vector<VocabEntry> vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                                            const std::string& pattern, bool ignore_merges, const std::string& where);

}  // namespace trine::model
