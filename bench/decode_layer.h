// One decoder layer's GEMVs timed back to back in the order a forward pass calls them (q, k, v,
// o, gate, up, down), over copies of the layer whose matrices sit back to back as in the engine's
// weight arena. Timed alone, a GEMV follows whatever the shuffle put before it; in a decode step
// k follows q. On the development VM a plain 400 KiB read right after a 1.6 MiB one ran at
// 36.6 GB/s, right after another 400 KiB read at 33.9 GB/s (same process, 4000 pairs): a small
// matrix's time depends on what streamed before it, and the layer order is the one that counts.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "bench/kernel_bench.h"

namespace trine::bench {

class DecodeLayer {
 public:
  // Null unless every projection has a decode item (a label naming it, N = 1); each projection
  // takes the item marked in_layer for its shape, else the shape's first.
  static std::unique_ptr<DecodeLayer> build(const std::vector<BenchItem>& items, std::size_t cold_bytes, int threads);

  void time(ThreadPool& pool, int passes);  // each pass: the next layer copy, every projection once
  void end_round(double probe_gbps);        // rates of the passes since the last end_round
  void clear();                             // drops the samples so far (warm-up)
  std::vector<LayerRow> rows() const;
  LayerTotal total() const;

 private:
  struct Step {
    std::string proj;
    const BenchItem* item = nullptr;
    std::size_t offset = 0;  // in a layer copy
    TimedKernel timed;
    GemmWorkspace ws;
    std::vector<float> y;
    std::vector<double> frac_bw;
  };
  std::vector<std::unique_ptr<Step>> steps_;
  std::unique_ptr<ColdCopies> copies_;
  std::vector<double> pass_s_, total_frac_bw_;
  std::size_t round_from_ = 0;  // first pass of the current round
  double bytes_ = 0;
};

}  // namespace trine::bench
