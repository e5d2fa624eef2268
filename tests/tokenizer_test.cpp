// The LLaMA-3 tokenizer: BPE rules on small hand-built vocabularies (always run), and exact ids
// against the reference encoder on the real tokenizer.json (needs scripts/fetch-test-data.sh and
// TRINE_TESTDATA; skipped with a message otherwise).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/tokenizer.h"
#include "runtime/error.h"

namespace {

using trine::Error;
using trine::model::render_chat;
using trine::model::Tokenizer;
using json = nlohmann::json;
namespace fs = std::filesystem;

// GPT-2 bytes_to_unicode, written out independently of the library's copy.
std::string byte_piece(unsigned char b) {
  static const std::vector<std::string> table = [] {
    std::vector<std::string> t(256);
    int extra = 0;
    for (int c = 0; c < 256; ++c) {
      const bool keep = (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF);
      const unsigned cp = keep ? unsigned(c) : 256u + unsigned(extra++);
      std::string s;
      if (cp < 0x80) s += char(cp);
      else s += char(0xC0 | (cp >> 6)), s += char(0x80 | (cp & 0x3F));
      t[size_t(c)] = s;
    }
    return t;
  }();
  return table[b];
}

std::string pieces(std::string_view bytes) {
  std::string s;
  for (unsigned char c : bytes) s += byte_piece(c);
  return s;
}

// A byte-level vocabulary: ids 0..255 are the bytes, then `words` (as raw bytes) in order, then
// `specials` as control tokens. Merges are given as raw-byte pairs.
struct SmallVocab {
  std::vector<std::string> tokens;
  std::vector<std::string> merges;
  std::vector<int> types;
  SmallVocab(const std::vector<std::string>& words, const std::vector<std::pair<std::string, std::string>>& merge_pairs,
             const std::vector<std::string>& specials = {}) {
    for (int b = 0; b < 256; ++b) tokens.push_back(byte_piece((unsigned char)b)), types.push_back(1);
    for (const auto& w : words) tokens.push_back(pieces(w)), types.push_back(1);
    for (const auto& s : specials) tokens.push_back(s), types.push_back(3);
    for (const auto& [a, b] : merge_pairs) merges.push_back(pieces(a) + " " + pieces(b));
  }
  int id(const std::string& word) const {
    for (size_t i = 256; i < tokens.size(); ++i)
      if (tokens[i] == pieces(word) || (types[i] == 3 && tokens[i] == word)) return int(i);
    return -1;
  }
  Tokenizer make(const char* pre = "llama-bpe", int bos = -1) const {
    return Tokenizer::from_vocab(tokens, merges, types, bos, -1, pre);
  }
};

std::vector<int> bytes_ids(std::string_view s) {
  std::vector<int> v;
  for (unsigned char c : s) v.push_back(c);
  return v;
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = (unsigned char)s[i];
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + size_t(n) > s.size()) return false;
    for (int k = 1; k < n; ++k)
      if (((unsigned char)s[i + size_t(k)] & 0xC0) != 0x80) return false;
    i += size_t(n);
  }
  return true;
}

// ---- BPE rules on small vocabularies -------------------------------------------------------

TEST(TokenizerBpe, MergesByRankNotByPosition) {
  // "b c" outranks "a b", so "abc" must become a + bc even though "ab" comes first in the text.
  SmallVocab v({"bc", "ab"}, {{"b", "c"}, {"a", "b"}});
  Tokenizer t = v.make("gpt-2");
  EXPECT_EQ(t.encode("abc", false), (std::vector<int>{'a', v.id("bc")}));
  EXPECT_EQ(t.encode("abx", false), (std::vector<int>{v.id("ab"), 'x'}));
}

TEST(TokenizerBpe, EqualRanksMergeLeftmostFirst) {
  SmallVocab v({"aa", "aaaa"}, {{"a", "a"}, {"aa", "aa"}});
  Tokenizer t = v.make("gpt-2");
  EXPECT_EQ(t.encode("aaa", false), (std::vector<int>{v.id("aa"), 'a'}));
  EXPECT_EQ(t.encode("aaaa", false), (std::vector<int>{v.id("aaaa")}));
  EXPECT_EQ(t.encode("aaaaa", false), (std::vector<int>{v.id("aaaa"), 'a'}));
}

