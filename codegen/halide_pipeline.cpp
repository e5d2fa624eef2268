// The Halide pipeline: the MAD math, y = (float)(sum_k code * q - qsum) * scale, read straight
// from MAD's 2-bit layout (templates/cpu/mad_layout.h), scheduled by a PipelineSpec and compiled
// with Halide's own JIT. The only translation unit that includes Halide.h.
#include "codegen/halide_pipeline.h"

#include <deque>
#include <mutex>

#include <unistd.h>

#include <Halide.h>
#include <fmt/format.h>

#include "runtime/error.h"

#ifndef TRINE_HALIDE_VERSION
#define TRINE_HALIDE_VERSION "halide-14"
#endif

namespace trine::codegen::halide {

using namespace Halide;

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
  // and a kernel call must not spend time checking them.
  Target t("x86-64-linux-sse41-avx-avx2-fma-f16c-no_asserts-no_bounds_query");
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

RawFn compile(const PipelineSpec& s) {
  // Halide's lowering shares global state (name counters, the shared JIT runtime): one at a time.
  std::lock_guard<std::mutex> lock(halide_mutex());
  static std::deque<Internal::JITModule> keep;  // compiled code lives as long as the process
  try {
    Built b = build(s);
    const std::string name = "trine_halide_" + std::to_string(keep.size());
    Module mod = b.pipeline.compile_to_module(b.args, name, target_for(s));
    Internal::JITModule jm(mod, mod.get_function_by_name(name));
    void* fn = jm.main_function();
    if (!fn) throw Error(fmt::format("halide {}: the JIT gave no entry point", s.key()));
    keep.push_back(jm);
    return reinterpret_cast<RawFn>(fn);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(fmt::format("halide {}: {}", s.key(), e.what()));
  }
}

std::string assembly(const PipelineSpec& s) {
  std::lock_guard<std::mutex> lock(halide_mutex());
  try {
    Built b = build(s);
    const std::string path = fmt::format("/tmp/trine_halide_{}_{}.s", s.key(), static_cast<long>(::getpid()));
    b.pipeline.compile_to_assembly(path, b.args, "trine_halide_asm", target_for(s));
    std::string text;
    if (FILE* f = std::fopen(path.c_str(), "rb")) {
      char buf[65536];
      std::size_t got;
      while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, got);
      std::fclose(f);
    }
    std::remove(path.c_str());
    return text;
  } catch (const std::exception& e) {
    throw Error(fmt::format("halide {}: {}", s.key(), e.what()));
  }
}

}  // namespace trine::codegen::halide
