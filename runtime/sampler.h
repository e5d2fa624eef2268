// Picks the next token from logits: greedy, or temperature sampling filtered by top-k, top-p and
// min-p, with an optional repetition penalty over recent tokens. Deterministic for a seed.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

namespace trine {

struct SamplingOptions {
  float temperature = 0.0f;  // 0: greedy
  int top_k = 0;             // 0: off
  float top_p = 1.0f;        // 1: off
  float min_p = 0.0f;        // 0: off; keep tokens with p >= min_p * p_max
  float repeat_penalty = 1.0f;
  int repeat_last_n = 64;
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplingOptions& o);  // throws Error naming a bad option
  int sample(std::vector<float>& logits, const std::vector<int>& history);

 private:
  SamplingOptions o_;
  std::mt19937_64 rng_;
};

}  // namespace trine
