// What the MAD and base-3 kernels share around their tiles: the epilogue that sums a row's lanes
// and applies the float factor, the walk over K blocks and token tiles, and the split of row
// blocks between threads. The kernels differ only in how a tile decodes and multiplies.
#ifndef TRINE_ROW_BLOCKS_H
#define TRINE_ROW_BLOCKS_H

#include <stdint.h>

#include "runtime/kernel_abi.h"
#include "templates/cpu/out_prefetch.h"

namespace trine::rows {

// One call as a tile sees it: the arguments and the packed layout's block and chunk counts.
struct Ctx {
  const trine_gemm_args* a;
  int64_t block_bytes;
  int nblocks, nchunks;
};

// Lanes of one row are summed, the code offset (sum of q) removed, and the float factor applied
// exactly as the reference does: (float)acc * (wscale / s[n]). R rows per block, L lanes per row.
template <class I, int R, int L, int MBX, int NTX, class V>
inline void epilogue(const trine_gemm_args* a, int b0, int bs, int t0, V (&acc)[MBX][NTX]) {
  alignas(64) int32_t lanes[R * L];
  for (int mb = 0; mb < MBX; ++mb) {
    for (int t = 0; t < NTX; ++t) {
      I::store(lanes, acc[mb][t]);
      const int n = t0 + t;
      float* y = a->y + n * a->y_stride;
      for (int r = 0; r < R; ++r) {
        const int m = (b0 + mb * bs) * R + r;
        if (m >= a->M) break;
        int32_t v = 0;
        for (int l = 0; l < L; ++l) v += lanes[r * L + l];
        y[m] = static_cast<float>(v - a->qsum[n]) * a->scale[n];
      }
    }
  }
}

// K::tile<MBX, NTX>(ctx, b0, bs, t0, c0, c1, scratch) computes row blocks b0, b0 + bs, ... (MBX
// of them) for tokens [t0, t0 + NTX) over chunks [c0, c1). MB, NT, KB (in k, 0 = whole K), CK (k
// per chunk) and SPLIT are the kernel's knobs of those names (see mad.h).
template <class K, int MB, int NT, int KB, int CK, int SPLIT>
struct Driver {
  // Row blocks b0, b0 + bs, ..., b0 + (MBX - 1) * bs over every K block and token tile.
  template <int MBX>
  static void group(const Ctx& x, int b0, int bs, int32_t* scratch) {
    const int N = x.a->N;
    const int64_t kb = KB > 0 && KB / CK > 0 ? KB / CK : x.nchunks;
    for (int64_t c0 = 0; c0 < x.nchunks; c0 += kb) {
      const int64_t c1 = c0 + kb < x.nchunks ? c0 + kb : x.nchunks;
      int t0 = 0;
      for (; t0 + NT <= N; t0 += NT) K::template tile<MBX, NT>(x, b0, bs, t0, c0, c1, scratch);
      for (; t0 < N; ++t0) K::template tile<MBX, 1>(x, b0, bs, t0, c0, c1, scratch);
    }
  }

  template <class Layout>
  static void run(const trine_gemm_args* a, int32_t tid, int32_t nthreads, Layout layout) {
    Ctx x{a, layout.block_bytes(a->K), static_cast<int>(layout.blocks(a->M)), static_cast<int>(layout.chunks(a->K))};
    int32_t* scratch = a->scratch ? a->scratch + tid * a->scratch_stride : nullptr;
    if constexpr (SPLIT == 2) {
      // This thread's blocks [B0, B1) as MB equal parts walked side by side; the remainder alone.
      const int B0 = static_cast<int>(static_cast<int64_t>(x.nblocks) * tid / nthreads);
      const int B1 = static_cast<int>(static_cast<int64_t>(x.nblocks) * (tid + 1) / nthreads);
      const int part = (B1 - B0) / MB;
      prefetch_out_rows(a, static_cast<int64_t>(B0) * layout.r, static_cast<int64_t>(B1) * layout.r);
      for (int i = 0; i < part; ++i) group<MB>(x, B0 + i, part, scratch);
      for (int b = B0 + part * MB; b < B1; ++b) group<1>(x, b, 1, scratch);
      return;
    }
    const int ngroups = (x.nblocks + MB - 1) / MB;
    const int64_t group_rows = static_cast<int64_t>(MB) * layout.r;
    auto do_group = [&](int g) {
      const int b0 = g * MB;
      if (b0 + MB <= x.nblocks) {
        group<MB>(x, b0, 1, scratch);
      } else {
        for (int b = b0; b < x.nblocks; ++b) group<1>(x, b, 1, scratch);
      }
    };
    if constexpr (SPLIT == 0) {
      const int g0 = static_cast<int>(static_cast<int64_t>(ngroups) * tid / nthreads);
      const int g1 = static_cast<int>(static_cast<int64_t>(ngroups) * (tid + 1) / nthreads);
      prefetch_out_rows(a, g0 * group_rows, g1 * group_rows);
      for (int g = g0; g < g1; ++g) do_group(g);
    } else {
      for (int g = tid; g < ngroups; g += nthreads) prefetch_out_rows(a, g * group_rows, (g + 1) * group_rows);
      for (int g = tid; g < ngroups; g += nthreads) do_group(g);
    }
  }
};

}  // namespace trine::rows

#endif
