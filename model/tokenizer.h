// The LLaMA-3 byte-level BPE tokenizer (spec section 5) and the 2B4T chat format.
//
// Loaded from a Hugging Face tokenizer.json or from GGUF tokenizer.ggml.* metadata. A Tokenizer is
// immutable after loading and cheap to copy (it shares its tables), so one instance can encode and
// decode from many threads at once.
//
// Token text: token_text() and find_token() speak in the bytes a token stands for (" Hello"), not
// the byte-level spelling in the vocabulary file ("ĠHello"); token_piece() gives the latter.
// Added/special tokens are their literal text in both ("<|eot_id|>").
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trine::model {

class Tokenizer {
 public:
  struct Impl;

  // Hugging Face tokenizer.json (model.type BPE, byte-level). A tokenizer_config.json beside it, if
  // present, supplies bos_token / eos_token. Throws trine::Error naming the file and the problem.
  static Tokenizer from_json_file(const std::string& path);

  // From GGUF metadata: tokenizer.ggml.tokens (byte-level "Ġ"-style pieces), tokenizer.ggml.merges
  // ("a b"), tokenizer.ggml.token_type (3 = control and 4 = user-defined are split out of the text
  // before the regex; empty = all normal), the bos/eos ids (-1 = none) and tokenizer.ggml.pre
  // ("llama-bpe"/"llama3" = the LLaMA-3 regex with ignore_merges; "gpt-2"/"default" = GPT-2's).
  // add_bos on encode prepends bos_id. Throws trine::Error naming the bad token or merge.
  static Tokenizer from_vocab(std::vector<std::string> tokens, std::vector<std::string> merges,
                              std::vector<int> token_types, int bos_id, int eos_id,
                              std::string_view pre = "llama-bpe");

  // Special/added tokens written in the text ("<|eot_id|>") become their ids, longest match first;
  // the rest goes through the regex and BPE. add_bos applies the tokenizer.json post-processor's
  // TemplateProcessing "single" template (LLaMA-3: prepend <|begin_of_text|>), or prepends bos_id
  // when there is none. Invalid UTF-8 in text is tokenized byte by byte, never rejected.
  std::vector<int> encode(std::string_view text, bool add_bos) const;

  // The bytes the ids stand for, special tokens as their text. No UTF-8 repair: a sequence cut in
  // the middle of a character gives those bytes as they are. Throws trine::Error on an id out of
  // range.
  std::string decode(const std::vector<int>& ids) const;

  std::string token_text(int id) const;   // bytes of one token; throws on an id out of range
  std::string token_piece(int id) const;  // its spelling in the vocabulary ("ĠHello")
  bool is_special(int id) const;          // an added/control token (matched before the regex)
  std::optional<int> find_token(std::string_view text) const;  // inverse of token_text

  int bos_id() const;  // -1 when the tokenizer has none
  int eos_id() const;
  int vocab_size() const;

  // Incremental decoding for streaming output: push() returns only complete UTF-8 characters and
  // holds back the start of one cut across tokens; bytes that can never form a valid character are
  // passed through rather than held. flush() returns whatever is held.
  class StreamDecoder {
   public:
    explicit StreamDecoder(const Tokenizer& tok);
    std::string push(int id);
    std::string flush();

   private:
    std::shared_ptr<const Impl> impl_;
    std::string pending_;
  };

 private:
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// The 2B4T chat format (spec 5.2): "<|begin_of_text|>" then, per {role, content} turn,
// Capitalized-role + ": " + trimmed content + "<|eot_id|>", then "Assistant: " (with its trailing
// space) when add_generation_prompt. The text already carries the BOS, so encode it with
// add_bos = false for one BOS; add_bos = true reproduces transformers' double-BOS test ids.
std::string render_chat(const std::vector<std::pair<std::string, std::string>>& turns,
                        bool add_generation_prompt);

}  // namespace trine::model
