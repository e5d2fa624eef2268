#include "bench/kernel_bench.h"

#include <random>

#include "bench/roofline.h"

namespace trine::bench {

namespace {

struct Live {
  BenchItem* item;
  TimedKernel timed;
  std::vector<double> frac_bw, frac_peak;  // per round: this round's rate over this round's probe
  std::unique_ptr<ColdCopies> cold;
  GemmWorkspace ws;
  std::vector<float> y;
};

nlohmann::json stats_json(const TimingStats& s) {
  return {{"median", s.median_s}, {"p20", s.p20_s}, {"p80", s.p80_s}, {"min", s.min_s}, {"n", s.n}};
}

}  // namespace

BenchReport run_kernel_bench(ThreadPool& pool, const HostInfo& host, std::vector<BenchItem>& items,
                             const BenchOptions& opt) {
  std::vector<std::unique_ptr<Live>> live;
  std::vector<TimedKernel*> gemv, gemm;
  const auto decode_items = static_cast<std::size_t>(
      std::count_if(items.begin(), items.end(), [](const BenchItem& it) { return it.N == 1; }));
  for (BenchItem& it : items) {
    auto l = std::make_unique<Live>();
    l->item = &it;
    l->ws.prepare(it.data->acts, it.packed.wscale, pool.size());
    l->y.resize(static_cast<size_t>(it.M) * it.N);
    l->timed.fn = it.fn;
    l->timed.args = make_gemm_args(it.packed.bytes.data(), it.M, it.K, it.data->acts, l->ws, l->y.data(), it.M);
    if (it.N == 1) {
      l->cold = std::make_unique<ColdCopies>(it.packed.bytes.data(), it.packed.size_bytes(), cold_bytes_for(host.cache.l3, decode_items));
      l->timed.cold = l->cold.get();
      gemv.push_back(&l->timed);
    } else {
      gemm.push_back(&l->timed);
    }
    live.push_back(std::move(l));
  }

  const Isa peak_isa = usable_isas(host).front();
  ReadProbe probe(pool, read_probe_bytes(host));
  std::vector<double> bw, peak;
  std::mt19937_64 rng(7);
  probe.gbps();  // first pass faults nothing in but warms the TLB and wakes the workers
  time_interleaved(pool, gemv, 1, rng);
  time_interleaved(pool, gemm, 1, rng);
  for (TimedKernel* k : gemv) k->samples.clear();
  for (TimedKernel* k : gemm) k->samples.clear();
  // Neighbours move this machine's bandwidth from minute to minute, so each kernel is compared
  // with the probes of its own round, and the ratio's median is reported.
  for (int r = 0; r < opt.rounds; ++r) {
    std::vector<std::size_t> before;
    for (auto& l : live) before.push_back(l->timed.samples.size());
    const double bw_before = probe.gbps();
    const double peak_before = int8_peak_gmacs(pool, peak_isa);
    time_interleaved(pool, gemv, opt.gemv_reps, rng);
    time_interleaved(pool, gemm, opt.gemm_reps, rng);
    const double bw_r = (bw_before + probe.gbps()) / 2;
    const double peak_r = (peak_before + int8_peak_gmacs(pool, peak_isa)) / 2;
    bw.push_back(bw_r);
    peak.push_back(peak_r);
    for (std::size_t i = 0; i < live.size(); ++i) {
      Live& l = *live[i];
      const std::vector<double> mine(l.timed.samples.begin() + static_cast<long>(before[i]), l.timed.samples.end());
      const double t = summarize(mine).median_s;
      const double macs = static_cast<double>(l.item->M) * l.item->K * l.item->N;
      l.frac_bw.push_back(static_cast<double>(l.item->packed.size_bytes()) / t / 1e9 / bw_r);
      l.frac_peak.push_back(macs / t / 1e9 / peak_r);
    }
  }

  BenchReport rep;
  rep.threads = pool.size();
  rep.host_fingerprint = host.fingerprint;
  rep.host_model = host.model_name;
  rep.read_gbps = summarize(bw);
  rep.int8_gmacs = summarize(peak);
  rep.peak_isa = isa_name(peak_isa);
  for (auto& l : live) {
    const BenchItem& it = *l->item;
    BenchRow row{it.label, op_name(op_for_tokens(it.N)), it.family, it.isa, it.config, it.M, it.K, it.N, it.tuned};
    row.stats = summarize(l->timed.samples);
    row.weight_bytes = static_cast<double>(it.packed.size_bytes());
    row.bits_per_weight = row.weight_bytes * 8 / (static_cast<double>(it.M) * it.K);
    row.gbps = row.weight_bytes / row.stats.median_s / 1e9;
    row.gmacs = static_cast<double>(it.M) * it.K * it.N / row.stats.median_s / 1e9;
    row.frac_read_bw = summarize(l->frac_bw).median_s;
    row.frac_int8_peak = summarize(l->frac_peak).median_s;
    rep.rows.push_back(row);
  }
  return rep;
}

nlohmann::json BenchReport::to_json() const {
  nlohmann::json j;
  j["threads"] = threads;
  j["host"] = {{"fingerprint", host_fingerprint}, {"model", host_model}};
  // TimingStats is reused for rates here: "median_s" holds GB/s or GMAC/s.
  j["roofline"] = {{"read_gbps", read_gbps.median_s},
                   {"read_gbps_p20", read_gbps.p20_s},
                   {"read_gbps_p80", read_gbps.p80_s},
                   {"int8_peak_gmacs", int8_gmacs.median_s},
                   {"int8_peak_gmacs_p80", int8_gmacs.p80_s},
                   {"int8_peak_isa", peak_isa},
                   {"probes", read_gbps.n}};
  j["results"] = nlohmann::json::array();
  for (const BenchRow& r : rows) {
    j["results"].push_back({{"label", r.label}, {"op", r.op}, {"M", r.M}, {"K", r.K}, {"N", r.N},
                            {"family", r.family}, {"isa", r.isa}, {"config", r.config}, {"tuned", r.tuned},
                            {"median_s", r.stats.median_s}, {"timing", stats_json(r.stats)},
                            {"weight_bytes", r.weight_bytes}, {"bits_per_weight", r.bits_per_weight},
                            {"gbps", r.gbps}, {"gmacs", r.gmacs}, {"frac_read_bw", r.frac_read_bw},
                            {"frac_int8_peak", r.frac_int8_peak}});
  }
  return j;
}

}  // namespace trine::bench
