#include "bench/report_kernels.h"

#include <algorithm>
#include <chrono>
#include <tuple>

#include "runtime/error.h"
#include "runtime/kernel_spec.h"
#include "runtime/measure.h"

namespace trine::bench {

namespace {

using nlohmann::json;

struct Roof {
  double gbps = 0, gmacs = 0;
  // The time no kernel can beat: streaming its bytes at the read bandwidth, or its
  // multiply-adds at the int8 peak, whichever is longer.
  double floor_s(double bytes, double macs) const { return std::max(bytes / (gbps * 1e9), macs / (gmacs * 1e9)); }
};

json row_json(const std::string& label, int M, int K, int N, const std::string& family, const std::string& variant,
              const std::string& isa, const std::string& config, const TimingStats& st, double bytes,
              double frac_bw, double frac_peak, const Roof& roof) {
  const double macs = static_cast<double>(M) * K * N;
  const double floor_s = roof.floor_s(bytes, macs);
  return {{"label", label},
          {"op", op_name(op_for_tokens(N))},
          {"M", M},
          {"K", K},
          {"N", N},
          {"family", family},
          {"variant", variant},
          {"isa", isa},
          {"config", config},
          {"median_us", 1e6 * st.median_s},
          {"p20_us", 1e6 * st.p20_s},
          {"p80_us", 1e6 * st.p80_s},
          {"samples", st.n},
          {"weight_bytes", bytes},
          {"bits_per_weight", bytes * 8 / (static_cast<double>(M) * K)},
          {"gbps", bytes / st.median_s / 1e9},
          {"gmacs", macs / st.median_s / 1e9},
          {"frac_read_bw", frac_bw},
          {"frac_int8_peak", frac_peak},
          {"roofline_us", 1e6 * floor_s},
          {"frac_roofline", floor_s / st.median_s}};
}

}  // namespace

ReferenceTiming time_reference(const Problem& p, const std::string& label, int reps) {
  if (reps < 1) throw Error("reference repetitions must be positive");
  std::vector<float> y(static_cast<std::size_t>(p.W.M) * p.acts.N);
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    reference_gemm(p.W, p.acts, y.data(), p.W.M);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return {label, p.W.M, p.W.K, p.acts.N, summarize(t)};
}

json kernel_rows_json(const BenchReport& rep, const std::vector<std::string>& variants,
                      const std::vector<ReferenceTiming>& refs) {
  if (variants.size() != rep.rows.size()) throw Error("kernel report: one variant label per row is needed");
  const Roof roof{rep.read_gbps.median_s, rep.int8_gmacs.median_s};
  using Shape = std::tuple<int, int, int>;
  std::vector<Shape> order;
  auto note = [&](int M, int K, int N) {
    if (std::find(order.begin(), order.end(), Shape{M, K, N}) == order.end()) order.push_back({M, K, N});
  };
  for (const BenchRow& r : rep.rows) note(r.M, r.K, r.N);
  for (const ReferenceTiming& r : refs) note(r.M, r.K, r.N);
  json out = json::array();
  for (const Shape& s : order) {
    for (std::size_t i = 0; i < rep.rows.size(); ++i) {
      const BenchRow& r = rep.rows[i];
      if (Shape{r.M, r.K, r.N} != s) continue;
      out.push_back(row_json(r.label, r.M, r.K, r.N, r.family, variants[i], r.isa, r.config, r.stats, r.weight_bytes,
                             r.frac_read_bw, r.frac_int8_peak, roof));
    }
    for (const ReferenceTiming& r : refs) {
      if (Shape{r.M, r.K, r.N} != s) continue;
      // The reference reads one int8 per weight, unpacked.
      const double bytes = static_cast<double>(r.M) * r.K;
      const double macs = bytes * r.N;
      out.push_back(row_json(r.label, r.M, r.K, r.N, "reference", "reference", "scalar", "1 thread", r.stats, bytes,
                             bytes / r.stats.median_s / 1e9 / roof.gbps, macs / r.stats.median_s / 1e9 / roof.gmacs,
                             roof));
    }
  }
  return out;
}

}  // namespace trine::bench
