// `trine tokenize`, `trine chat`, `trine perplexity`: commands that speak text.
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/model_setup.h"
#include "runtime/error.h"
#include "runtime/sampler.h"

namespace trine::cli {

namespace {

std::string read_file(const std::string& path, const char* option) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{} {}: cannot read", option, path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const model::Tokenizer& need_tokenizer(const LoadedModel& lm) {
  if (!lm.tok)
    throw Error(fmt::format("{} has no tokenizer (no tokenizer.json beside it): pass --tokenizer FILE", lm.path));
  return *lm.tok;
}

void add_tokenize(CLI::App& app) {
  struct A {
    std::string model, tokenizer, file, text;
    bool no_bos = false;
  };
  auto a = std::make_shared<A>();
  auto* cmd = app.add_subcommand("tokenize", "Print the token ids of a text, comma-separated");
  auto* m = cmd->add_option("-m,--model", a->model, "Model whose tokenizer to use (directory or .gguf)");
  auto* t = cmd->add_option("--tokenizer", a->tokenizer, "tokenizer.json");
  auto* f = cmd->add_option("--file", a->file, "Read the text from this file");
  auto* x = cmd->add_option("TEXT", a->text, "The text");
  m->excludes(t);
  f->excludes(x);
  cmd->add_flag("--no-bos", a->no_bos, "Do not prepend <|begin_of_text|>");
  cmd->callback([a] {
    if (a->model.empty() && a->tokenizer.empty()) throw Error("give -m MODEL or --tokenizer FILE");
    const std::optional<model::Tokenizer> tok = find_tokenizer(a->model, a->tokenizer);
    if (!tok) throw Error(fmt::format("-m {}: the model has no tokenizer", a->model));
    const std::string text = a->file.empty() ? a->text : read_file(a->file, "--file");
    fmt::print("{}\n", fmt::join(tok->encode(text, !a->no_bos), ","));
  });
}

void add_chat(CLI::App& app) {
  struct A {
    ModelArgs m;
    std::string system;
    int n = 512;
    SamplingOptions s;
  };
  auto a = std::make_shared<A>();
  auto* cmd = app.add_subcommand("chat", "Interactive multi-turn chat; the KV cache is kept across turns");
  a->m.add_to(cmd, true);
  cmd->add_option("--system", a->system, "System message");
  cmd->add_option("-n", a->n, "Most tokens per reply")->capture_default_str();
  cmd->add_option("--temp", a->s.temperature, "Temperature (0: greedy)")->capture_default_str();
  cmd->add_option("--top-p", a->s.top_p, "Nucleus sampling mass")->capture_default_str();
  cmd->add_option("--seed", a->s.seed, "Sampling seed")->capture_default_str();
  cmd->callback([a] {
    Sampler sampler(a->s);
    LoadedModel lm = load_model(a->m);
    const model::Tokenizer& tok = need_tokenizer(lm);
    const std::optional<int> eot = tok.find_token("<|eot_id|>");
    std::vector<int> history;
    std::vector<float> logits;
    bool first = true;
    std::string line;
    fmt::print(stderr, "chat with {} (context {} tokens); end with Ctrl-D or /exit\n", lm.path, lm.engine->context_limit());
    while (true) {
      fmt::print(stderr, "> ");
      if (!std::getline(std::cin, line) || line == "/exit") break;
      // Only this turn's text is fed; everything before it is already in the cache.
      std::vector<std::pair<std::string, std::string>> turns;
      if (first && !a->system.empty()) turns.push_back({"system", a->system});
      turns.push_back({"user", line});
      std::string text = model::render_chat(turns, true);
      if (!first) text = text.substr(std::string("<|begin_of_text|>").size());
      const std::vector<int> ids = tok.encode(text, false);
      if (lm.engine->position() + static_cast<int>(ids.size()) + a->n > lm.engine->context_limit()) {
        fmt::print(stderr, "the conversation would exceed the context ({} tokens); start a new chat\n", lm.engine->context_limit());
        break;
      }
      lm.engine->forward(ids.data(), static_cast<int>(ids.size()), false, logits);
      history.insert(history.end(), ids.begin(), ids.end());
      const std::vector<int> reply = generate(lm, sampler, logits, history, a->n, true);
      // A reply cut off by -n still closes its turn, as the template expects.
      if (eot && (reply.empty() || reply.back() != *eot)) lm.engine->forward(&*eot, 1, false, logits);
      first = false;
    }
  });
}

void add_perplexity(CLI::App& app) {
  struct A {
    ModelArgs m;
    std::string file;
  };
  auto a = std::make_shared<A>();
  auto* cmd = app.add_subcommand("perplexity", "Perplexity of a text file, in windows of --ctx tokens");
  a->m.add_to(cmd, true);
  cmd->add_option("-f,--file", a->file, "Text file")->required();
  cmd->callback([a] {
    const std::string text = read_file(a->file, "-f");
    ModelArgs m = a->m;
    if (m.ctx == 0) m.ctx = 512;
    LoadedModel lm = load_model(m);
    const std::vector<int> ids = need_tokenizer(lm).encode(text, true);
    const int ctx = lm.engine->context_limit(), V = lm.engine->dims().vocab;
    if (ids.size() < 2) throw Error(fmt::format("-f {}: needs at least two tokens of text", a->file));
    double nll = 0;
    long count = 0;
    std::vector<float> logits;
    for (std::size_t start = 0; start + 1 < ids.size(); start += ctx) {
      const int n = static_cast<int>(std::min<std::size_t>(ctx, ids.size() - start));
      lm.engine->reset();
      lm.engine->forward(&ids[start], n, true, logits);
      for (int t = 0; t + 1 < n; ++t) {
        const float* l = &logits[static_cast<std::size_t>(t) * V];
        const float mx = *std::max_element(l, l + V);
        double z = 0;
        for (int v = 0; v < V; ++v) z += std::exp(static_cast<double>(l[v] - mx));
        nll += std::log(z) + mx - l[ids[start + t + 1]];
        ++count;
      }
      fmt::print(stderr, "\r{} / {} tokens", start + n, ids.size());
    }
    fmt::print(stderr, "\n");
    fmt::print("perplexity {:.4f} over {} predicted tokens (windows of {})\n", std::exp(nll / count), count, ctx);
  });
}

}  // namespace

void add_text_commands(CLI::App& app) {
  add_tokenize(app);
  add_chat(app);
  add_perplexity(app);
}

}  // namespace trine::cli
