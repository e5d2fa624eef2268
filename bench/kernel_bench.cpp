#include "bench/kernel_bench.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <random>

#include <fmt/format.h>

#include "bench/decode_layer.h"
#include "bench/probe_loops.h"
#include "bench/roofline.h"

namespace trine::bench {

double round_median(const std::vector<double>& samples, std::size_t from) {
  return summarize(std::vector<double>(samples.begin() + static_cast<long>(from), samples.end())).median_s;
}

namespace {

// A plain read of as many bytes per call as a decode kernel reads, one, two and four streams per
// thread, timed among the kernels; each round counts the fastest.
struct CallRead {
  TimedKernel reads[std::size(kReadStreams)];
  std::unique_ptr<ColdCopies> cold;
  std::size_t round_from = 0;  // the first sample of the current round
  std::vector<double> gbps, frac_bw;  // per round
  void end_round(std::size_t bytes, double probe_gbps) {
    double t = round_median(reads[0].samples, round_from);
    for (const TimedKernel& r : reads) t = std::min(t, round_median(r.samples, round_from));
    gbps.push_back(static_cast<double>(read_call_bytes(bytes)) / t / 1e9);
    frac_bw.push_back(gbps.back() / probe_gbps);
  }
};

struct Live {
  BenchItem* item;
  TimedKernel timed;
  // Per round: this round's rate over this round's probe (decode: also over its call read).
  std::vector<double> frac_bw, frac_peak, frac_call;
  std::unique_ptr<ColdCopies> cold;
  CallRead* call_read = nullptr;  // decode only
  GemmWorkspace ws;
  std::vector<float> y;
};

nlohmann::json stats_json(const TimingStats& s) {
  return {{"median", s.median_s}, {"p20", s.p20_s}, {"p80", s.p80_s}, {"min", s.min_s}, {"n", s.n}};
}

}  // namespace

std::vector<std::string> slow_read_warnings(const BenchReport& rep, double min_frac) {
  const auto worst = std::min_element(rep.call_reads.begin(), rep.call_reads.end(),
                                      [](const CallReadRow& a, const CallReadRow& b) { return a.frac_read_bw < b.frac_read_bw; });
  if (worst == rep.call_reads.end() || worst->frac_read_bw >= min_frac) return {};
  return {fmt::format("a plain read of {:.0f} KiB per call ran at {:.1f} GB/s, {:.0f}% of the DRAM read probe of the "
                      "same run (under {:.0f}%): this process's weight copies read slowly, so its decode timings are "
                      "not representative. Seen on VMs right after another process freed gigabytes; rerun in a minute "
                      "or two.",
                      worst->bytes / 1024, worst->gbps, 100 * worst->frac_read_bw, 100 * min_frac)};
}

BenchReport run_kernel_bench(ThreadPool& pool, const HostInfo& host, std::vector<BenchItem>& items,
                             const BenchOptions& opt) {
  std::vector<std::unique_ptr<Live>> live;
  std::vector<TimedKernel*> gemv, gemm;
  // One call read per distinct byte count (families pack a shape into different sizes), over
  // copies of the first such kernel's weights; none for a matrix under one 512-byte read step.
  std::map<std::size_t, CallRead> call_reads;
  std::size_t decode_items = 0;
  for (const BenchItem& it : items) {
    if (it.N != 1) continue;
    ++decode_items;
    if (read_call_bytes(it.packed.size_bytes()) > 0) call_reads[it.packed.size_bytes()];
  }
  // One more set of copies for the decode layer, counted whether or not the items make one.
  const std::size_t cold_bytes = cold_bytes_for(host.cache.l3, decode_items + call_reads.size() + 1);
  std::unique_ptr<DecodeLayer> layer = DecodeLayer::build(items, cold_bytes, pool.size());
  for (BenchItem& it : items) {
    auto l = std::make_unique<Live>();
    l->item = &it;
    l->ws.prepare(it.data->acts, it.packed.wscale, pool.size());
    l->y.resize(static_cast<size_t>(it.M) * it.N);
    l->timed.fn = it.fn;
    l->timed.args = make_gemm_args(it.packed.bytes.data(), it.M, it.K, it.data->acts, l->ws, l->y.data(), it.M);
    if (it.N == 1) {
      l->cold = std::make_unique<ColdCopies>(it.packed.bytes.data(), it.packed.size_bytes(), cold_bytes);
      l->timed.cold = l->cold.get();
      const auto found = call_reads.find(it.packed.size_bytes());
      l->call_read = found == call_reads.end() ? nullptr : &found->second;
      if (l->call_read && !l->call_read->cold) {
        CallRead& cr = *l->call_read;
        cr.cold = std::make_unique<ColdCopies>(it.packed.bytes.data(), it.packed.size_bytes(), cold_bytes);
        for (std::size_t i = 0; i < std::size(kReadStreams); ++i) {
          TimedKernel& k = cr.reads[i];
          k.fn = read_call_fn(kReadStreams[i]);
          k.args.K = static_cast<int32_t>(it.packed.size_bytes());
          k.cold = cr.cold.get();
          gemv.push_back(&k);
        }
      }
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
  if (layer) {
    layer->time(pool, 1);
    layer->clear();
  }
  for (TimedKernel* k : gemv) k->samples.clear();
  for (TimedKernel* k : gemm) k->samples.clear();
  // Neighbours move this machine's bandwidth from minute to minute, so each kernel is compared
  // with the probes of its own round, and the ratio's median is reported.
  for (int r = 0; r < opt.rounds; ++r) {
    std::vector<std::size_t> before;
    for (auto& l : live) before.push_back(l->timed.samples.size());
    for (auto& entry : call_reads) entry.second.round_from = entry.second.reads[0].samples.size();
    const double bw_before = probe.gbps();
    const double peak_before = int8_peak_gmacs(pool, peak_isa);
    time_interleaved(pool, gemv, opt.gemv_reps, rng);
    if (layer) layer->time(pool, opt.gemv_reps);
    time_interleaved(pool, gemm, opt.gemm_reps, rng);
    const double bw_r = (bw_before + probe.gbps()) / 2;
    const double peak_r = (peak_before + int8_peak_gmacs(pool, peak_isa)) / 2;
    bw.push_back(bw_r);
    peak.push_back(peak_r);
    for (auto& [bytes, cr] : call_reads) cr.end_round(bytes, bw_r);
    if (layer) layer->end_round(bw_r);
    for (std::size_t i = 0; i < live.size(); ++i) {
      Live& l = *live[i];
      const double t = round_median(l.timed.samples, before[i]);
      const double macs = static_cast<double>(l.item->M) * l.item->K * l.item->N;
      l.frac_bw.push_back(static_cast<double>(l.item->packed.size_bytes()) / t / 1e9 / bw_r);
      l.frac_peak.push_back(macs / t / 1e9 / peak_r);
      if (l.call_read) l.frac_call.push_back(static_cast<double>(l.item->packed.size_bytes()) / t / 1e9 / l.call_read->gbps.back());
    }
  }

  BenchReport rep;
  rep.threads = pool.size();
  rep.host_fingerprint = host.fingerprint;
  rep.host_model = host.model_name;
  rep.read_gbps = summarize(bw);
  rep.int8_gmacs = summarize(peak);
  rep.peak_isa = isa_name(peak_isa);
  for (const auto& [bytes, cr] : call_reads)
    rep.call_reads.push_back({static_cast<double>(bytes), summarize(cr.gbps).median_s, summarize(cr.frac_bw).median_s});
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
    if (!l->frac_call.empty()) row.frac_call_read = summarize(l->frac_call).median_s;
    rep.rows.push_back(row);
  }
  if (layer) {
    rep.layer = layer->rows();
    rep.layer_total = layer->total();
  }
  rep.warnings = slow_read_warnings(rep);
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
  j["call_reads"] = nlohmann::json::array();
  for (const CallReadRow& c : call_reads)
    j["call_reads"].push_back({{"bytes", c.bytes}, {"gbps", c.gbps}, {"frac_read_bw", c.frac_read_bw}});
  if (!layer.empty()) {
    nlohmann::json steps = nlohmann::json::array();
    for (const LayerRow& r : layer)
      steps.push_back({{"proj", r.proj}, {"M", r.M}, {"K", r.K}, {"family", r.family}, {"isa", r.isa}, {"config", r.config},
                       {"median_s", r.stats.median_s}, {"timing", stats_json(r.stats)}, {"weight_bytes", r.weight_bytes},
                       {"gbps", r.gbps}, {"frac_read_bw", r.frac_read_bw}});
    j["decode_layer"] = {{"steps", steps}, {"median_s", layer_total.stats.median_s}, {"timing", stats_json(layer_total.stats)},
                         {"weight_bytes", layer_total.weight_bytes}, {"gbps", layer_total.gbps},
                         {"frac_read_bw", layer_total.frac_read_bw}};
  }
  j["warnings"] = warnings;
  j["results"] = nlohmann::json::array();
  for (const BenchRow& r : rows) {
    j["results"].push_back({{"label", r.label}, {"op", r.op}, {"M", r.M}, {"K", r.K}, {"N", r.N},
                            {"family", r.family}, {"isa", r.isa}, {"config", r.config}, {"tuned", r.tuned},
                            {"median_s", r.stats.median_s}, {"timing", stats_json(r.stats)},
                            {"weight_bytes", r.weight_bytes}, {"bits_per_weight", r.bits_per_weight},
                            {"gbps", r.gbps}, {"gmacs", r.gmacs}, {"frac_read_bw", r.frac_read_bw},
                            {"frac_int8_peak", r.frac_int8_peak},
                            {"frac_call_read", r.frac_call_read ? nlohmann::json(*r.frac_call_read) : nlohmann::json()}});
  }
  return j;
}

}  // namespace trine::bench
