// The Halide pipeline: the MAD math, y = (float)(sum_k code * q - qsum) * scale, read straight
// from MAD's 2-bit layout (templates/cpu/mad_layout.h), scheduled by a PipelineSpec and compiled
// with Halide's own JIT. The only translation unit that includes Halide.h.
#include "codegen/halide_pipeline.h"

#include <atomic>
#include <mutex>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <Halide.h>
#include <fmt/format.h>

#include "runtime/error.h"

#ifndef TRINE_HALIDE_VERSION
#define TRINE_HALIDE_VERSION "halide-14"
#endif

namespace trine::codegen::halide {

using namespace Halide;
namespace fs = std::filesystem;

std::string PipelineSpec::key() const {
  return fmt::format("vb{}.r{}.nb{}.nt{}.ku{}.pf{}.{}{}", vb, r, nb, nt, ku, pf, avx512 ? "avx512" : "avx2",
                     vnni ? ".vnni" : "");
}

std::string halide_version() {
  return TRINE_HALIDE_VERSION;
}

namespace {

Target target_for(const PipelineSpec& s) {
  // No asserts and no bounds queries: the wrapper builds exact buffer descriptors on the stack,
  // and a kernel call must not spend time checking them. No runtime: the object must stand alone.
  Target t("x86-64-linux-sse41-avx-avx2-fma-f16c-no_asserts-no_bounds_query-no_runtime");
  if (s.avx512) {
    t = t.with_feature(Target::AVX512).with_feature(Target::AVX512_Skylake).with_feature(Target::AVX512_Cannonlake);
    // Halide 14 only pattern-matches vpdpbusd under Sapphire Rapids, whose LLVM CPU also has
    // AVX-VNNI (VEX) that AVX-512 hosts such as Zen 4 lack: only 512-bit vectors may use it
    // (a zmm vpdpbusd is always EVEX); the family only sets vnni with vb = 64.
    if (s.vnni) t = t.with_feature(Target::AVX512_SapphireRapids);
  }
  return t;
}

struct Built {
  Pipeline pipeline;
  std::vector<Argument> args;
};

Built build(const PipelineSpec& s) {
  const int VB = s.vb, R = s.r, L = VB / 4 / R, CK = 16 * L, nb = s.nb, nt = s.nt;
  ImageParam w(UInt(8), 3, "w");  // (byte in chunk, chunk, block)
  ImageParam q(Int(8), 2, "q");   // (k, n)
  ImageParam qsum(Int(32), 1, "qsum");
  ImageParam scale(Float(32), 1, "scale");
  Param<int> nblocks("nblocks");

  Var ls("ls"), rr("rr"), bi("bi"), bo("bo"), n("n"), m("m");
  // j: the 4 consecutive k of a 32-bit lane; p: the 2-bit plane; c: the chunk of CK k.
  RDom r(0, 4, 0, 4, 0, w.dim(1).extent(), "r");
  const RVar j = r.x, p = r.y, c = r.z;
  // Tiles past the last real block (M tails) recompute it instead of reading past the weights;
  // tokens past N read the last token: neither is stored.
  Expr b = min(bo * nb + bi, nblocks - 1);
  Expr nn = nt > 1 ? min(n, q.dim(1).extent() - 1) : Expr(n);
  Expr byte = w(4 * (rr * L + ls) + j, c, b);
  Expr code = (byte >> cast<uint8_t>(2 * p)) & cast<uint8_t>(3);
  Expr act = q(c * CK + p * (4 * L) + ls * 4 + j, nn);

  Func part("part");  // per 32-bit lane partial sums, lane = rr * L + ls as in the MAD layout
  part(ls, rr, bi, bo, n) = 0;
  part(ls, rr, bi, bo, n) += cast<int32_t>(code) * cast<int32_t>(act);

  Expr acc = part(0, rr, bi, bo, n);
  for (int l = 1; l < L; ++l) acc += part(l, rr, bi, bo, n);
  Func accf("acc");
  accf(rr, bi, bo, n) = acc;

  Func out("out");
  out(m, n) = cast<float>(accf(m % R, (m / R) % nb, m / (R * nb), n) - qsum(n)) * scale(n);

  // Schedule: a tile of R * nb rows by nt tokens; its VB/4 * nb * nt int32 accumulators live in
  // registers while the K chunks stream by.
  out.output_buffer().dim(0).set_min(0);
  Var mo("mo"), mi("mi"), no("no"), ni("ni");
  const int rows = R * nb;
  out.split(m, mo, mi, rows, TailStrategy::GuardWithIf)
      .split(n, no, ni, nt, TailStrategy::GuardWithIf)
      .reorder(mi, ni, mo, no);
  const int ovec = std::min(rows, VB / 4);
  if (ovec > 1) out.vectorize(mi, ovec, TailStrategy::GuardWithIf);
  accf.compute_at(out, mo).bound(rr, 0, R).bound(bi, 0, nb).vectorize(rr, std::min(R, VB / 4));
  part.compute_at(out, mo).bound(ls, 0, L).bound(rr, 0, R).bound(bi, 0, nb);
  Var lr("lr");
  part.fuse(ls, rr, lr).vectorize(lr);
  part.update().reorder(j, ls, rr, bi, n, p, c, bo).fuse(ls, rr, lr).atomic().vectorize(j).vectorize(lr).unroll(bi).unroll(p);
  if (nt > 1) part.update().unroll(n);
  RVar co("co"), ci("ci");
  if (s.ku > 1) part.update().split(c, co, ci, s.ku, TailStrategy::GuardWithIf).unroll(ci);
  if (s.pf > 0) {
    // x86 prefetches never fault: no guard needed past the last chunk.
    const int ahead = std::max(1, s.pf / (VB * s.ku));
    const VarOrRVar at = s.ku > 1 ? VarOrRVar(co) : VarOrRVar(c);
    part.update().prefetch(w, at, at, ahead, PrefetchBoundStrategy::NonFaulting);
  }
  // Constant-size tiles: the accumulators live on the stack (in registers, once LLVM is done),
  // never in a per-tile halide_malloc.
  part.bound_extent(bo, 1).bound_extent(n, nt).store_in(MemoryType::Stack);
  accf.bound_extent(bo, 1).bound_extent(n, nt).store_in(MemoryType::Stack);

  Built out_b{Pipeline(out), {w, q, qsum, scale, nblocks}};
  return out_b;
}

std::mutex& halide_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

std::string function_name(const PipelineSpec& s) {
  std::string name = "trine_halide_pipe_" + s.key();
  for (char& c : name)
    if (c == '.') c = '_';
  return name;
}

std::string target_string(const PipelineSpec& s) { return target_for(s).to_string(); }

namespace {

std::string temp_path(const char* what, const PipelineSpec& s) {
  static std::atomic<int> serial{0};
  return fmt::format("{}/trine_halide_{}_{}_{}_{}", fs::temp_directory_path().string(), what, s.key(),
                     static_cast<long>(::getpid()), serial++);
}

std::string take_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::error_code ec;
  fs::remove(path, ec);
  return text;
}

// Builds the pipeline and has Halide write it (an object, or assembly) to a private temporary
// file, which is read back and removed.
template <class Write>
std::string compile_to_file(const PipelineSpec& s, const char* what, Write write) {
  // Halide's lowering shares global state (name counters): one at a time.
  std::lock_guard<std::mutex> lock(halide_mutex());
  const std::string path = temp_path(what, s);
  try {
    Built b = build(s);
    write(b, path);
  } catch (const std::exception& e) {
    take_file(path);
    throw Error(fmt::format("halide {}: {}", s.key(), e.what()));
  }
  return take_file(path);
}

}  // namespace

std::string object(const PipelineSpec& s) {
  std::string obj = compile_to_file(s, "o", [&](Built& b, const std::string& path) {
    b.pipeline.compile_to_object(path, b.args, function_name(s), target_for(s));
  });
  if (obj.size() < 4 || obj.compare(0, 4, "\x7f" "ELF") != 0)
    throw Error(fmt::format("halide {}: Halide wrote no object", s.key()));
  return obj;
}

std::string assembly(const PipelineSpec& s) {
  return compile_to_file(s, "s", [&](Built& b, const std::string& path) {
    b.pipeline.compile_to_assembly(path, b.args, function_name(s), target_for(s));
  });
}

}  // namespace trine::codegen::halide
