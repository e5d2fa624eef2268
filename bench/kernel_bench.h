// `trine bench kernels`: times resolved kernels under the tuner's protocol and, in the same run,
// interleaved with them, the machine's roofline, so every kernel figure has a ceiling measured
// under the same conditions beside it.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/host.h"
#include "runtime/kernel_spec.h"
#include "runtime/measure.h"
#include "runtime/packed_weights.h"
#include "runtime/problems.h"

namespace trine::bench {

struct BenchItem {
  std::string label;  // e.g. "q,o"
  int M = 0, K = 0, N = 1;
  std::string family, isa, config;
  bool tuned = false;  // from the tuning database, else the family default
  bool in_layer = false;  // the kernel the engine would run for this shape (the stored winner)
  trine_gemm_fn fn = nullptr;
  PackedWeights packed;      // the shape's weights in the kernel's layout
  const Problem* data = nullptr;  // activations for the shape (and the weights packed above)
};

struct BenchRow {
  std::string label, op, family, isa, config;
  int M = 0, K = 0, N = 1;
  bool tuned = false;
  TimingStats stats{};
  double weight_bytes = 0, bits_per_weight = 0, gbps = 0, gmacs = 0;
  // Median over rounds of (this round's rate / the probes around it), not a ratio of medians.
  double frac_read_bw = 0, frac_int8_peak = 0;
  // Decode: rate over a plain read of the same bytes per call (bench/roofline.h, read_call_fn),
  // timed among the kernels; the part of the gap to frac_read_bw that any reader pays per call.
  std::optional<double> frac_call_read{};
};

// A plain read of `bytes` per call (the size of a decode kernel's weights), timed among the
// kernels: what any reader of that size reaches, against the long-stream probe.
struct CallReadRow {
  double bytes = 0, gbps = 0, frac_read_bw = 0;  // medians over rounds
};

// A projection's GEMV timed in its place in a decoder layer (bench/decode_layer.h).
struct LayerRow {
  std::string proj, family, isa, config;
  int M = 0, K = 0;
  TimingStats stats{};
  double weight_bytes = 0, gbps = 0, frac_read_bw = 0;
};

// The layer's GEMVs together: per pass, the sum of its calls.
struct LayerTotal {
  TimingStats stats{};
  double weight_bytes = 0, gbps = 0, frac_read_bw = 0;
};

struct BenchReport {
  int threads = 0;
  std::string host_fingerprint, host_model;
  TimingStats read_gbps;  // per-probe GB/s (stats of rates, not times)
  TimingStats int8_gmacs;
  std::string peak_isa;
  std::vector<CallReadRow> call_reads;
  std::vector<BenchRow> rows;
  std::vector<LayerRow> layer;  // empty unless the items cover every projection of a layer
  LayerTotal layer_total;
  std::vector<std::string> warnings;  // from slow_read_warnings
  nlohmann::json to_json() const;
};

struct BenchOptions {
  int rounds = 9;          // probes, kernels, probes
  int gemv_reps = 15;      // per round
  int gemm_reps = 2;
};

// The median of the samples from index `from` on: one round's, when each round appends its own.
double round_median(const std::vector<double>& samples, std::size_t from);

// A plain read per call far below the long-stream probe of the same run means this process's
// weight copies read slowly, and every decode figure of the run with them: on this VM, a run
// started right after another process freed gigabytes read its copies at 5-6 GB/s against a
// 39 GB/s probe, for the whole run, and read them normally when started a minute later.
std::vector<std::string> slow_read_warnings(const BenchReport& rep, double min_frac = 0.5);

BenchReport run_kernel_bench(ThreadPool& pool, const HostInfo& host, std::vector<BenchItem>& items,
                             const BenchOptions& opt);

}  // namespace trine::bench
