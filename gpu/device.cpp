#include "gpu/device.h"

#include <cuda_runtime.h>

#include <algorithm>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/measure.h"

namespace trine::gpu {

namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw Error(fmt::format("CUDA {}: {} ({})", what, cudaGetErrorString(e), cudaGetErrorName(e)));
}

// FNV-1a: stable across runs and builds, which std::hash is not.
uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

std::string Device::fingerprint() const {
  return fmt::format("{:016x}", fnv1a(fmt::format("{}|{}|{}|{}|{}|{}", name, sm, sms, memory_bytes, driver_version,
                                                  runtime_version)));
}

nlohmann::json Device::describe() const {
  return {{"kind", "cuda"}, {"name", name},       {"arch", arch()},  {"sms", sms}, {"memory_bytes", memory_bytes},
          {"l2_bytes", l2_bytes}, {"driver", driver_version}, {"runtime", runtime_version}};
}

Discovery discover() {
  Discovery d;
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    d.why = fmt::format("{} ({})", cudaGetErrorString(e), cudaGetErrorName(e));
    cudaGetLastError();  // a failed probe must not poison later calls
    return d;
  }
  if (count == 0) d.why = "the driver reports no CUDA device";
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    Device dev;
    dev.index = i, dev.name = p.name, dev.sm = p.major * 10 + p.minor, dev.sms = p.multiProcessorCount;
    dev.memory_bytes = static_cast<int64_t>(p.totalGlobalMem), dev.l2_bytes = p.l2CacheSize;
    dev.driver_version = driver, dev.runtime_version = runtime;
    d.devices.push_back(dev);
  }
  return d;
}

Device require_device(int index) {
  const Discovery d = discover();
  if (d.devices.empty()) throw Error(fmt::format("--device cuda: no usable CUDA device: {}", d.why));
  if (index < 0 || index >= static_cast<int>(d.devices.size()))
    throw Error(fmt::format("--device cuda: device {} does not exist ({} found)", index, d.devices.size()));
  const Device& dev = d.devices[static_cast<std::size_t>(index)];
  if (dev.sm < 80)
    throw Error(fmt::format("--device cuda: {} is {}; trine's kernels need int8 mma.sync, sm_80 or newer", dev.name, dev.arch()));
  check(cudaSetDevice(index), "selecting the device");
  return dev;
}

Buffer::Buffer(std::size_t bytes) : bytes_(bytes) {
  if (bytes) check(cudaMalloc(&ptr_, bytes), fmt::format("allocating {} bytes", bytes).c_str());
}
Buffer::~Buffer() {
  if (ptr_) cudaFree(ptr_);
}
Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    if (ptr_) cudaFree(ptr_);
    ptr_ = o.ptr_, bytes_ = o.bytes_;
    o.ptr_ = nullptr, o.bytes_ = 0;
  }
  return *this;
}
void Buffer::upload(const void* src, std::size_t bytes, std::size_t offset) {
  if (offset + bytes > bytes_) throw Error(fmt::format("upload of {} bytes at {} overruns a {}-byte buffer", bytes, offset, bytes_));
  check(cudaMemcpy(static_cast<char*>(ptr_) + offset, src, bytes, cudaMemcpyHostToDevice), "copying to the device");
}
void Buffer::download(void* dst, std::size_t bytes) const {
  if (bytes > bytes_) throw Error(fmt::format("download of {} bytes overruns a {}-byte buffer", bytes, bytes_));
  check(cudaMemcpy(dst, ptr_, bytes, cudaMemcpyDeviceToHost), "copying from the device");
}
void Buffer::zero() { check(cudaMemset(ptr_, 0, bytes_), "clearing device memory"); }

Module::Module(const std::string& cubin) {
  cudaLibrary_t lib = nullptr;
  check(cudaLibraryLoadData(&lib, cubin.data(), nullptr, nullptr, 0, nullptr, nullptr, 0), "loading a cubin");
  lib_ = lib;
}
Module::~Module() {
  if (lib_) cudaLibraryUnload(static_cast<cudaLibrary_t>(lib_));
}
const void* Module::kernel(const std::string& symbol) const {
  cudaKernel_t k = nullptr;
  check(cudaLibraryGetKernel(&k, static_cast<cudaLibrary_t>(lib_), symbol.c_str()), ("finding kernel " + symbol).c_str());
  return reinterpret_cast<const void*>(k);
}

void launch(const void* kernel, const CudaConfig& c, const trine_cuda_args& args) {
  trine_cuda_args copy = args;
  void* params[] = {&copy};
  const dim3 grid(c.grid_x(args.M), c.grid_y(args.N));
  check(cudaLaunchKernel(kernel, grid, dim3(static_cast<unsigned>(c.threads())), params, 0, nullptr),
        ("launching " + c.symbol()).c_str());
}

void launch(const void* kernel, unsigned grid_x, unsigned grid_y, unsigned block, void** params, const char* what) {
  check(cudaLaunchKernel(kernel, dim3(grid_x, grid_y), dim3(block), params, 0, nullptr), fmt::format("launching {}", what).c_str());
}

void synchronize() { check(cudaDeviceSynchronize(), "running a kernel"); }

Timer::Timer() {
  cudaEvent_t b = nullptr, e = nullptr;
  check(cudaEventCreate(&b), "creating an event");
  check(cudaEventCreate(&e), "creating an event");
  begin_ = b, end_ = e;
}
Timer::~Timer() {
  cudaEventDestroy(static_cast<cudaEvent_t>(begin_));
  cudaEventDestroy(static_cast<cudaEvent_t>(end_));
}
void Timer::start() { check(cudaEventRecord(static_cast<cudaEvent_t>(begin_), nullptr), "recording an event"); }
double Timer::stop_seconds() {
  check(cudaEventRecord(static_cast<cudaEvent_t>(end_), nullptr), "recording an event");
  check(cudaEventSynchronize(static_cast<cudaEvent_t>(end_)), "running a kernel");
  float ms = 0;
  check(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(begin_), static_cast<cudaEvent_t>(end_)), "timing");
  return ms * 1e-3;
}

double copy_gbps(const Device& dev) {
  const std::size_t bytes = static_cast<std::size_t>(std::min<int64_t>(1ll << 30, dev.memory_bytes / 8));
  Buffer src(bytes), dst(bytes);
  src.zero();
  Timer timer;
  std::vector<double> s;
  for (int i = 0; i < 15; ++i) {
    timer.start();
    check(cudaMemcpy(dst.as<void>(), src.as<void>(), bytes, cudaMemcpyDeviceToDevice), "copying on the device");
    s.push_back(timer.stop_seconds());
  }
  return 2.0 * bytes / summarize(s).median_s / 1e9;
}

}  // namespace trine::gpu
