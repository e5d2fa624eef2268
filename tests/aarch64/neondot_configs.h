// The NeonDot MAD configs the aarch64 contract test instantiates, as an X-macro list
// X(R, MB, NT, KU, PF, KB, SPLIT) (DEC is always 0 on NEON). Together they take every value each
// knob has in the neondot search space, and include both defaults; tests/aarch64/
// neondot_space_test.cpp checks that against codegen's enumeration, so a knob value added to the
// space without a config here fails on x86 too, where the cross toolchain may be missing.
#ifndef TRINE_TESTS_AARCH64_NEONDOT_CONFIGS_H
#define TRINE_TESTS_AARCH64_NEONDOT_CONFIGS_H

#define TRINE_NEONDOT_CONFIGS(X)                                           \
  /* decode space: r 1/2/4, mb 1/2/3/4 (3 with s 2), ku 1/2, pf 0/512/2048, \
     s 0/1/2 */                                                           \
  X(4, 2, 1, 2, 0, 0, 0) /* mad_default(neondot, gemv) */                 \
  X(1, 1, 1, 1, 0, 0, 0)                                                   \
  X(1, 4, 1, 2, 512, 0, 2)                                                 \
  X(1, 2, 1, 1, 2048, 0, 1)                                                \
  X(2, 1, 1, 2, 2048, 0, 1)                                                \
  X(2, 4, 1, 1, 0, 0, 0)                                                   \
  X(2, 2, 1, 2, 512, 0, 2)                                                 \
  X(4, 1, 1, 1, 512, 0, 2)                                                 \
  X(4, 4, 1, 2, 2048, 0, 1)                                                \
  X(4, 2, 1, 1, 2048, 0, 2)                                                \
  X(2, 3, 1, 2, 2048, 0, 2)                                                \
  /* prefill space: r 1/2/4, mb 1/2/4, nt 4/8/12, kb 0/1024 */            \
  X(4, 2, 4, 1, 0, 0, 0) /* mad_default(neondot, gemm) */                 \
  X(1, 1, 4, 1, 0, 0, 0)                                                   \
  X(1, 2, 12, 1, 0, 1024, 0)                                               \
  X(1, 4, 4, 1, 0, 1024, 0)                                                \
  X(2, 1, 8, 1, 0, 0, 0)                                                   \
  X(2, 4, 4, 1, 0, 1024, 0)                                                \
  X(2, 2, 12, 1, 0, 0, 0)                                                  \
  X(4, 2, 8, 1, 0, 1024, 0)                                                \
  X(4, 1, 12, 1, 0, 1024, 0)                                               \
  X(4, 4, 4, 1, 0, 0, 0)                                                   \
  /* legal outside the space (a config imported from elsewhere): odd unrolls, K blocks that are \
     no multiple of a chunk, token tiles with far streams, the widest MB and NT */ \
  X(4, 1, 6, 3, 256, 512, 1)                                               \
  X(1, 8, 1, 15, 0, 0, 2)                                                  \
  X(2, 1, 16, 1, 0, 100, 2)                                                \
  X(4, 3, 5, 4, 64, 48, 2)

#endif
