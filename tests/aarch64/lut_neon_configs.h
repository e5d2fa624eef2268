// The NEON LUT configs the aarch64 contract test instantiates, as an X-macro list
// X(G, R, MB, KG, TS, TR, NT, PF, SPLIT). Together they take every value each knob has in the neondot
// LUT search space, and include both defaults; tests/aarch64/neondot_space_test.cpp checks that
// against codegen's enumeration on x86, where the cross toolchain may be missing.
#ifndef TRINE_TESTS_AARCH64_LUT_NEON_CONFIGS_H
#define TRINE_TESTS_AARCH64_LUT_NEON_CONFIGS_H

#define TRINE_LUT_NEON_CONFIGS(X)                                                   \
  /* decode space: r 16/32, mb 1/2/3/4 (3 with s 2), kg 32/64/84, ts 0/336, pf 0/512/2048, \
     s 0/1/2 */                                                                        \
  X(3, 32, 2, 84, 0, 0, 1, 512, 2) /* lut_default(neondot, gemv) */                    \
  X(3, 16, 1, 84, 0, 0, 1, 0, 0)                                                       \
  X(3, 16, 4, 84, 0, 0, 1, 2048, 1)                                                    \
  X(3, 32, 4, 84, 0, 0, 1, 0, 1)                                                       \
  X(3, 16, 2, 84, 0, 0, 1, 512, 2)                                                     \
  X(3, 32, 1, 32, 0, 0, 1, 0, 0)                                                       \
  X(3, 16, 1, 64, 0, 0, 1, 0, 0)                                                       \
  X(3, 32, 1, 84, 336, 0, 1, 0, 0)                                                     \
  X(3, 32, 3, 84, 0, 0, 1, 2048, 2)                                                    \
  /* prefill space: r 16/32, mb 1/2, nt 2/4/8, ts 0/252, tr 0/4 */                  \
  X(3, 32, 1, 84, 0, 0, 4, 0, 0) /* lut_default(neondot, gemm) */                      \
  X(3, 16, 2, 84, 252, 4, 4, 0, 0)                                                     \
  X(3, 16, 1, 84, 0, 4, 8, 0, 0)                                                       \
  X(3, 32, 2, 84, 252, 0, 2, 0, 0)                                                     \
  /* pairs of weights (g 2, kg 124), decode and prefill */                         \
  X(2, 16, 2, 124, 0, 0, 1, 512, 2)                                                  \
  X(2, 32, 4, 124, 0, 0, 1, 512, 0)                                                  \
  X(2, 32, 1, 124, 0, 0, 4, 0, 0)                                                    \
  X(2, 16, 2, 124, 0, 0, 2, 0, 0)                                                    \
  /* legal outside the space (a config imported from elsewhere): the shallowest K tiles, odd  \
     segments, token and row tiles, a table rebuilt for every row group */           \
  X(3, 16, 3, 12, 36, 1, 3, 64, 2)                                                     \
  X(3, 32, 1, 4, 8, 2, 5, 0, 1)                                                     \
  X(2, 16, 3, 20, 40, 1, 3, 64, 1)

#endif
