// CUDA source -> cubin for one GPU architecture with NVRTC, in-process, through the same on-disk
// cache as the CPU JIT (a rerun of `trine tune --device cuda` compiles nothing). Needs no GPU:
// the tests compile every emitted kernel for sm_80 and sm_90 on machines without one.
#pragma once
#include <string>
#include <vector>

#include "jit/jit.h"

namespace trine::jit {

class Nvrtc {
 public:
  explicit Nvrtc(std::string cache_dir);
  ~Nvrtc();
  Nvrtc(const Nvrtc&) = delete;
  Nvrtc& operator=(const Nvrtc&) = delete;

  // The cubin of `source` for arch ("sm_90"). Throws CompileError holding NVRTC's log.
  std::string compile(const std::string& name, const std::string& source, const std::vector<SourceFile>& headers,
                      const std::string& arch);
  const Counters& counters() const { return counters_; }

  static std::string version();  // "nvrtc-13.0"
  // Throws Error unless arch is sm_<digits> with a version this NVRTC can target.
  static void check_arch(const std::string& arch);

 private:
  struct Cache;
  Cache* cache_;
  Counters counters_;
};

}  // namespace trine::jit
