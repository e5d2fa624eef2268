// `trine bench kernels --device cuda`: the stored CUDA winners (or defaults) on the GPU beside
// cuBLAS bf16 on the same shapes, and the GPU's roofline from the same run.
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/cuda_commands.h"
#include "codegen/cuda_bench.h"
#include "codegen/cuda_family.h"

namespace trine::cli {

namespace {

// The stored winner's config for the shape, else the op's default.
std::pair<CudaConfig, std::string> chosen_config(const TuningDb& db, const gpu::Device& dev, const codegen::Shape& s) {
  if (std::optional<Winner> w = db.winner(codegen::cuda_tune_key(dev, s))) return {CudaConfig::parse(w->config), "winner"};
  return {cuda_default(op_for_tokens(s.N)), "default"};
}

}  // namespace

void run_cuda_bench_kernels(const std::vector<codegen::Shape>& shapes, const std::string& db_path,
                            const std::string& cache_dir, const std::string& json) {
  const gpu::Device dev = gpu::require_device(0);
  auto db = open_db(db_path);
  jit::Nvrtc nvrtc(cache_dir);
  fmt::print(stderr, "{} ({}): measuring the roofline...\n", dev.name, dev.arch());
  const codegen::GpuRoofline roof = codegen::measure_gpu_roofline(dev, nvrtc);
  std::unique_ptr<gpu::Module> modules[2];
  Table t({"shape", "op", "MxKxN", "config", "kernel", "median us", "GB/s", "% copy BW", "GMAC/s", "% int8 peak",
           "cuBLAS bf16 us", "vs cuBLAS"});
  nlohmann::json results = nlohmann::json::array();
  for (const codegen::Shape& s : shapes) {
    const Op op = op_for_tokens(s.N);
    std::unique_ptr<gpu::Module>& mod = modules[op == Op::gemv ? 0 : 1];
    if (!mod)
      mod = std::make_unique<gpu::Module>(nvrtc.compile(fmt::format("cuda_{}", op_name(op)),
                                                        codegen::cuda::source(codegen::cuda::space(op)),
                                                        codegen::cuda::headers(), dev.arch()));
    const auto [config, variant] = chosen_config(*db, dev, s);
    const TimingStats st = codegen::time_cuda_kernels(dev, s, {{config, mod->kernel(config.symbol())}}, false).front().stats;
    const TimingStats blas = codegen::time_cublas_bf16(dev, s);
    const int64_t bytes = cuda_packed_bytes(s.M, s.K);
    const double gbps = bytes / st.median_s / 1e9, gmacs = static_cast<double>(s.M) * s.K * s.N / st.median_s / 1e9;
    t.add({s.label.empty() ? "-" : s.label, op_name(op), fmt::format("{}x{}x{}", s.M, s.K, s.N), config.str(), variant,
           us(st.median_s), fmt::format("{:.0f}", gbps), fmt::format("{:.0f}%", 100 * gbps / roof.copy_gbps),
           fmt::format("{:.0f}", gmacs), fmt::format("{:.0f}%", 100 * gmacs / roof.int8_peak_gmacs), us(blas.median_s),
           fmt::format("{:.2f}x", blas.median_s / st.median_s)});
    results.push_back({{"op", op_name(op)}, {"M", s.M}, {"K", s.K}, {"N", s.N}, {"family", "cuda"}, {"isa", dev.arch()},
                       {"config", config.str()}, {"variant", variant}, {"median_s", st.median_s}, {"p20_s", st.p20_s},
                       {"p80_s", st.p80_s}, {"weight_bytes", bytes}, {"bits_per_weight", bytes * 8.0 / (double(s.M) * s.K)},
                       {"gbps", gbps}, {"gmacs", gmacs}, {"cublas_bf16_median_s", blas.median_s},
                       {"speedup_vs_cublas_bf16", blas.median_s / st.median_s}});
  }
  fmt::print("{}", t.str());
  fmt::print("roofline, measured in the same run on {} ({}):\n  device copy  {:.0f} GB/s (read + write)\n"
             "  int8 peak    {:.0f} GMAC/s (mma.sync m16n8k32)\n",
             dev.name, dev.arch(), roof.copy_gbps, roof.int8_peak_gmacs);
  if (!json.empty()) {
    const nlohmann::json j{{"device", dev.describe()},
                           {"roofline", {{"copy_gbps", roof.copy_gbps}, {"int8_peak_gmacs", roof.int8_peak_gmacs}}},
                           {"results", results}};
    std::ofstream out(json);
    if (!(out << j.dump(2) << "\n")) throw Error(fmt::format("cannot write --json {}", json));
  }
}

}  // namespace trine::cli