TEST(TokenizerBpe, IgnoreMergesTakesWholeVocabularyWords) {
  // "abc" is in the vocabulary but no merge sequence reaches it: LLaMA-3's ignore_merges emits it
  // whole; plain GPT-2 BPE cannot.
  SmallVocab v({"bc", "abc"}, {{"b", "c"}});
  EXPECT_EQ(v.make("llama-bpe").encode("abc", false), (std::vector<int>{v.id("abc")}));
  EXPECT_EQ(v.make("gpt-2").encode("abc", false), (std::vector<int>{'a', v.id("bc")}));
}

TEST(TokenizerBpe, PreTokensNeverMergeAcrossTheRegexSplit) {
  SmallVocab v({"a ", " b", "ab"}, {{"a", " "}, {" ", "b"}, {"a", "b"}});
  // LLaMA-3 regex: "a" | " b" — the space joins the following word.
  EXPECT_EQ(v.make().encode("a b", false), (std::vector<int>{'a', v.id(" b")}));
}

TEST(TokenizerBpe, WhiteSpaceIsUnicodeWhiteSpace) {
  // U+180E left White_Space in Unicode 6.3; HF's Oniguruma agrees, PCRE2's own \s does not. As
  // punctuation, two of them form one pre-token (found whole through ignore_merges).
  const std::string mvs = "\xE1\xA0\x8E";
  SmallVocab v({mvs + mvs}, {});
  EXPECT_EQ(v.make().encode("a" + mvs + mvs + "b", false), (std::vector<int>{'a', v.id(mvs + mvs), 'b'}));
  // U+3000 is White_Space: "x" + U+3000 + U+3000 + "y" splits the spaces as \s+(?!\S) does.
  SmallVocab w({"\xE3\x80\x80"}, {});
  EXPECT_EQ(w.make().encode("x\xE3\x80\x80\xE3\x80\x80y", false),
            (std::vector<int>{'x', w.id("\xE3\x80\x80"), 0xE3, 0x80, 0x80, 'y'}));
}

TEST(TokenizerBpe, SpecialTokensFirstLongestMatch) {
  SmallVocab v({}, {}, {"<|a|>", "<|a|>b", "<|eot_id|>"});
  Tokenizer t = v.make();
  EXPECT_EQ(t.encode("<|a|>bc", false), (std::vector<int>{v.id("<|a|>b"), 'c'}));
  EXPECT_EQ(t.encode("x<|a|>", false), (std::vector<int>{'x', v.id("<|a|>")}));
  EXPECT_EQ(t.encode("<|a|", false), bytes_ids("<|a|"));
  EXPECT_EQ(t.encode("<|eot_id|><|eot_id|>", false), (std::vector<int>{v.id("<|eot_id|>"), v.id("<|eot_id|>")}));
  EXPECT_TRUE(t.is_special(v.id("<|eot_id|>")));
  EXPECT_FALSE(t.is_special('a'));
  EXPECT_EQ(t.find_token("<|eot_id|>"), v.id("<|eot_id|>"));
  EXPECT_EQ(t.find_token("a"), 'a');
  EXPECT_EQ(t.find_token("<|nope|>"), std::nullopt);
  EXPECT_EQ(t.decode({v.id("<|a|>b"), 'c'}), "<|a|>bc");
}

TEST(TokenizerBpe, AddBosPrependsTheBos) {
  SmallVocab v({}, {}, {"<s>"});
  Tokenizer t = v.make("llama-bpe", v.id("<s>"));
  EXPECT_EQ(t.bos_id(), v.id("<s>"));
  EXPECT_EQ(t.encode("hi", true), (std::vector<int>{v.id("<s>"), 'h', 'i'}));
  EXPECT_EQ(t.encode("", true), (std::vector<int>{v.id("<s>")}));
  EXPECT_EQ(t.encode("", false), std::vector<int>{});
}

