// gpu/device.h over host memory and tests/gpu_emulation/cuda_emulation.h, linked in place of gpu/device.cpp so
// the GPU engine (gpu/cuda_engine.cpp, unchanged) runs its whole forward pass here: every
// buffer, offset, stride, launch geometry and op order it uses is the one it uses on a GPU.
// Kernels are looked up by name: the model ops run their own source; every W2A8 symbol runs the
// decode GEMV template (which takes any N) under its own geometry, since the prefill GEMM's
// tensor-core mma.sync has no host equivalent (its contract tests cover it separately).
#include <cstdlib>
#include <cstring>
#include <map>
#include <utility>

#include "gpu/device.h"
#include "runtime/error.h"
// Last: the emulation defines CUDA's keywords and thread indices as macros.
#include "tests/gpu_emulation/cuda_emulation.h"
#include "templates/cuda/model_ops.cuh"
#include "templates/cuda/w2a8_gemv.cuh"

namespace trine::gpu {

namespace {

using Runner = std::function<void(unsigned grid_x, unsigned grid_y, unsigned block, void** params)>;

template <class... A, std::size_t... I>
void call(void (*kernel)(A...), void** params, std::index_sequence<I...>) {
  kernel(*static_cast<std::remove_reference_t<A>*>(params[I])...);
}

template <class... A>
Runner runner(void (*kernel)(A...)) {
  return [kernel](unsigned gx, unsigned gy, unsigned block, void** params) {
    trine_emu::launch(gx, gy, block, [&] { call(kernel, params, std::index_sequence_for<A...>{}); });
  };
}

const std::map<std::string, Runner>& op_runners() {
  static const std::map<std::string, Runner> ops = {
      {"trine_op_embed", runner(trine_op_embed)},         {"trine_op_rmsnorm", runner(trine_op_rmsnorm)},
      {"trine_op_quantize", runner(trine_op_quantize)},   {"trine_op_rope", runner(trine_op_rope)},
      {"trine_op_attention", runner(trine_op_attention)}, {"trine_op_add", runner(trine_op_add)},
      {"trine_op_relu2_mul", runner(trine_op_relu2_mul)}, {"trine_op_lm_head", runner(trine_op_lm_head)}};
  return ops;
}

// The W2A8 GEMV every matmul symbol stands for here: 8 threads per row, 4 warps.
const Runner& matmul_runner() {
  static const Runner r = [](unsigned, unsigned, unsigned, void** params) {
    const trine_cuda_args& a = *static_cast<const trine_cuda_args*>(params[0]);
    constexpr int kRows = 4 * 32 / 8;
    trine_emu::launch(static_cast<unsigned>((a.M + kRows - 1) / kRows), 1, 128, [&] { trine_cuda::w2a8_gemv<8, 4, 16, 2>(a); });
  };
  return r;
}

}  // namespace

Buffer::Buffer(std::size_t bytes) : bytes_(bytes) {
  if (bytes) ptr_ = std::calloc(bytes, 1);
}
Buffer::~Buffer() { std::free(ptr_); }
Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    std::free(ptr_);
    ptr_ = o.ptr_, bytes_ = o.bytes_;
    o.ptr_ = nullptr, o.bytes_ = 0;
  }
  return *this;
}
void Buffer::upload(const void* src, std::size_t bytes, std::size_t offset) {
  if (offset + bytes > bytes_) throw Error("emulated upload overruns its buffer");
  std::memcpy(static_cast<char*>(ptr_) + offset, src, bytes);
}
void Buffer::download(void* dst, std::size_t bytes) const {
  if (bytes > bytes_) throw Error("emulated download overruns its buffer");
  std::memcpy(dst, ptr_, bytes);
}
void Buffer::zero() { std::memset(ptr_, 0, bytes_); }

Module::Module(const std::string&) {}
Module::~Module() = default;
const void* Module::kernel(const std::string& symbol) const {
  const auto it = op_runners().find(symbol);
  return it != op_runners().end() ? static_cast<const void*>(&it->second) : &matmul_runner();
}

void launch(const void* kernel, const CudaConfig& config, const trine_cuda_args& args) {
  trine_cuda_args copy = args;
  void* params[] = {&copy};
  (*static_cast<const Runner*>(kernel))(config.grid_x(args.M), config.grid_y(args.N), static_cast<unsigned>(config.threads()), params);
}
void launch(const void* kernel, unsigned grid_x, unsigned grid_y, unsigned block, void** params, const char*) {
  (*static_cast<const Runner*>(kernel))(grid_x, grid_y, block, params);
}
void synchronize() {}

Timer::Timer() = default;
Timer::~Timer() = default;
void Timer::start() {}
double Timer::stop_seconds() { return 0; }

}  // namespace trine::gpu
