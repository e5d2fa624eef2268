// `trine make-model`, `trine logits`, `trine run`: model files and end-to-end inference.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/model_setup.h"
#include "model/gguf.h"
#include "model/hf_loader.h"
#include "model/npy.h"
#include "model/synthetic.h"
#include "runtime/error.h"
#include "runtime/sampler.h"

namespace trine::cli {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void add_make_model(CLI::App& app) {
  struct A {
    std::string preset = "tiny", out, format = "hf", tokenizer;
    uint64_t seed = 1;
  };
  auto a = std::make_shared<A>();
  auto* cmd = app.add_subcommand("make-model", "Write a random-weight BitNet model in the real on-disk format");
  cmd->add_option("--preset", a->preset, "bitnet-2b4t (real shapes) or tiny")->capture_default_str();
  cmd->add_option("--out", a->out, "Output directory (must not hold a model)")->required();
  cmd->add_option("--format", a->format, "hf (packed safetensors + config.json) or gguf (DIR/model.gguf, I2_S)")
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "Random seed")->capture_default_str();
  cmd->add_option("--tokenizer", a->tokenizer, "tokenizer.json to ship with the model (copied, or into the GGUF metadata)");
  cmd->callback([a] {
    if (a->format != "hf" && a->format != "gguf")
      throw Error(fmt::format("--format '{}': expected hf or gguf", a->format));
    const auto t0 = Clock::now();
    const model::BitNetConfig cfg = model::synthetic_config(a->preset);
    std::optional<model::GgufTokenizerData> tok;
    if (!a->tokenizer.empty()) {
      tok = model::gguf_tokenizer_from_json(a->tokenizer);  // also validates it before anything is written
      if (static_cast<int>(tok->tokens.size()) > cfg.vocab_size)
        throw Error(fmt::format("--tokenizer {}: {} tokens do not fit the model's vocabulary of {}", a->tokenizer,
                                tok->tokens.size(), cfg.vocab_size));
    }
    if (a->format == "hf") {
      model::write_synthetic_hf(cfg, a->out, a->seed);
      if (tok) std::filesystem::copy_file(a->tokenizer, std::filesystem::path(a->out) / "tokenizer.json");
    } else {
      const std::string gguf = (std::filesystem::path(a->out) / "model.gguf").string();
      if (std::filesystem::exists(gguf)) throw Error(fmt::format("{}: already exists; choose an empty directory", gguf));
      const std::string tmp = (std::filesystem::path(a->out) / ".hf-staging").string();
      std::filesystem::remove_all(tmp);
      model::write_synthetic_hf(cfg, tmp, a->seed);
      model::GgufWriteOptions o;
      o.context_length = cfg.max_position_embeddings;
      o.name = "trine synthetic " + a->preset;
      // GGUF stores one piece per vocabulary id: pad a smaller tokenizer with unused pieces.
      if (tok)
        for (int i = static_cast<int>(tok->tokens.size()); i < cfg.vocab_size; ++i) {
          tok->tokens.push_back(fmt::format("<|trine_unused_{}|>", i));
          tok->token_type.push_back(5);
        }
      model::write_gguf_model(model::load_hf_model(tmp), gguf, tok ? &*tok : nullptr, o);
      std::filesystem::remove_all(tmp);
    }
    fmt::print("wrote {} model ({}) to {} in {:.1f} s\n", a->preset, a->format, a->out, since(t0));
  });
}

void add_logits(CLI::App& app) {
  struct A {
    ModelArgs m;
    std::string ids, out;
    bool incremental = false;
  };
  auto a = std::make_shared<A>();
  auto* cmd = app.add_subcommand("logits", "Write the logits of every position of a token sequence as .npy");
  a->m.add_to(cmd, true);
  cmd->add_option("--ids", a->ids, "Comma-separated token ids")->required();
  cmd->add_option("--out", a->out, "Output .npy file: float32 [T, vocab]")->required();
  cmd->add_flag("--incremental", a->incremental, "Feed one token at a time through the decode path and KV cache");
  cmd->callback([a] {
    const std::vector<int> ids = parse_ids(a->ids);
    LoadedModel lm = load_model(a->m);
    const int V = lm.engine->dims().vocab;
    std::vector<float> all, step;
    if (a->incremental) {
      for (int id : ids) {
        lm.engine->forward(&id, 1, false, step);
        all.insert(all.end(), step.begin(), step.end());
      }
    } else {
      lm.engine->forward(ids.data(), static_cast<int>(ids.size()), true, all);
    }
    model::write_npy_f32(a->out, all, {static_cast<int64_t>(ids.size()), V});
    fmt::print("wrote {} ({} x {} float32, {})\n", a->out, ids.size(), V, a->incremental ? "incremental" : "one prefill");
  });
}

