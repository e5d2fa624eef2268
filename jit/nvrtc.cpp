#include "jit/nvrtc.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include <fmt/format.h>
#include <nvrtc.h>

#include "jit/object_cache.h"
#include "runtime/error.h"

namespace trine::jit {

namespace {

void check(nvrtcResult r, const char* what) {
  if (r != NVRTC_SUCCESS) throw Error(fmt::format("NVRTC {}: {}", what, nvrtcGetErrorString(r)));
}

std::vector<int> supported_archs() {
  int n = 0;
  check(nvrtcGetNumSupportedArchs(&n), "listing architectures");
  std::vector<int> archs(static_cast<std::size_t>(n));
  if (n > 0) check(nvrtcGetSupportedArchs(archs.data()), "listing architectures");
  return archs;
}

std::string program_log(nvrtcProgram prog) {
  std::size_t size = 0;
  if (nvrtcGetProgramLogSize(prog, &size) != NVRTC_SUCCESS || size <= 1) return "";
  std::string log(size, '\0');
  nvrtcGetProgramLog(prog, log.data());
  log.resize(size - 1);
  return log;
}

}  // namespace

struct Nvrtc::Cache {
  detail::ObjectCache objects;
};

Nvrtc::Nvrtc(std::string cache_dir) : cache_(new Cache{detail::ObjectCache(std::move(cache_dir))}) {}
Nvrtc::~Nvrtc() { delete cache_; }

std::string Nvrtc::version() {
  int major = 0, minor = 0;
  check(nvrtcVersion(&major, &minor), "version");
  return fmt::format("nvrtc-{}.{}", major, minor);
}

void Nvrtc::check_arch(const std::string& arch) {
  int sm = 0;
  char tail = 0;
  if (std::sscanf(arch.c_str(), "sm_%d%c", &sm, &tail) != 1)
    throw Error(fmt::format("CUDA architecture '{}': expected sm_<version>, e.g. sm_90", arch));
  const std::vector<int> archs = supported_archs();
  if (std::find(archs.begin(), archs.end(), sm) == archs.end()) {
    std::string known;
    for (int a : archs) known += fmt::format("{}sm_{}", known.empty() ? "" : ", ", a);
    throw Error(fmt::format("CUDA architecture '{}' is not one {} targets ({})", arch, version(), known));
  }
  if (sm < 80) throw Error(fmt::format("CUDA architecture '{}': trine's kernels need int8 mma.sync, sm_80 or newer", arch));
}

std::string Nvrtc::compile(const std::string& name, const std::string& source, const std::vector<SourceFile>& headers,
                           const std::string& arch) {
  check_arch(arch);
  detail::KeyHasher h;
  for (const std::string& f : {std::string("cuda"), version(), arch, name, source}) h.field(f);
  for (const SourceFile& f : headers) h.field(f.path), h.field(f.text);
  const std::string key = h.hex();
  if (std::optional<std::string> hit = cache_->objects.load(key)) {
    ++counters_.cache_hits;
    return *hit;
  }

  const auto t0 = std::chrono::steady_clock::now();
  std::vector<const char*> texts, names;
  for (const SourceFile& f : headers) texts.push_back(f.text.c_str()), names.push_back(f.path.c_str());
  nvrtcProgram prog = nullptr;
  check(nvrtcCreateProgram(&prog, source.c_str(), (name + ".cu").c_str(), static_cast<int>(headers.size()),
                           texts.data(), names.data()),
        "creating a program");
  std::unique_ptr<nvrtcProgram, void (*)(nvrtcProgram*)> guard(&prog, [](nvrtcProgram* p) { nvrtcDestroyProgram(p); });
  // No fast math: the epilogue's single float multiply must round exactly as the CPU's.
  const std::string arch_opt = "--gpu-architecture=" + arch;
  const char* opts[] = {arch_opt.c_str(), "--std=c++17", "--fmad=false"};
  const nvrtcResult r = nvrtcCompileProgram(prog, 3, opts);
  if (r != NVRTC_SUCCESS) throw CompileError(name, program_log(prog));
  std::size_t size = 0;
  check(nvrtcGetCUBINSize(prog, &size), "cubin size");
  std::string cubin(size, '\0');
  check(nvrtcGetCUBIN(prog, cubin.data()), "cubin");
  counters_.compile_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ++counters_.compiles;
  cache_->objects.store(key, cubin);
  return cubin;
}

}  // namespace trine::jit
