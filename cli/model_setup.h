// Loading a model for `run`, `logits` and friends: the file format, the kernels (tuned winners
// from the database, else defaults) and the engine, with the load time measured.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "runtime/kernel_provider.h"
#include "model/hf_config.h"
#include "model/tokenizer.h"
#include "runtime/engine.h"
#include "runtime/sampler.h"
#include "runtime/tuning_db.h"

namespace trine::cli {

struct ModelArgs {
  std::string model;  // empty: the embedded synthetic 2B4T model
  int threads = 0;
  int ctx = 0;
  std::string db, isa, object_cache, lm_head = "full", tokenizer, prefill_layout = "own", device = "cpu";
  bool profile = false;  // EngineOptions::profile
  void add_to(CLI::App* cmd, bool model_required);
  PrefillLayout prefill() const;  // --prefill-layout; throws Error naming it
};

// Builds an engine other than the CPU's (cli/model_setup_cuda.h).
using EngineFactory = std::function<std::unique_ptr<Engine>(ModelWeights, int context_length, const EngineOptions&)>;

struct LoadedModel {
  std::string path;
  bool synthetic = false;
  int bos_id = 0, context_length = 0;
  std::unique_ptr<KernelProvider> provider;
  std::unique_ptr<Engine> engine;
  double load_seconds = 0;
  std::vector<int> stop_ids;  // eos and <|eot_id|> where the vocabulary has them
  std::optional<model::Tokenizer> tok;  // --tokenizer, DIR/tokenizer.json, or the GGUF's own
};

// --tokenizer FILE, else DIR/tokenizer.json, else the tokenizer in a GGUF's metadata; none if
// the model ships none (the synthetic model).
// Sampling must not pick an id the tokenizer cannot spell (a model padded past its tokenizer).
void mask_to_tokenizer(const LoadedModel& lm, std::vector<float>& logits);

// Samples up to `limit` tokens after `logits`, streaming them (text with a tokenizer, else ids)
// until a stop token. Each token is fed back so the cache holds it; with feed_last false the
// final one is not, since nothing will be generated after it. Returns the tokens sampled.
std::vector<int> generate(LoadedModel& lm, Sampler& sampler, std::vector<float>& logits, std::vector<int>& history,
                          int limit, bool feed_last);

std::optional<model::Tokenizer> find_tokenizer(const std::string& model_path, const std::string& explicit_file);

LoadedModel load_model(const ModelArgs& a);
// "0,5,7" -> ids; throws Error naming --ids.
std::vector<int> parse_ids(const std::string& text);
std::size_t peak_rss_bytes();

}  // namespace trine::cli
