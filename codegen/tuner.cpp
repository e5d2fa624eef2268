#include "codegen/tuner.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <memory>
#include <random>
#include <set>

#include <fmt/format.h>

#include "codegen/verify.h"
#include "runtime/error.h"
#include "runtime/measure.h"
#include "runtime/registry.h"

namespace trine::codegen {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Successive halving (Jamieson & Talwalkar): time everyone briefly, keep the best third, time the
// survivors longer; the final decision is on medians of many interleaved samples.
struct Halving {
  int first_reps, final_reps, keep_min;
};
Halving halving_for(Op op) { return op == Op::gemv ? Halving{8, 60, 4} : Halving{2, 10, 3}; }

struct Entry {
  Candidate cand;
  TimedKernel timed;
  bool is_default = false;
  double median() const { return summarize(timed.samples).median_s; }
};

// Candidates sharing a layout share one packed copy (and its cold copies for decode).
struct LayoutData {
  PackedWeights packed;
  std::unique_ptr<ColdCopies> cold;
};

// Survivors of a halving round: the fastest `keep`, the default (the baseline every speedup is
// quoted against) and each family's fastest, so the final round compares every family.
std::vector<Entry*> survivors(const std::vector<Entry*>& sorted, std::size_t keep, std::vector<Entry*>& dropped) {
  std::vector<Entry*> next;
  std::set<std::string> families;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const bool family_first = families.insert(sorted[i]->cand.family).second;
    if (i < keep || sorted[i]->is_default || family_first) next.push_back(sorted[i]);
    else dropped.push_back(sorted[i]);
  }
  return next;
}

FamilyBest family_best_entry(const Entry& e, int64_t weight_bytes) {
  return FamilyBest{e.cand.family, isa_name(e.cand.isa), e.cand.config, summarize(e.timed.samples), weight_bytes};
}

}  // namespace

std::vector<FamilyBest> family_best_of(const std::vector<Trial>& trials, Isa isa, const std::vector<const Family*>& fams) {
  std::vector<FamilyBest> out;
  for (const Family* f : fams) {
    const Trial* best = nullptr;
    for (const Trial& t : trials)
      if (t.family == f->name() && t.status == "ok" && t.stats.n > 0 && (!best || t.stats.median_s < best->stats.median_s))
        best = &t;
    if (best)
      out.push_back(FamilyBest{best->family, isa_name(isa), best->config, best->stats,
                               f->packed_bytes(f->candidate(isa, best->config), best->key.M, best->key.K)});
  }
  std::sort(out.begin(), out.end(), [](const FamilyBest& a, const FamilyBest& b) { return a.stats.median_s < b.stats.median_s; });
  return out;
}

Shape parse_shape(const std::string& text) {
  const Error bad(fmt::format(
      "--shape '{}': expected MxK or MxKxN with positive sizes (M, K <= 1048576, N <= 4096)", text));
  std::vector<int> dims;
  std::size_t pos = 0;
  while (true) {
    const std::size_t end = std::min(text.find('x', pos), text.size());
    int v = 0;
    const auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + end, v);
    if (ec != std::errc() || ptr != text.data() + end || end == pos) throw bad;
    dims.push_back(v);
    if (end == text.size()) break;
    pos = end + 1;
  }
  if (dims.size() < 2 || dims.size() > 3) throw bad;
  Shape s{dims[0], dims[1], dims.size() == 3 ? dims[2] : 1, ""};
  if (s.M <= 0 || s.K <= 0 || s.N <= 0 || s.M > (1 << 20) || s.K > (1 << 20) || s.N > 4096) throw bad;
  return s;
}

TuneKey make_key(const HostInfo& host, const std::string& compiler, Op op, const Shape& s, int threads, Isa isa) {
  return TuneKey{host.fingerprint, compiler, TRINE_GENERATOR_VERSION, op_name(op), s.M, s.K, s.N, threads,
                 isa_name(isa)};
}

Tuner::Tuner(TuningDb& db, CompilerSet& compilers, ThreadPool& pool, const HostInfo& host)
    : db_(db), compilers_(compilers), pool_(pool), host_(host) {}

std::vector<TuneResult> Tuner::tune(const TuneOptions& opt, const TuneProgress& progress) {
  const std::vector<const Family*> fams = opt.families.empty() ? all_families() : opt.families;

  db_.record_host(host_.fingerprint, host_.to_json());
  const auto start = Clock::now();
  std::vector<TuneResult> results;
  const int total = static_cast<int>(opt.shapes.size() * opt.isas.size());
  int done = 0;
  for (const Shape& s : opt.shapes) {
    for (Isa isa : opt.isas) {
      const TuneKey key = make_key(host_, jit::Jit::compiler_version(), op_for_tokens(s.N), s, pool_.size(), isa);
      std::optional<TuneResult> cached = opt.force ? std::nullopt : from_db(key, s, isa, fams);
      if (cached) {
        results.push_back(*cached);
      } else {
        const double left = std::max(1.0, opt.budget_s - seconds_since(start));
        results.push_back(tune_one(s, isa, opt, fams, key, left / (total - done), opt.seed + done, progress));
      }
      ++done;
      if (progress) progress({"done", done, total, key.op + " " + std::to_string(s.M) + "x" + std::to_string(s.K)});
    }
  }
  return results;
}