void add_run(CLI::App& app) {
  struct A {
    ModelArgs m;
    std::string prompt, ids;
    int n = 32;
    bool profile = false;
    SamplingOptions s;
  };
  auto a = std::make_shared<A>();
  auto* cmd = app.add_subcommand("run", "Generate from a prompt and report load, prefill and decode speed");
  a->m.add_to(cmd, false);
  auto* p = cmd->add_option("-p,--prompt", a->prompt, "Prompt text");
  auto* i = cmd->add_option("--ids", a->ids, "Prompt as comma-separated token ids");
  p->excludes(i);
  cmd->add_option("-n", a->n, "Tokens to generate")->capture_default_str();
  cmd->add_option("--temp", a->s.temperature, "Temperature (0: greedy)")->capture_default_str();
  cmd->add_option("--top-k", a->s.top_k, "Keep the k most likely tokens (0: off)")->capture_default_str();
  cmd->add_option("--top-p", a->s.top_p, "Nucleus: keep tokens up to this probability mass")->capture_default_str();
  cmd->add_option("--min-p", a->s.min_p, "Drop tokens below min-p times the top probability")->capture_default_str();
  cmd->add_option("--repeat-penalty", a->s.repeat_penalty, "Penalty for recent tokens")->capture_default_str();
  cmd->add_option("--seed", a->s.seed, "Sampling seed")->capture_default_str();
  cmd->add_flag("--profile", a->profile, "Print where the decode time went (matmuls, quantization, attention, lm_head)");
  cmd->callback([a] {
    if (a->n < 0) throw Error(fmt::format("-n {}: must be >= 0", a->n));
    Sampler sampler(a->s);
    a->m.profile = a->profile;
    LoadedModel lm = load_model(a->m);
    if (a->profile) lm.engine->keep_call_times();
    std::vector<int> ids;
    if (!a->ids.empty()) {
      ids = parse_ids(a->ids);
    } else if (lm.tok) {
      ids = lm.tok->encode(a->prompt.empty() ? "Hello" : a->prompt, true);
    } else {
      // A model without a tokenizer (the synthetic one): the prompt goes in as UTF-8 bytes after
      // BOS, and tokens come out as ids.
      ids.push_back(lm.bos_id);
      for (unsigned char c : a->prompt.empty() ? std::string("Hello") : a->prompt) ids.push_back(c);
      fmt::print(stderr, "no tokenizer: prompt fed as {} byte ids; generated tokens shown as ids\n", ids.size());
    }
    fmt::print(stderr, "{}lm_head  {}\n", lm.engine->kernel_summary(),
               a->m.lm_head == "int8" ? "int8, per-row scales (lossy)" : "full precision (exact)");
    std::vector<float> logits;
    const auto t0 = Clock::now();
    lm.engine->forward(ids.data(), static_cast<int>(ids.size()), false, logits);
    const double prefill = since(t0);
    std::vector<int> history = ids;
    const EngineProfile after_prefill = lm.engine->profile();
    const auto t1 = Clock::now();
    const int generated = static_cast<int>(generate(lm, sampler, logits, history, a->n, false).size());
    const double decode = since(t1);
    const int decode_steps = std::max(1, generated - 1);  // the first token came from the prefill
    fmt::print(stderr,
               "load {:.2f} s | prompt {} tokens, {:.1f} tok/s | decode {} tokens, {:.1f} tok/s, {:.1f} ms/token | "
               "peak RSS {:.2f} GiB\n",
               lm.load_seconds, ids.size(), static_cast<double>(ids.size()) / prefill, generated,
               decode_steps / std::max(decode, 1e-9), 1e3 * decode / decode_steps,
               static_cast<double>(peak_rss_bytes()) / (1u << 30));
    if (a->profile) {
      const EngineProfile& p = lm.engine->profile();
      const double steps = std::max(1, p.calls - after_prefill.calls);
      auto ms = [&](double now, double then) { return 1e3 * (now - then) / steps; };
      fmt::print(stderr, "decode ms/token: matmul {:.2f} | quantize {:.2f} | attention {:.2f} | lm_head {:.2f} | other {:.2f}\n",
                 ms(p.matmul_s, after_prefill.matmul_s), ms(p.quantize_s, after_prefill.quantize_s),
                 ms(p.attention_s, after_prefill.attention_s), ms(p.lm_head_s, after_prefill.lm_head_s),
                 ms(p.other_s, after_prefill.other_s));
      std::string per_call;
      for (const ProjectionRate& r : projection_rates(p, after_prefill))
        per_call += fmt::format("{}{} {:.1f} us (median {:.1f}) {:.1f} GB/s", per_call.empty() ? "" : " | ", r.name,
                                1e6 * r.s_per_call, 1e6 * r.median_s_per_call, r.gbps);
      if (!per_call.empty()) fmt::print(stderr, "decode matmul per call: {}\n", per_call);
    }
  });
}

}  // namespace

void add_model_commands(CLI::App& app) {
  add_make_model(app);
  add_logits(app);
  add_run(app);
}

}  // namespace trine::cli
