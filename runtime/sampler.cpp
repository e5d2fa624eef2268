#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "runtime/error.h"

namespace trine {

Sampler::Sampler(const SamplingOptions& o) : o_(o), rng_(o.seed) {
  if (!(o.temperature >= 0)) throw Error(fmt::format("--temp {}: must be >= 0", o.temperature));
  if (o.top_k < 0) throw Error(fmt::format("--top-k {}: must be >= 0", o.top_k));
  if (!(o.top_p > 0 && o.top_p <= 1)) throw Error(fmt::format("--top-p {}: must be in (0, 1]", o.top_p));
  if (!(o.min_p >= 0 && o.min_p < 1)) throw Error(fmt::format("--min-p {}: must be in [0, 1)", o.min_p));
  if (!(o.repeat_penalty > 0)) throw Error(fmt::format("--repeat-penalty {}: must be > 0", o.repeat_penalty));
}

int Sampler::sample(std::vector<float>& logits, const std::vector<int>& history) {
  // The penalty divides positive logits and multiplies negative ones (as llama.cpp and
  // transformers do), once per distinct recent token.
  if (o_.repeat_penalty != 1.0f) {
    std::vector<int> recent(history.end() - std::min<std::size_t>(history.size(), o_.repeat_last_n), history.end());
    std::sort(recent.begin(), recent.end());
    recent.erase(std::unique(recent.begin(), recent.end()), recent.end());
    for (int id : recent) {
      if (id < 0 || id >= static_cast<int>(logits.size())) continue;
      float& l = logits[id];
      l = l > 0 ? l / o_.repeat_penalty : l * o_.repeat_penalty;
    }
  }
  if (o_.temperature == 0.0f) return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());

  std::vector<int> idx(logits.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::size_t keep = idx.size();
  if (o_.top_k > 0) keep = std::min<std::size_t>(keep, o_.top_k);
  std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(keep), idx.end(),
                    [&](int a, int b) { return logits[a] > logits[b]; });
  idx.resize(keep);
  std::vector<double> p(keep);
  const double mx = logits[idx[0]];
  double sum = 0;
  for (std::size_t i = 0; i < keep; ++i) sum += p[i] = std::exp((logits[idx[i]] - mx) / o_.temperature);
  for (double& v : p) v /= sum;
  std::size_t n = keep;
  if (o_.min_p > 0)
    while (n > 1 && p[n - 1] < o_.min_p * p[0]) --n;
  if (o_.top_p < 1) {
    double c = 0;
    for (std::size_t i = 0; i < n; ++i) {
      c += p[i];
      if (c >= o_.top_p) {
        n = i + 1;
        break;
      }
    }
  }
  std::discrete_distribution<std::size_t> pick(p.begin(), p.begin() + static_cast<long>(n));
  return idx[pick(rng_)];
}

}  // namespace trine
