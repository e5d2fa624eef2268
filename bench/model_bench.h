// `trine bench -m`: end-to-end prefill and decode speed of a loaded model, repeated, with the
// machine's read bandwidth probed in the same run so decode can be judged against its floor.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/engine.h"
#include "runtime/host.h"
#include "runtime/tuning_db.h"

namespace trine::bench {

struct ModelBenchOptions {
  int prompt = 128;  // prefill tokens
  int gen = 64;      // decoded tokens per repetition
  int reps = 3;
  // The memory bandwidth decode is judged against, GB/s, probed before and after each
  // repetition; empty: the host's DRAM read probe (bench/roofline.h). A GPU engine passes its
  // device copy bandwidth.
  std::function<double()> bandwidth;
};

struct ModelBenchReport {
  double load_s = 0;
  std::string device;  // Engine::device()
  int threads = 0, prompt = 0, gen = 0;
  TimingStats prefill;       // seconds per prefill of `prompt` tokens
  TimingStats decode_token;  // seconds per decoded token (median over all steps)
  TimingStats read_gbps;     // rates, not times: ModelBenchOptions::bandwidth
  std::size_t bytes_per_token = 0, memory_bytes = 0, peak_rss_bytes = 0;
  std::size_t ternary_bytes_per_token = 0;  // Engine::weight_bytes(): the packed projections alone
  // Decode steps only, over all repetitions; empty where the engine did not time its phases.
  std::vector<ProjectionRate> decode_projections;
  double prefill_tok_s() const { return prompt / prefill.median_s; }
  double decode_ms_per_token() const { return 1e3 * decode_token.median_s; }
  // The decode floor: bytes streamed per token at the measured bandwidth.
  double floor_ms_per_token() const { return 1e3 * static_cast<double>(bytes_per_token) / (read_gbps.median_s * 1e9); }
  nlohmann::json projections_json() const;
  nlohmann::json to_json() const;
};

ModelBenchReport run_model_bench(Engine& engine, const HostInfo& host, int threads, const ModelBenchOptions& opt);

}  // namespace trine::bench