TEST(TokenizerBpe, InvalidUtf8GoesThroughByteByByte) {
  SmallVocab v({"ab"}, {{"a", "b"}});
  Tokenizer t = v.make();
  const std::string s = "ab\xff\xfe" "ab \xc3 ab\xe2\x82";
  const std::vector<int> ids = t.encode(s, false);
  EXPECT_EQ(t.decode(ids), s);
  EXPECT_EQ(t.decode({0xF0, 0x9F}), "\xF0\x9F");  // half an emoji: bytes as they are
  EXPECT_EQ(t.token_text(0x80), "\x80");
  EXPECT_EQ(t.token_piece(' '), "\xC4\xA0");  // "Ġ"
}

TEST(TokenizerBpe, DecodeRejectsIdsOutOfRange) {
  SmallVocab v({}, {});
  Tokenizer t = v.make();
  EXPECT_THROW(t.decode({1, 256}), Error);
  EXPECT_THROW(t.decode({-1}), Error);
  EXPECT_THROW(t.token_text(1000), Error);
}

TEST(TokenizerBpe, LongInputsOfOneCharacterClass) {
  // Long runs exercise the regex (backtracking on \s+(?!\S)) and the merge heap.
  SmallVocab v({"  ", "aa"}, {{" ", " "}, {"a", "a"}});
  Tokenizer t = v.make();
  for (const std::string& s : {std::string(100000, ' '), std::string(100000, 'a'), std::string(50000, '\n') + "x",
                               std::string(30000, '7')}) {
    const std::vector<int> ids = t.encode(s, false);
    EXPECT_EQ(t.decode(ids), s);
  }
  EXPECT_EQ(t.encode(std::string(6, 'a'), false), (std::vector<int>(3, v.id("aa"))));
}

TEST(TokenizerStream, HoldsBackPartialCharacters) {
  SmallVocab v({}, {});
  Tokenizer t = v.make();
  Tokenizer::StreamDecoder d(t);
  // U+1F600 = F0 9F 98 80, one byte per token.
  EXPECT_EQ(d.push('h'), "h");
  EXPECT_EQ(d.push(0xF0), "");
  EXPECT_EQ(d.push(0x9F), "");
  EXPECT_EQ(d.push(0x98), "");
  EXPECT_EQ(d.push(0x80), "\xF0\x9F\x98\x80");
  // A byte that can never start a character, and a lead followed by a non-continuation, pass.
  EXPECT_EQ(d.push(0xFF), "\xFF");
  EXPECT_EQ(d.push(0xE2), "");
  EXPECT_EQ(d.push('x'), "\xE2x");
  EXPECT_EQ(d.push(0xED), "");
  EXPECT_EQ(d.push(0xA0), "\xED\xA0");  // a surrogate can never complete
  EXPECT_EQ(d.push(0xC3), "");
  EXPECT_EQ(d.flush(), "\xC3");
  EXPECT_EQ(d.flush(), "");
}

// ---- chat template -------------------------------------------------------------------------

TEST(ChatTemplate, MatchesTheSpec) {
  EXPECT_EQ(render_chat({{"system", "You are a helpful AI assistant."}, {"user", "How are you?"}}, true),
            "<|begin_of_text|>System: You are a helpful AI assistant.<|eot_id|>User: How are you?<|eot_id|>Assistant: ");
  EXPECT_EQ(render_chat({{"user", "  \n hi \t"}, {"ASSISTANT", "Hello!\n"}}, false),
            "<|begin_of_text|>User: hi<|eot_id|>Assistant: Hello!<|eot_id|>");
  EXPECT_EQ(render_chat({}, true), "<|begin_of_text|>Assistant: ");
  // Python's strip() also removes U+3000 and U+00A0.
  EXPECT_EQ(render_chat({{"user", "\xE3\x80\x80q\xC2\xA0"}}, false), "<|begin_of_text|>User: q<|eot_id|>");
}

// ---- bad input -----------------------------------------------------------------------------

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("trine_tok_" + std::to_string(::getpid()) + "_" +
                                        std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
};

