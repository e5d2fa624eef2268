#include "runtime/engine.h"

#include <algorithm>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/measure.h"

namespace trine {

Engine::Engine(const ModelDims& dims, int context_length, const EngineOptions& opt)
    : dims_(dims), ctx_(opt.max_context > 0 ? std::min(opt.max_context, context_length) : context_length) {
  if (ctx_ <= 0) throw Error("context length must be positive");
}

void Engine::check_forward(const int* ids, int n) const {
  if (n <= 0) throw Error("forward needs at least one token");
  if (pos_ + n > ctx_)
    throw Error(fmt::format("context limit reached: {} tokens in the cache + {} new > {} (--ctx)", pos_, n, ctx_));
  for (int t = 0; t < n; ++t)
    if (ids[t] < 0 || ids[t] >= dims_.vocab)
      throw Error(fmt::format("token id {} is outside the vocabulary (0..{})", ids[t], dims_.vocab - 1));
}

std::vector<ProjectionRate> projection_rates(const EngineProfile& now, const EngineProfile& then) {
  std::vector<ProjectionRate> out;
  for (int i = 0; i < kProjections; ++i) {
    const ProjectionTime d = now.proj[i] - then.proj[i];
    if (d.calls <= 0 || d.s <= 0) continue;
    const double median = summarize(std::vector<double>(d.call_s.begin(), d.call_s.end())).median_s;  // 0 if none
    out.push_back({kProjectionNames[i], d.calls, d.s / d.calls, median, d.bytes / d.calls, d.bytes / d.s / 1e9});
  }
  return out;
}

}  // namespace trine
