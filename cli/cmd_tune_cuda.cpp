// `trine tune --device cuda`: the CUDA kernels tuned on this machine's GPU.
#include <chrono>

#include <fmt/format.h>

#include "cli/common.h"
#include "cli/cuda_commands.h"
#include "codegen/cuda_tuner.h"
#include "jit/jit.h"

namespace trine::cli {

void run_cuda_tune(const std::vector<codegen::Shape>& shapes, const std::string& db_path, const std::string& cache_dir,
                   bool force) {
  const auto t0 = std::chrono::steady_clock::now();
  const gpu::Device dev = gpu::require_device(0);
  fmt::print("{} ({}, {} SMs, {:.0f} GiB, L2 {} MiB)\n", dev.name, dev.arch(), dev.sms, dev.memory_bytes / 1073741824.0,
             dev.l2_bytes >> 20);
  auto db = open_db(db_path);
  jit::Nvrtc nvrtc(cache_dir);
  codegen::CudaTuner tuner(dev, db.get(), nvrtc);
  Table t({"shape", "op", "MxKxN", "arch", "winner config", "median us", "GB/s", "GMAC/s", "vs default", "verified",
           "source"});
  std::vector<std::string> rejected;
  for (const codegen::Shape& s : shapes) {
    Progress progress;
    const codegen::CudaTuneResult r =
        tuner.tune(s, force, [&](const std::string& what, int done, int total) { progress.update(what, done, total, ""); });
    progress.finish();
    const Winner& w = r.winner;
    t.add({s.label.empty() ? "-" : s.label, op_name(r.op), fmt::format("{}x{}x{}", s.M, s.K, s.N), w.key.isa, w.config,
           us(w.stats.median_s), fmt::format("{:.1f}", w.gbps), fmt::format("{:.1f}", w.gmacs),
           r.default_stats ? fmt::format("{:.2f}x", r.default_stats->median_s / w.stats.median_s) : "-",
           r.cached ? "-" : fmt::format("{}/{}", r.verified, r.verified + r.failed), r.cached ? "database" : "tuned"});
    for (const std::string& f : r.failures) rejected.push_back(fmt::format("{}x{}x{} {}", s.M, s.K, s.N, f.substr(0, 300)));
  }
  fmt::print("{}", t.str());
  for (const std::string& f : rejected) fmt::print("  rejected: {}\n", f);
  const jit::Counters& c = nvrtc.counters();
  fmt::print("database {}\nNVRTC compiled {} translation units ({:.1f} s), {} loaded from the cache; total {:.1f} s\n",
             db->path(), c.compiles, c.compile_seconds, c.cache_hits,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace trine::cli