void expect_error_naming(const std::string& file, const std::string& what) {
  try {
    Tokenizer::from_json_file(file);
    ADD_FAILURE() << "no error for " << file;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

// A minimal valid byte-level tokenizer.json, to break one piece at a time.
json small_tokenizer_json() {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_piece((unsigned char)b)] = b;
  vocab[pieces("hi")] = 256;
  return json{
      {"added_tokens", json::array({json{{"id", 257}, {"content", "<|bos|>"}, {"special", true}},
                                    json{{"id", 258}, {"content", "<|eos|>"}, {"special", true}}})},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers", json::array({json{{"type", "Split"},
                                            {"pattern", {{"Regex", R"(\p{L}+|\s+|[^\s\p{L}]+)"}}},
                                            {"behavior", "Isolated"},
                                            {"invert", false}},
                                       json{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}})}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", json::array({json{{"SpecialToken", {{"id", "<|bos|>"}, {"type_id", 0}}}},
                                json{{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                                json{{"SpecialToken", {{"id", "<|eos|>"}, {"type_id", 0}}}}})},
        {"special_tokens", {{"<|bos|>", {{"id", "<|bos|>"}, {"ids", {257}}, {"tokens", {"<|bos|>"}}}},
                            {"<|eos|>", {{"id", "<|eos|>"}, {"ids", {258}}, {"tokens", {"<|eos|>"}}}}}}}},
      {"model", {{"type", "BPE"}, {"ignore_merges", true}, {"vocab", vocab}, {"merges", json::array({"h i"})}}}};
}

TEST(TokenizerJson, SmallFileWithTemplateProcessing) {
  TempDir d;
  const Tokenizer t = Tokenizer::from_json_file(d.write("tokenizer.json", small_tokenizer_json().dump()));
  EXPECT_EQ(t.vocab_size(), 259);
  EXPECT_EQ(t.bos_id(), 257);
  EXPECT_EQ(t.encode("hi!", true), (std::vector<int>{257, 256, '!', 258}));
  EXPECT_EQ(t.encode("hi!", false), (std::vector<int>{256, '!'}));
  EXPECT_EQ(t.decode(t.encode("hi!", true)), "<|bos|>hi!<|eos|>");
  // Merges spelled as arrays (newer tokenizers releases) mean the same.
  json j = small_tokenizer_json();
  j["model"]["merges"] = json::array({json::array({"h", "i"})});
  j["model"]["ignore_merges"] = false;
  const Tokenizer t2 = Tokenizer::from_json_file(d.write("t2.json", j.dump()));
  EXPECT_EQ(t2.encode("hi!", false), (std::vector<int>{256, '!'}));
}

