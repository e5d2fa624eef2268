#include "codegen/cuda_tuner.h"

#include <algorithm>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "codegen/cuda_family.h"
#include "runtime/error.h"
#include "runtime/measure.h"

namespace trine::codegen {

namespace {

constexpr int kWarmup = 3;
constexpr int kRounds = 15;
constexpr int kLaunchesPerSample = 8;  // events resolve ~0.5 us; a decode GEMV takes a few us
constexpr int kPruneAfter = 5;         // rounds before clear losers stop being timed
constexpr double kPruneFactor = 1.5;

// Device copies of a problem's activations and outputs, and of its packed weights `copies` times.
struct DeviceProblem {
  std::vector<gpu::Buffer> weights;
  gpu::Buffer q, qsum, scale, y;
  trine_cuda_args args{};

  DeviceProblem(const TernaryMatrix& W, const QuantizedActs& acts, int copies) {
    const PackedWeights pw = pack_cuda(W);
    for (int i = 0; i < copies; ++i) {
      weights.emplace_back(pw.size_bytes());
      weights.back().upload(pw.bytes.data(), pw.size_bytes());
    }
    std::vector<float> sc;
    token_scales(acts, W.wscale, sc);
    q = gpu::Buffer(static_cast<std::size_t>(acts.N) * acts.stride + TRINE_ACT_SLACK);
    q.zero();
    q.upload(acts.q.data(), static_cast<std::size_t>(acts.N) * acts.stride);
    qsum = gpu::Buffer(sizeof(int32_t) * acts.N);
    qsum.upload(acts.qsum.data(), sizeof(int32_t) * acts.N);
    scale = gpu::Buffer(sizeof(float) * acts.N);
    scale.upload(sc.data(), sizeof(float) * acts.N);
    y = gpu::Buffer(sizeof(float) * static_cast<std::size_t>(acts.N) * W.M);
    args = trine_cuda_args{weights[0].as<unsigned char>(), q.as<signed char>(), qsum.as<int>(), scale.as<float>(),
                           y.as<float>(), acts.stride, W.M, W.M, W.K, acts.N};
  }
};

Problem timing_problem(const Shape& s) { return make_problem(ProblemKind::random, s.M, s.K, s.N, 1234); }

}  // namespace

TuneKey cuda_tune_key(const gpu::Device& dev, const Shape& s) {
  return TuneKey{dev.fingerprint(), jit::Nvrtc::version(), TRINE_GENERATOR_VERSION, op_name(op_for_tokens(s.N)),
                 s.M, s.K, s.N, 1, dev.arch()};
}

std::string verify_on_gpu(const void* kernel, const CudaConfig& config, const Problem& p) {
  DeviceProblem d(p.W, p.acts, 1);
  // A poisoned output: a kernel that skips an element cannot pass by leaving a zero behind.
  std::vector<float> y(static_cast<std::size_t>(p.acts.N) * p.W.M, -12345.0f);
  d.y.upload(y.data(), y.size() * sizeof(float));
  gpu::launch(kernel, config, d.args);
  gpu::synchronize();
  d.y.download(y.data(), y.size() * sizeof(float));
  for (std::size_t i = 0; i < y.size(); ++i)
    if (std::memcmp(&y[i], &p.y_ref[i], sizeof(float)) != 0)
      return fmt::format("{}: y[n={}][m={}] = {} but the reference gives {}", p.name, i / p.W.M, i % p.W.M, y[i], p.y_ref[i]);
  return "";
}

std::vector<CudaTiming> time_cuda_kernels(const gpu::Device& dev, const Shape& s,
                                          const std::vector<std::pair<CudaConfig, const void*>>& kernels, bool prune,
                                          const std::function<void(int round, int rounds)>& progress) {
  // Decode streams its weights from HBM: enough copies to overflow the L2 several times.
  const Problem tp = timing_problem(s);
  const int64_t bytes = cuda_packed_bytes(s.M, s.K);
  const int copies = s.N == 1 ? static_cast<int>(std::max<int64_t>(2, 4 * dev.l2_bytes / bytes + 1)) : 1;
  DeviceProblem d(tp.W, tp.acts, copies);
  gpu::Timer timer;
  std::vector<std::vector<double>> samples(kernels.size());
  std::vector<CudaTiming> out(kernels.size());
  int next_copy = 0;
  auto sample = [&](std::size_t i) {
    timer.start();
    for (int l = 0; l < kLaunchesPerSample; ++l) {
      d.args.w = d.weights[static_cast<std::size_t>(next_copy)].as<unsigned char>();
      next_copy = (next_copy + 1) % copies;
      gpu::launch(kernels[i].second, kernels[i].first, d.args);
    }
    return timer.stop_seconds() / kLaunchesPerSample;
  };
  for (std::size_t i = 0; i < kernels.size(); ++i)
    for (int w = 0; w < kWarmup; ++w) sample(i);
  for (int round = 0; round < kRounds; ++round) {
    for (std::size_t i = 0; i < kernels.size(); ++i)
      if (!out[i].dropped) samples[i].push_back(sample(i));
    if (prune && round + 1 == kPruneAfter) {
      double best = 1e30;
      for (std::size_t i = 0; i < kernels.size(); ++i) best = std::min(best, summarize(samples[i]).median_s);
      for (std::size_t i = 0; i < kernels.size(); ++i) out[i].dropped = summarize(samples[i]).median_s > kPruneFactor * best;
    }
    if (progress) progress(round + 1, kRounds);
  }
  for (std::size_t i = 0; i < kernels.size(); ++i) out[i].stats = summarize(samples[i]);
  return out;
}

const gpu::Module& CudaTuner::module_for(Op op) {
  std::unique_ptr<gpu::Module>& m = modules_[op == Op::gemv ? 0 : 1];
  if (!m) {
    const std::string cubin = nvrtc_.compile(fmt::format("cuda_{}", op_name(op)), cuda::source(cuda::space(op)),
                                             cuda::headers(), dev_.arch());
    m = std::make_unique<gpu::Module>(cubin);
  }
  return *m;
}

CudaTuneResult CudaTuner::tune(const Shape& s, bool force, const Progress& progress) {
  CudaTuneResult r;
  r.shape = s;
  r.op = op_for_tokens(s.N);
  const TuneKey key = cuda_tune_key(dev_, s);
  if (db_ && !force)
    if (std::optional<Winner> w = db_->winner(key)) {
      r.winner = *w, r.cached = true;
      return r;
    }
  const gpu::Module& mod = module_for(r.op);
  const std::vector<CudaConfig> space = cuda::space(r.op);
  const std::vector<Problem> problems = verification_problems(s.M, s.K, s.N, 42);
  std::vector<Trial> trials;
  std::vector<std::pair<CudaConfig, const void*>> live;
  for (std::size_t i = 0; i < space.size(); ++i) {
    const CudaConfig& c = space[i];
    std::string why;
    try {
      const void* k = mod.kernel(c.symbol());
      for (const Problem& p : problems)
        if (why = verify_on_gpu(k, c, p); !why.empty()) break;
      if (why.empty()) live.emplace_back(c, k);
    } catch (const Error& e) {
      why = e.what();
    }
    if (!why.empty()) {
      ++r.failed;
      r.failures.push_back(c.str() + ": " + why);
      trials.push_back(Trial{key, "cuda", c.str(), "verify_failed", {}, why});
    }
    if (progress) progress("verify", static_cast<int>(i + 1), static_cast<int>(space.size()));
  }
  r.verified = static_cast<int>(live.size());
  if (live.empty()) throw Error(fmt::format("no CUDA config passed verification on {}x{}x{}", s.M, s.K, s.N));

  const int64_t bytes = cuda_packed_bytes(s.M, s.K);
  const std::vector<CudaTiming> timed = time_cuda_kernels(dev_, s, live, true, [&](int round, int rounds) {
    if (progress) progress("time", round, rounds);
  });
  std::vector<bool> dropped;
  for (const CudaTiming& t : timed) dropped.push_back(t.dropped);
  std::size_t best = static_cast<std::size_t>(std::find(dropped.begin(), dropped.end(), false) - dropped.begin());
  for (std::size_t i = 0; i < live.size(); ++i) {
    const TimingStats& st = timed[i].stats;
    trials.push_back(Trial{key, "cuda", live[i].first.str(), dropped[i] ? "dropped_early" : "ok", st, ""});
    if (live[i].first == cuda_default(r.op)) r.default_stats = st;
    if (!dropped[i] && st.median_s < timed[best].stats.median_s) best = i;
  }
  const TimingStats st = timed[best].stats;
  r.winner = Winner{key, "cuda", live[best].first.str(), st, bytes / st.median_s / 1e9,
                    static_cast<double>(s.M) * s.K * s.N / st.median_s / 1e9, static_cast<int64_t>(std::time(nullptr))};
  if (db_) {
    db_->record_host(dev_.fingerprint(), dev_.describe());
    db_->add_trials(trials);
    db_->put_winner(r.winner);
  }
  return r;
}

}  // namespace trine::codegen
