#include "bench/model_bench.h"

#include <sys/resource.h>

#include <chrono>
#include <memory>
#include <random>

#include <fmt/format.h>

#include "bench/roofline.h"
#include "runtime/error.h"
#include "runtime/measure.h"

namespace trine::bench {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Adds the projection matmuls run between two profiles of one engine to `sum`.
void add_projections(EngineProfile& sum, const EngineProfile& now, const EngineProfile& then) {
  for (int i = 0; i < kProjections; ++i) sum.proj[i] += now.proj[i] - then.proj[i];
}

nlohmann::json stats(const TimingStats& s) {
  return {{"median", s.median_s}, {"p20", s.p20_s}, {"p80", s.p80_s}, {"min", s.min_s}, {"n", s.n}};
}

}  // namespace

ModelBenchReport run_model_bench(Engine& engine, const HostInfo& host, int threads, const ModelBenchOptions& opt) {
  if (opt.prompt < 1 || opt.gen < 1 || opt.reps < 1) throw Error("--prompt, --gen and --reps must be positive");
  if (opt.prompt + opt.gen > engine.context_limit())
    throw Error(fmt::format("--prompt {} + --gen {} exceed the context ({})", opt.prompt, opt.gen, engine.context_limit()));
  engine.keep_call_times();  // --reps x --gen decode steps: bounded
  std::function<double()> bandwidth = opt.bandwidth;
  std::unique_ptr<ThreadPool> probe_pool;
  std::unique_ptr<ReadProbe> probe;
  if (!bandwidth) {
    probe_pool = std::make_unique<ThreadPool>(threads);
    probe = std::make_unique<ReadProbe>(*probe_pool, read_probe_bytes(host));
    bandwidth = [&probe] { return probe->gbps(); };
  }
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> tok(0, engine.dims().vocab - 1);
  std::vector<double> prefill, decode, bw;
  std::vector<float> logits;
  EngineProfile decode_matmuls;
  for (int r = 0; r < opt.reps; ++r) {
    bw.push_back(bandwidth());
    std::vector<int> ids(static_cast<std::size_t>(opt.prompt));
    for (int& id : ids) id = tok(rng);
    engine.reset();
    auto t0 = Clock::now();
    engine.forward(ids.data(), opt.prompt, false, logits);
    prefill.push_back(since(t0));
    const EngineProfile before_decode = engine.profile();
    for (int g = 0; g < opt.gen; ++g) {
      const int next = tok(rng);
      t0 = Clock::now();
      engine.forward(&next, 1, false, logits);
      decode.push_back(since(t0));
    }
    add_projections(decode_matmuls, engine.profile(), before_decode);
    bw.push_back(bandwidth());
  }
  ModelBenchReport rep;
  rep.device = engine.device();
  rep.threads = threads;
  rep.prompt = opt.prompt;
  rep.gen = opt.gen;
  rep.prefill = summarize(prefill);
  rep.decode_token = summarize(decode);
  rep.read_gbps = summarize(bw);
  rep.bytes_per_token = engine.bytes_per_token();
  rep.memory_bytes = engine.memory_bytes();
  rep.ternary_bytes_per_token = engine.weight_bytes();
  rep.decode_projections = projection_rates(decode_matmuls, EngineProfile{});
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  rep.peak_rss_bytes = static_cast<std::size_t>(u.ru_maxrss) * 1024;
  return rep;
}

nlohmann::json ModelBenchReport::projections_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const ProjectionRate& p : decode_projections)
    out.push_back({{"name", p.name}, {"calls", p.calls}, {"s_per_call", p.s_per_call},
                   {"median_s_per_call", p.median_s_per_call}, {"bytes_per_call", p.bytes_per_call},
                   {"gbps", p.gbps}, {"frac_read_bw", p.gbps / read_gbps.median_s}});
  return out;
}

nlohmann::json ModelBenchReport::to_json() const {
  return {{"device", device}, {"threads", threads}, {"prompt_tokens", prompt}, {"gen_tokens", gen}, {"load_s", load_s},
          {"prefill_tok_s", prefill_tok_s()}, {"prefill_s", stats(prefill)},
          {"decode_ms_per_token", decode_ms_per_token()}, {"decode_s_per_token", stats(decode_token)},
          {"decode_tok_s", 1e3 / decode_ms_per_token()}, {"weight_bytes_per_token", bytes_per_token},
          {"decode_floor_ms_per_token", floor_ms_per_token()}, {"memory_bytes", memory_bytes},
          {"peak_rss_bytes", peak_rss_bytes}, {"ternary_weight_bytes_per_token", ternary_bytes_per_token},
          {"decode_projections", projections_json()},
          {"roofline", {{"read_gbps", read_gbps.median_s}, {"read_gbps_p20", read_gbps.p20_s}, {"read_gbps_p80", read_gbps.p80_s}}}};
}

}  // namespace trine::bench