TEST(TokenizerJson, BadFilesNameTheFileAndTheProblem) {
  TempDir d;
  expect_error_naming((d.path / "missing.json").string(), "cannot open");
  expect_error_naming(d.write("garbage.json", "{\"model\": {\"vocab\": "), "not valid JSON");
  expect_error_naming(d.write("array.json", "[1, 2]"), "not a tokenizer.json");
  json j = small_tokenizer_json();
  j["model"].erase("vocab");
  expect_error_naming(d.write("novocab.json", j.dump()), "model.vocab");
  j = small_tokenizer_json();
  j["model"]["vocab"] = json::array();
  expect_error_naming(d.write("vocabarray.json", j.dump()), "model.vocab");
  j = small_tokenizer_json();
  j["model"]["type"] = "WordPiece";
  expect_error_naming(d.write("wordpiece.json", j.dump()), "model.type");
  j = small_tokenizer_json();
  j["model"]["merges"] = json::array({"h i", "h x"});  // "hx" is not in the vocabulary
  expect_error_naming(d.write("badmerge.json", j.dump()), "merge 1 \"h x\"");
  j = small_tokenizer_json();
  j["model"]["merges"] = json::array({"hi"});
  expect_error_naming(d.write("mergesyntax.json", j.dump()), "merge 0");
  j = small_tokenizer_json();
  j["model"]["vocab"].erase(byte_piece(0x80));
  expect_error_naming(d.write("nobyte.json", j.dump()), "byte 0x80");
  j = small_tokenizer_json();
  j["model"]["vocab"]["\xE4\xB8\xAD"] = 300;  // a raw CJK character: not byte-level spelling
  expect_error_naming(d.write("notbytelevel.json", j.dump()), "byte-level");
  j = small_tokenizer_json();
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(unclosed";
  expect_error_naming(d.write("badregex.json", j.dump()), "regex");
  j = small_tokenizer_json();
  j["normalizer"] = json{{"type", "NFC"}};
  expect_error_naming(d.write("normalizer.json", j.dump()), "normalizer");
  j = small_tokenizer_json();
  j["model"]["vocab"][pieces("hi")] = "256";
  expect_error_naming(d.write("stringid.json", j.dump()), "not an integer");
}

TEST(TokenizerGguf, BadVocabulariesAreRejected) {
  SmallVocab v({"ab"}, {{"a", "b"}});
  EXPECT_THROW(Tokenizer::from_vocab(v.tokens, {"a b c"}, v.types, -1, -1), Error);
  EXPECT_THROW(Tokenizer::from_vocab(v.tokens, {pieces("a") + " " + pieces("z")}, {}, -1, -1), Error);  // "az" absent
  EXPECT_THROW(Tokenizer::from_vocab(v.tokens, v.merges, {1, 2}, -1, -1), Error);
  EXPECT_THROW(Tokenizer::from_vocab(v.tokens, v.merges, v.types, 5000, -1), Error);
  EXPECT_THROW(Tokenizer::from_vocab(v.tokens, v.merges, v.types, -1, -1, "qwen2"), Error);
  std::vector<std::string> missing_byte(v.tokens.begin() + 1, v.tokens.end());
  EXPECT_THROW(Tokenizer::from_vocab(missing_byte, {}, {}, -1, -1), Error);
  try {
    Tokenizer::from_vocab(v.tokens, {pieces("q") + " " + pieces("z")}, v.types, -1, -1);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("GGUF"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("merge"), std::string::npos) << e.what();
  }
}

// ---- the real LLaMA-3 tokenizer ------------------------------------------------------------

class Llama3 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* dir = std::getenv("TRINE_TESTDATA");
    if (!dir) return;
    path_ = (fs::path(dir) / "tokenizer-llama3" / "models" / "tokenizer.json").string();
    if (fs::exists(path_)) tok_ = new Tokenizer(Tokenizer::from_json_file(path_));
  }
  static void TearDownTestSuite() {
    delete tok_;
    tok_ = nullptr;
  }
  void SetUp() override {
    if (!tok_)
      GTEST_SKIP() << "LLaMA-3 tokenizer.json not found (" << (std::getenv("TRINE_TESTDATA") ? path_ : "TRINE_TESTDATA unset")
                   << "): run scripts/fetch-test-data.sh DIR and set TRINE_TESTDATA=DIR";
  }
  static json vectors() {
    std::ifstream in(std::string(TRINE_SOURCE_DIR) + "/tests/data/tokenizer_llama3_vectors.json");
    return json::parse(in);
  }
  const json vectors_ = vectors();
  static inline std::string path_;
  static inline Tokenizer* tok_ = nullptr;
};

TEST_F(Llama3, Basics) {
  const Tokenizer& t = *tok_;
  EXPECT_EQ(t.vocab_size(), 128256);
  EXPECT_EQ(t.bos_id(), 128000);
  EXPECT_EQ(t.eos_id(), 128001);
  EXPECT_EQ(t.find_token("<|eot_id|>"), 128009);
  EXPECT_EQ(t.find_token("<|start_header_id|>"), 128006);
  EXPECT_EQ(t.find_token(" How"), 2650);
  EXPECT_EQ(t.token_text(220), " ");
  EXPECT_EQ(t.token_piece(220), "\xC4\xA0");
  EXPECT_EQ(t.token_text(128009), "<|eot_id|>");
  EXPECT_TRUE(t.is_special(128009));
  EXPECT_FALSE(t.is_special(220));
}

TEST_F(Llama3, TransformersTestVector) {
  const Tokenizer& t = *tok_;
  const std::vector<int> body{1502, 25, 2650, 527, 499, 30, 128009, 72803, 25, 220};
  EXPECT_EQ(t.encode("User: How are you?<|eot_id|>Assistant: ", false), body);
  // transformers' integration test: the chat text (which starts with BOS) encoded with BOS added.
  const std::string chat = render_chat({{"user", "How are you?"}}, true);
  EXPECT_EQ(chat, "<|begin_of_text|>User: How are you?<|eot_id|>Assistant: ");
  std::vector<int> hf{128000, 128000};
  hf.insert(hf.end(), body.begin(), body.end());
  EXPECT_EQ(t.encode(chat, true), hf);
  EXPECT_EQ(t.encode(chat, false), std::vector<int>(hf.begin() + 1, hf.end()));  // normal use: one BOS
  EXPECT_EQ(t.decode(hf), "<|begin_of_text|>" + chat);
}

