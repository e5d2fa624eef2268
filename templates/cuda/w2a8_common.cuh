// What every trine CUDA kernel shares: the argument block, the 2-bit weight layout and its
// decode. Plain C++ apart from the CUDA qualifiers, so the host packer and the tests compile the
// same layout code the GPU runs. NVRTC has no standard headers: builtin types only.
#ifndef TRINE_CUDA_W2A8_COMMON_CUH
#define TRINE_CUDA_W2A8_COMMON_CUH

#ifdef __CUDACC__
#define TRINE_HD __host__ __device__ __forceinline__
#else
#define TRINE_HD inline
#endif

// y[n][m] = (float)(sum_k W[m][k] q[n][k]) * scale[n], as the CPU contract (runtime/kernel_abi.h),
// with every pointer in device memory. Passed by value to every kernel.
struct trine_cuda_args {
  const unsigned char* w;  // packed weights, layout below
  const signed char* q;    // [N][q_stride] int8, zero padded from K to q_stride
  const int* qsum;         // [N] sum_k q[n][k]
  const float* scale;      // [N]
  float* y;                // [N][y_stride]
  long long q_stride, y_stride;
  int M, K, N;
};

namespace trine_cuda {

// Weights are rows of 2-bit codes w+1 in {0, 1, 2}, K padded with code 0 to a multiple of kPadK.
// Word j of a row (32 bits, little endian) holds k in [16j, 16j + 16): bits 2p..2p+1 of byte b hold
// k = 16j + 4p + b. So (word >> 2p) & 0x03030303 is four int8 codes lined up with the int32 word p
// of the activations: one dp4a, or one mma.sync register, per shift and mask.
constexpr int kPadK = 256;  // == TRINE_ACT_ALIGN_K: any vector width divides a row

TRINE_HD int padded_k(int K) { return (K + kPadK - 1) / kPadK * kPadK; }
TRINE_HD int row_words(int K) { return padded_k(K) / 16; }
TRINE_HD unsigned plane(unsigned word, int p) { return (word >> (2 * p)) & 0x03030303u; }

// Where the code of weight (m, k) lives: byte offset into the packed buffer, and its bit shift.
TRINE_HD long long code_byte(int K, int m, int k) {
  return (long long)m * row_words(K) * 4 + (k / 16) * 4 + (k % 4);
}
TRINE_HD int code_shift(int k) { return 2 * ((k % 16) / 4); }

}  // namespace trine_cuda

#endif