std::optional<TuneResult> Tuner::from_db(const TuneKey& key, const Shape& s, Isa isa,
                                         const std::vector<const Family*>& fams) {
  std::optional<Winner> w = db_.winner(key);
  if (!w) return std::nullopt;
  auto fam_it = std::find_if(fams.begin(), fams.end(), [&](const Family* f) { return f->name() == w->family; });
  if (fam_it == fams.end()) return std::nullopt;  // stored by a family not searched now: retune
  TuneResult r;
  r.shape = s;
  r.op = op_for_tokens(s.N);
  r.key = key;
  r.cached = true;
  r.winner = *w;
  const Family& fam = **fam_it;
  r.default_config = fam.default_candidate(isa, r.op).config;
  r.weight_bytes = std::llround(w->gbps * w->stats.median_s * 1e9);  // gbps was stored as bytes / median
  const std::vector<Trial> trials = db_.trials(key);
  for (const Trial& t : trials) {
    if (t.family == "reference") r.reference_stats = t.stats;
    if (t.family == fam.name() && t.config == r.default_config && t.stats.n > 0) r.default_stats = t.stats;
  }
  r.family_best = family_best_of(trials, isa, fams);
  return r;
}

TuneResult Tuner::tune_one(const Shape& s, Isa isa, const TuneOptions& opt, const std::vector<const Family*>& fams,
                           const TuneKey& key, double budget_s, uint64_t seed, const TuneProgress& progress) {
  const auto start = Clock::now();
  const Op op = op_for_tokens(s.N);
  const std::string what = fmt::format("{} {}x{}x{} {}", op_name(op), s.M, s.K, s.N, isa_name(isa));
  TuneResult res;
  res.shape = s;
  res.op = op;
  res.key = key;
  std::vector<Trial> trials;
  auto trial = [&](const Candidate& c, const std::string& status, const TimingStats& st, const std::string& msg) {
    trials.push_back(Trial{key, c.family, c.config, status, st, msg});
  };

  // Compile every family's space (shape independent, so later shapes reuse it).
  KernelCompiler& compiler = compilers_.for_isa(isa);
  std::vector<std::pair<const Family*, Candidate>> cands;
  std::vector<const Family*> usable;
  for (const Family* f : fams)
    if (f->supports(isa)) usable.push_back(f);
  if (usable.empty()) throw Error(fmt::format("{}: no kernel family searched here supports {}", what, isa_name(isa)));
  for (const Family* f : usable) {
    std::vector<Candidate> space = f->space(isa, op);
    const Candidate def = f->default_candidate(isa, op);
    if (std::find(space.begin(), space.end(), def) == space.end()) space.push_back(def);
    compiler.compile(*f, space, [&](int d, int t) {
      if (progress) progress({"compile", d, t, what});
    });
    for (const Candidate& c : space) cands.emplace_back(f, c);
  }
  res.candidates = static_cast<int>(cands.size());
  const Family& baseline = *usable.front();
  res.default_config = baseline.default_candidate(isa, op).config;

  // Verify before timing.
  Verifier verifier(s.M, s.K, s.N, seed);
  std::vector<Entry> entries;
  std::map<std::string, LayoutData> layouts;
  std::set<std::string> layout_keys;
  for (const auto& [f, c] : cands) layout_keys.insert(c.layout_key);
  const Problem& data = verifier.problems().front();  // the shape's own random problem
  GemmWorkspace ws;
  ws.prepare(data.acts, data.W.wscale, pool_.size());
  std::vector<float> y(static_cast<size_t>(s.M) * s.N);
  int checked = 0;
  for (auto& [fam, cand] : cands) {
    if (progress) progress({"verify", ++checked, static_cast<int>(cands.size()), what});
    const Compiled& comp = compiler.get(cand);
    if (!comp.fn) {
      ++res.compile_failed;
      res.failures.push_back(fmt::format("{} {}: compile failed: {}", cand.family, cand.config, comp.error));
      trial(cand, "compile_failed", {}, comp.error);
      continue;
    }
    if (std::string why = verifier.check(*fam, cand, comp.fn, pool_); !why.empty()) {
      ++res.verify_failed;
      res.failures.push_back(fmt::format("{} {}: wrong result: {}", cand.family, cand.config, why));
      trial(cand, "verify_failed", {}, why);
      continue;
    }
    LayoutData& lay = layouts[cand.layout_key];
    if (lay.packed.size_bytes() == 0) {
      lay.packed = fam->pack(cand, data.W);
      if (op == Op::gemv)
        lay.cold = std::make_unique<ColdCopies>(lay.packed.bytes.data(), lay.packed.size_bytes(),
                                                opt.cold_bytes ? opt.cold_bytes : cold_bytes_for(host_.cache.l3, layout_keys.size()));
    }
    Entry e{cand, {}, fam == &baseline && cand.config == res.default_config};
    e.timed.fn = comp.fn;
    e.timed.args = make_gemm_args(lay.packed.bytes.data(), s.M, s.K, data.acts, ws, y.data(), s.M);
    e.timed.cold = lay.cold.get();
    entries.push_back(std::move(e));
  }
  if (entries.empty()) throw Error(fmt::format("{}: no candidate compiled and verified", what));

  // Time: warm up, then successive halving on interleaved repetitions.
  std::mt19937_64 rng(seed);
  const Halving h = halving_for(op);
  std::vector<Entry*> alive;
  for (Entry& e : entries) alive.push_back(&e);
  auto time_round = [&](std::vector<Entry*>& set, int reps) {
    std::vector<TimedKernel*> ks;
    for (Entry* e : set) ks.push_back(&e->timed);
    time_interleaved(pool_, ks, reps, rng);
  };
  {
    std::vector<TimedKernel*> ks;
    for (Entry* e : alive) ks.push_back(&e->timed);
    time_interleaved(pool_, ks, 1, rng);
    for (TimedKernel* k : ks) k->samples.clear();  // warm-up only
  }
  int reps = h.first_reps, round = 0;
  // The default rides along as a baseline, so it does not count towards the survivors.
  auto contenders = [&] {
    return static_cast<int>(std::count_if(alive.begin(), alive.end(), [](const Entry* e) { return !e->is_default; }));
  };
  while (contenders() > h.keep_min && seconds_since(start) < 0.6 * budget_s) {
    if (progress) progress({"time", round++, 0, fmt::format("{}: {} candidates left", what, alive.size())});
    time_round(alive, reps);
    std::sort(alive.begin(), alive.end(), [](const Entry* a, const Entry* b) { return a->median() < b->median(); });
    const std::size_t keep = std::max<std::size_t>(h.keep_min, (contenders() + 2) / 3);
    std::vector<Entry*> dropped;
    std::vector<Entry*> next = survivors(alive, keep, dropped);
    for (Entry* e : dropped) trial(e->cand, "dropped_early", summarize(e->timed.samples), "");
    const bool shrank = next.size() < alive.size();
    alive = std::move(next);
    if (!shrank) break;  // only the protected ones are left
    reps *= 2;
  }
  if (progress) progress({"time", round, 0, fmt::format("{}: final {} candidates", what, alive.size())});
  time_round(alive, h.final_reps);
  std::sort(alive.begin(), alive.end(), [](const Entry* a, const Entry* b) { return a->median() < b->median(); });
  for (Entry* e : alive) {
    const TimingStats st = summarize(e->timed.samples);
    trial(e->cand, "ok", st, "");
    if (e->is_default) res.default_stats = st;
  }

  // The scalar reference, single threaded as it is written, for the speedup column.
  {
    std::vector<double> ref;
    const int ref_reps = op == Op::gemv ? 5 : 1;
    for (int i = 0; i < ref_reps; ++i) {
      const auto t0 = Clock::now();
      reference_gemm(data.W, data.acts, y.data(), s.M);
      ref.push_back(seconds_since(t0));
    }
    res.reference_stats = summarize(ref);
    trials.push_back(Trial{key, "reference", "scalar", "ok", *res.reference_stats, ""});
  }

  const Entry& best = *alive.front();
  const TimingStats st = summarize(best.timed.samples);
  res.weight_bytes = static_cast<int64_t>(layouts[best.cand.layout_key].packed.size_bytes());
  std::set<std::string> seen;
  for (const Entry* e : alive)
    if (seen.insert(e->cand.family).second)
      res.family_best.push_back(family_best_entry(*e, static_cast<int64_t>(layouts[e->cand.layout_key].packed.size_bytes())));
  res.winner = Winner{key, best.cand.family, best.cand.config, st,
                      static_cast<double>(res.weight_bytes) / st.median_s / 1e9,
                      static_cast<double>(s.M) * s.K * s.N / st.median_s / 1e9, static_cast<int64_t>(std::time(nullptr))};
  db_.add_trials(trials);
  db_.put_winner(res.winner);
  return res;
}

}  // namespace trine::codegen