TEST_F(Llama3, ReferenceVectors) {
  const json v = vectors();
  ASSERT_GE(v["vectors"].size(), 30u);
  for (const json& c : v["vectors"]) {
    const std::string text = c["text"];
    const std::vector<int> want = c["ids"];
    const std::vector<int> got = tok_->encode(text, false);
    EXPECT_EQ(got, want) << "text: " << json(text).dump();
    EXPECT_EQ(tok_->decode(got), text) << "text: " << json(text).dump();
    std::vector<int> with_bos{128000};
    with_bos.insert(with_bos.end(), want.begin(), want.end());
    EXPECT_EQ(tok_->encode(text, true), with_bos);
  }
}

TEST_F(Llama3, StreamingNeverSplitsACharacter) {
  // " 🍕" is one token for " \xF0\x9F" and two more for the rest of the emoji.
  const std::vector<int> ids = tok_->encode("I ❤️ 🍕!", false);
  Tokenizer::StreamDecoder d(*tok_);
  std::string out;
  int held = 0;
  bool whole = false;
  for (int id : ids) {
    const std::string piece = d.push(id);
    EXPECT_TRUE(valid_utf8(piece)) << "token " << id;
    held += piece.empty();
    whole |= piece == "\xF0\x9F\x8D\x95";  // the emoji arrives in one piece, once complete
    out += piece;
  }
  EXPECT_TRUE(whole);
  out += d.flush();
  EXPECT_EQ(out, "I ❤️ 🍕!");
  EXPECT_GE(held, 1);  // the emoji's second token completes nothing on its own

  for (const json& c : vectors_["vectors"]) {
    const std::string text = c["text"];
    Tokenizer::StreamDecoder s(*tok_);
    std::string all;
    for (int id : c["ids"].get<std::vector<int>>()) {
      const std::string piece = s.push(id);
      EXPECT_TRUE(valid_utf8(piece)) << json(text).dump();
      all += piece;
    }
    EXPECT_EQ(s.flush(), "");
    EXPECT_EQ(all, text);
  }
}

TEST_F(Llama3, GgufVocabularyEncodesTheSame) {
  // Rebuild the tokenizer the way a GGUF file stores it and compare on every reference string.
  std::ifstream in(path_);
  const json j = json::parse(in);
  std::vector<std::string> tokens(size_t(tok_->vocab_size()));
  std::vector<int> types(tokens.size(), 1);
  for (int id = 0; id < tok_->vocab_size(); ++id) {
    tokens[size_t(id)] = tok_->token_piece(id);
    if (tok_->is_special(id)) types[size_t(id)] = 3;
  }
  std::vector<std::string> merges = j["model"]["merges"].get<std::vector<std::string>>();
  const Tokenizer g = Tokenizer::from_vocab(tokens, merges, types, 128000, 128009, "llama-bpe");
  EXPECT_EQ(g.eos_id(), 128009);
  for (const json& c : vectors_["vectors"]) {
    const std::string text = c["text"];
    EXPECT_EQ(g.encode(text, false), c["ids"].get<std::vector<int>>()) << json(text).dump();
  }
  EXPECT_EQ(g.encode("hi", true), (std::vector<int>{128000, 6151}));
}

TEST_F(Llama3, EncodeThroughput) {
  std::string text;
  for (const json& c : vectors_["vectors"]) text += c["text"].get<std::string>() + "\n";
  while (text.size() < (1u << 20)) text += text;
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<int> ids = tok_->encode(text, false);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("encode: %zu bytes -> %zu tokens in %.3f s: %.0f tokens/s, %.1f MB/s\n", text.size(), ids.size(), s,
              double(ids.size()) / s, double(text.size()) / s / 1e6);
  RecordProperty("tokens_per_second", std::to_string(int64_t(double(ids.size()) / s)));
  EXPECT_EQ(tok_->decode(ids), text);
  EXPECT_LT(s, 20.0);  // catches a quadratic blow-up, not a slow machine
}

}  // namespace
