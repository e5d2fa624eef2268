// The machine's own ceilings, measured with the best code this host runs: DRAM read bandwidth
// (wide loads from every thread over a buffer far larger than the last-level cache) and the int8
// multiply-add peak (independent vpdpbusd chains, or pmaddubsw where VNNI is absent).
#pragma once
#include <cstddef>

#include "runtime/aligned_buffer.h"
#include "runtime/host.h"
#include "runtime/isa.h"
#include "runtime/kernel_abi.h"
#include "runtime/thread_pool.h"

namespace trine::bench {

class ReadProbe {
 public:
  // bytes: the buffer streamed; several times the LLC so no pass is served from cache.
  ReadProbe(ThreadPool& pool, std::size_t bytes);
  double gbps();  // the best of one-, two- and four-stream passes per thread, all threads

 private:
  double pass(int streams);
  ThreadPool& pool_;
  AlignedBuffer<uint8_t> buf_;
};

// GMAC/s of one burst of multiply-adds on every thread with the ISA's widest int8 instruction.
double int8_peak_gmacs(ThreadPool& pool, Isa isa);

std::size_t read_probe_bytes(const HostInfo& host);

// A size-matched reference for a decode GEMV: a plain read of the K bytes at args->w, split among
// the threads as a kernel splits its rows, with the kernel ABI so the same protocol times it
// (cold copies, interleaved with the kernels). A long stream hides what a call of a few hundred
// KB cannot: waking the workers, the first misses before prefetching runs ahead, the page walks
// of a matrix the previous call did not touch. The function reads read_call_bytes(K) bytes in
// all, as `streams` (1 to 4) far-apart streams per thread.
trine_gemm_fn read_call_fn(int streams);
std::size_t read_call_bytes(std::size_t bytes);

}  // namespace trine::bench
