#include "cli/model_setup.h"

#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "cli/common.h"
#include "cli/kernel_backend.h"
#include "model/gguf.h"
#include "model/hf_loader.h"
#include "model/synthetic.h"
#include "runtime/cpu_engine.h"
#if TRINE_HAVE_CUDA && TRINE_HAVE_JIT
#include "cli/model_setup_cuda.h"
#endif
#include "runtime/error.h"

namespace trine::cli {

void ModelArgs::add_to(CLI::App* cmd, bool model_required) {
  auto* m = cmd->add_option("-m,--model", model,
                            "Model: a Hugging Face checkpoint directory (packed or bf16 master) or a bitnet.cpp .gguf file");
  if (model_required) m->required();
  cmd->add_option("--threads", threads, "Threads (default: all CPUs)");
  cmd->add_option("--ctx", ctx, "Context length (default: the model's, 4096 for 2B4T)");
#if TRINE_HAVE_JIT
  cmd->add_option("--db", db, "Tuning database (default $XDG_CACHE_HOME/trine/tuning.db)");
  cmd->add_option("--object-cache", object_cache, "Directory of compiled kernel objects");
#endif
  cmd->add_option("--isa", isa, "Only kernels for this ISA: avx2, avxvnni, avx512vnni");
  cmd->add_option("--device", device, "cpu, or cuda: the whole forward pass on the first GPU, weights resident there")
      ->capture_default_str();
  cmd->add_option("--tokenizer", tokenizer, "tokenizer.json to use (default: the model's own)");
  cmd->add_option("--lm-head", lm_head, "full (exact, bf16 or fp32 as stored) or int8 (per-row scales; lossy)")
      ->capture_default_str();
  cmd->add_option("--prefill-layout", prefill_layout,
                  "own (prefill's winner gets its own packed copy where it reads another layout than decode's: "
                  "faster prompts, more memory) or decode (one copy)")
      ->capture_default_str();
}

PrefillLayout ModelArgs::prefill() const {
  if (prefill_layout == "own") return PrefillLayout::own;
  if (prefill_layout == "decode") return PrefillLayout::decode;
  throw Error(fmt::format("--prefill-layout '{}': expected own or decode", prefill_layout));
}

namespace {

// What builds the GPU engine for --device cuda (having found the GPU), none for cpu.
std::optional<EngineFactory> gpu_engine_factory(const ModelArgs& a) {
  if (a.device == "cpu") return std::nullopt;
  if (a.device != "cuda") throw Error(fmt::format("--device '{}': expected cpu or cuda", a.device));
  if (!a.isa.empty()) throw Error("--isa applies to --device cpu");
  if (a.prefill_layout != "own") throw Error("--prefill-layout applies to --device cpu (the GPU kernels share one layout)");
#if TRINE_HAVE_CUDA && TRINE_HAVE_JIT
  return cuda_engine_factory(a);
#else
  throw Error("--device cuda: this trine was built without CUDA or without the JIT (the GPU engine compiles its kernels with NVRTC)");
#endif
}

}  // namespace

LoadedModel load_model(const ModelArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  LoadedModel lm;
  const int threads = a.threads > 0 ? a.threads : default_threads();
  check_threads(threads);
  if (a.ctx < 0) throw Error(fmt::format("--ctx {}: must be positive", a.ctx));
  // Options are checked before a model of gigabytes is read.
  if (a.lm_head != "full" && a.lm_head != "int8")
    throw Error(fmt::format("--lm-head '{}': expected full or int8", a.lm_head));
  a.prefill();
  // The GPU is found before gigabytes of model are read.
  const std::optional<EngineFactory> gpu_engine = gpu_engine_factory(a);
  if (a.model.empty()) {
    fmt::print(stderr, "no -m given: using the synthetic 2B4T-shaped model (random weights, made once)\n");
    lm.path = model::default_synthetic_model("bitnet-2b4t", 1);
    lm.synthetic = true;
  } else {
    lm.path = a.model;
  }
  ModelWeights weights;
  std::vector<int> stops;
  if (std::filesystem::is_regular_file(lm.path)) {
    const model::GgufFile f(lm.path);
    const model::GgufModelMeta meta = model::read_gguf_model_meta(f);
    lm.context_length = meta.context_length > 0 ? meta.context_length : 4096;
    const bool large = meta.dims.vocab > 128009;
    lm.bos_id = large ? 128000 : 0;
    stops = {large ? 128001 : 1};
    if (f.has("tokenizer.ggml.tokens")) {
      const model::GgufTokenizerData t = model::read_gguf_tokenizer(f);
      if (t.bos_id >= 0) lm.bos_id = t.bos_id;
      if (t.eos_id >= 0) stops = {t.eos_id};
      if (t.eot_id >= 0) stops.push_back(t.eot_id);
    }
    weights = model::load_gguf_model(lm.path);
  } else if (std::filesystem::is_directory(lm.path)) {
    const model::HfConfig cfg = model::load_hf_config(lm.path);
    lm.context_length = cfg.model.max_position_embeddings;
    lm.bos_id = cfg.bos_token_id;
    stops = {cfg.eos_token_id};
    weights = model::load_hf_model(lm.path);
  } else {
    throw Error(fmt::format("-m {}: no such model (expected a checkpoint directory or a .gguf file)", lm.path));
  }
  if (weights.dims.vocab > 128009) stops.push_back(128009);  // <|eot_id|>
  EngineOptions o;
  o.threads = threads;
  o.max_context = a.ctx;
  o.lm_head_int8 = a.lm_head == "int8";
  o.profile = a.profile;
  if (gpu_engine) {
    lm.engine = (*gpu_engine)(std::move(weights), lm.context_length, o);
  } else {
    lm.provider = make_kernel_provider(a);
    lm.engine = std::make_unique<CpuEngine>(std::move(weights), lm.context_length, *lm.provider, o);
  }
  lm.stop_ids = stops;
  lm.tok = find_tokenizer(lm.path, a.tokenizer);
  if (lm.tok && lm.tok->vocab_size() != lm.engine->dims().vocab)
    fmt::print(stderr, "warning: the tokenizer has {} tokens but the model {}; sampling is limited to the tokenizer's ids\n",
               lm.tok->vocab_size(), lm.engine->dims().vocab);
  lm.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return lm;
}

std::optional<model::Tokenizer> find_tokenizer(const std::string& model_path, const std::string& explicit_file) {
  namespace fs = std::filesystem;
  if (!explicit_file.empty()) return model::Tokenizer::from_json_file(explicit_file);
  if (fs::is_directory(model_path)) {
    const fs::path j = fs::path(model_path) / "tokenizer.json";
    if (fs::exists(j)) return model::Tokenizer::from_json_file(j.string());
    return std::nullopt;
  }
  if (fs::is_regular_file(model_path)) {
    const model::GgufFile f(model_path);
    if (!f.has("tokenizer.ggml.tokens")) return std::nullopt;
    model::GgufTokenizerData t = model::read_gguf_tokenizer(f);
    return model::Tokenizer::from_vocab(std::move(t.tokens), std::move(t.merges), std::move(t.token_type), t.bos_id,
                                        t.eos_id, t.pre.empty() ? "llama-bpe" : t.pre);
  }
  return std::nullopt;
}

void mask_to_tokenizer(const LoadedModel& lm, std::vector<float>& logits) {
  if (!lm.tok) return;
  for (std::size_t v = static_cast<std::size_t>(lm.tok->vocab_size()); v < logits.size(); ++v) logits[v] = -INFINITY;
}

std::vector<int> generate(LoadedModel& lm, Sampler& sampler, std::vector<float>& logits, std::vector<int>& history,
                          int limit, bool feed_last) {
  std::optional<model::Tokenizer::StreamDecoder> text;
  if (lm.tok) text.emplace(*lm.tok);
  std::vector<int> made;
  for (int i = 0; i < limit; ++i) {
    mask_to_tokenizer(lm, logits);
    const int next = sampler.sample(logits, history);
    history.push_back(next);
    made.push_back(next);
    const bool stop = std::find(lm.stop_ids.begin(), lm.stop_ids.end(), next) != lm.stop_ids.end();
    if (!text) fmt::print("{} ", next);
    else if (!stop) fmt::print("{}", text->push(next));
    std::fflush(stdout);
    if (feed_last || (!stop && i + 1 < limit)) lm.engine->forward(&next, 1, false, logits);
    if (stop) break;
  }
  if (text) fmt::print("{}", text->flush());
  fmt::print("\n");
  std::fflush(stdout);  // before the statistics that follow on stderr
  return made;
}

std::vector<int> parse_ids(const std::string& text) {
  std::vector<int> ids;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t end = std::min(text.find(',', pos), text.size());
    int v = 0;
    const auto [p, ec] = std::from_chars(text.data() + pos, text.data() + end, v);
    if (ec != std::errc() || p != text.data() + end || v < 0)
      throw Error(fmt::format("--ids '{}': expected comma-separated non-negative token ids", text));
    ids.push_back(v);
    pos = end + 1;
  }
  return ids;
}

std::size_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<std::size_t>(u.ru_maxrss) * 1024;
}

}  // namespace trine::cli
