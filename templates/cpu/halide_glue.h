// Runs a Halide-compiled pipeline of the Halide family (codegen/halide_pipeline.cpp) under the
// kernel ABI: the calling thread picks its row tiles and describes them to Halide with buffer
// descriptors on its stack. The JIT (codegen/halide_family.cpp) and `trine aot` trees both call
// it, so an AOT kernel runs exactly the code the tuner measured.
#ifndef TRINE_HALIDE_GLUE_H
#define TRINE_HALIDE_GLUE_H

#include <HalideRuntime.h>
#include <stdint.h>

#include "runtime/kernel_abi.h"
#include "templates/cpu/mad_layout.h"
#include "templates/cpu/out_prefetch.h"

namespace trine::halide_glue {

// The pipeline's entry point, as Halide compiles it:
// w (byte in chunk, chunk, block) u8; q (k, n) i8; qsum (n) i32; scale (n) f32; nblocks: blocks
// readable from w; y (m, n) f32 starting at the first row of w's first block.
using Pipeline = int (*)(halide_buffer_t* w, halide_buffer_t* q, halide_buffer_t* qsum, halide_buffer_t* scale,
                         int32_t nblocks, halide_buffer_t* y);

// The knobs the wrapper applies (Halide never sees them): the layout's vector bytes and rows per
// block (MAD's 2-bit layout, templates/cpu/mad_layout.h), blocks per row tile, and the parallel
// granularity (0: one contiguous range of tiles per thread, else round robin in chunks of g).
struct Schedule {
  int vb, r, nb, g;
};

inline halide_dimension_t dim(int64_t extent, int64_t stride) {
  halide_dimension_t d{};
  d.min = 0;
  d.extent = static_cast<int32_t>(extent);
  d.stride = static_cast<int32_t>(stride);
  return d;
}

inline halide_buffer_t buffer(const void* host, halide_type_code_t code, int bits, halide_dimension_t* dims, int n) {
  halide_buffer_t b{};
  b.host = static_cast<uint8_t*>(const_cast<void*>(host));
  b.type.code = code;
  b.type.bits = static_cast<uint8_t>(bits);
  b.type.lanes = 1;
  b.dimensions = n;
  b.dim = dims;
  return b;
}

// Rows [m0, m1) of every token; m0 is a multiple of the block rows.
inline void run_rows(Pipeline fn, const Schedule& s, const trine_gemm_args* a, int64_t m0, int64_t m1) {
  const mad::Layout lay{s.vb, s.r};
  const int64_t chunks = lay.chunks(a->K), block_bytes = lay.block_bytes(a->K);
  const int64_t b0 = m0 / s.r, blocks = lay.blocks(a->M) - b0;
  halide_dimension_t wd[3] = {dim(s.vb, 1), dim(chunks, s.vb), dim(blocks, block_bytes)};
  halide_dimension_t qd[2] = {dim(a->q_stride, 1), dim(a->N, a->q_stride)};
  halide_dimension_t sd[1] = {dim(a->N, 1)};
  halide_dimension_t cd[1] = {dim(a->N, 1)};
  halide_dimension_t yd[2] = {dim(m1 - m0, 1), dim(a->N, a->y_stride)};
  halide_buffer_t w = buffer(a->w + b0 * block_bytes, halide_type_uint, 8, wd, 3);
  halide_buffer_t q = buffer(a->q, halide_type_int, 8, qd, 2);
  halide_buffer_t qs = buffer(a->qsum, halide_type_int, 32, sd, 1);
  halide_buffer_t sc = buffer(a->scale, halide_type_float, 32, cd, 1);
  halide_buffer_t y = buffer(a->y + m0, halide_type_float, 32, yd, 2);
  fn(&w, &q, &qs, &sc, static_cast<int32_t>(blocks), &y);
}

inline void run(Pipeline fn, const Schedule& s, const trine_gemm_args* a, int32_t tid, int32_t nthreads) {
  if (a->M <= 0 || a->N <= 0) return;
  const int64_t rows = static_cast<int64_t>(s.r) * s.nb, tiles = (a->M + rows - 1) / rows;
  if (s.g == 0) {
    const int64_t t0 = tiles * tid / nthreads, t1 = tiles * (tid + 1) / nthreads;
    if (t1 > t0) {
      prefetch_out_rows(a, t0 * rows, t1 * rows);
      run_rows(fn, s, a, t0 * rows, t1 * rows < a->M ? t1 * rows : a->M);
    }
    return;
  }
  for (int64_t c = tid; c * s.g < tiles; c += nthreads) prefetch_out_rows(a, c * s.g * rows, (c + 1) * s.g * rows);
  for (int64_t c = tid; c * s.g < tiles; c += nthreads) {
    const int64_t end = (c + 1) * s.g * rows;
    run_rows(fn, s, a, c * s.g * rows, end < a->M ? end : a->M);
  }
}

}  // namespace trine::halide_glue

#endif
