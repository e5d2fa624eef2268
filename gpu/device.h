// The CUDA devices this process can use, device memory, cubins loaded as modules, launches and
// event timing, over the CUDA runtime (linked statically: a machine without a driver runs trine
// for the CPU and reports why no GPU is usable). Built only where the CUDA toolkit exists.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/cuda_config.h"
#include "templates/cuda/w2a8_common.cuh"

namespace trine::gpu {

struct Device {
  int index = 0;
  std::string name;         // "NVIDIA H100 80GB HBM3"
  int sm = 0;               // 90
  int sms = 0;              // multiprocessors
  int64_t memory_bytes = 0;
  int64_t l2_bytes = 0;
  int driver_version = 0;   // 13000
  int runtime_version = 0;
  std::string arch() const { return "sm_" + std::to_string(sm); }
  // 16 hex digits over name, SM, memory, driver and runtime: the tuning database's host key.
  std::string fingerprint() const;
  nlohmann::json describe() const;
};

// Every CUDA device, or none with why() saying why (no driver, no device, ...).
struct Discovery {
  std::vector<Device> devices;
  std::string why;
};
Discovery discover();
// The device to run on; throws Error saying why none is usable.
Device require_device(int index = 0);

// Device memory; moves only.
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(std::size_t bytes);
  ~Buffer();
  Buffer(Buffer&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_) { o.ptr_ = nullptr, o.bytes_ = 0; }
  Buffer& operator=(Buffer&& o) noexcept;
  void upload(const void* src, std::size_t bytes, std::size_t offset = 0);
  void download(void* dst, std::size_t bytes) const;
  void zero();
  template <class T>
  T* as() const { return static_cast<T*>(ptr_); }
  std::size_t size() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

// A cubin's kernels.
class Module {
 public:
  explicit Module(const std::string& cubin);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  const void* kernel(const std::string& symbol) const;  // throws Error naming the symbol

 private:
  void* lib_ = nullptr;
};

// Launches one trine kernel on the default stream with the geometry its config implies.
void launch(const void* kernel, const CudaConfig& config, const trine_cuda_args& args);
// Launches any kernel on the default stream; params point at its arguments in order. `what`
// names it in the error.
void launch(const void* kernel, unsigned grid_x, unsigned grid_y, unsigned block, void** params, const char* what);

void synchronize();  // waits, and throws Error for any pending kernel fault

// Device-to-device copy bandwidth (bytes read + written per second) over up to 1 GiB, the median
// of 15 cudaMemcpy calls timed with events: the roofline a decode step is judged against.
double copy_gbps(const Device& dev);

// Elapsed device time between two recorded points on the default stream.
class Timer {
 public:
  Timer();
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  void start();
  double stop_seconds();  // waits for the work since start()

 private:
  void* begin_ = nullptr;
  void* end_ = nullptr;
};

}  // namespace trine::gpu
