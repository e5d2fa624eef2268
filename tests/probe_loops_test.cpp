// The roofline's read loops must load every byte they claim to: a loop that skipped a stream or a
// tail would report a bandwidth nothing can reach.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "bench/probe_loops.h"
#include "bench/roofline.h"
#include "runtime/aligned_buffer.h"
#include "runtime/error.h"

namespace {

using trine::bench::read_pass;

// A zero buffer folds to zero; one set byte anywhere in the range read must change the fold.
TEST(ProbeLoops, EveryStreamReadsEveryLineOfItsPart) {
  constexpr std::size_t kBytes = 64 * 1024;
  trine::AlignedBuffer<uint8_t> buf(kBytes);
  for (int streams : {1, 2, 3, 4}) {
    std::fill(buf.data(), buf.data() + kBytes, uint8_t{0});
    std::size_t read = 0;
    EXPECT_EQ(read_pass(buf.data(), kBytes, streams, &read), 0u);
    EXPECT_EQ(read, kBytes) << streams << " streams";
    for (std::size_t at : {std::size_t{0}, kBytes / 4 - 1, kBytes / 4, kBytes / 2 + 64, kBytes * 3 / 4 + 1, kBytes - 1}) {
      buf.data()[at] = 0x5a;
      EXPECT_NE(read_pass(buf.data(), kBytes, streams, &read), 0u) << streams << " streams, byte " << at;
      buf.data()[at] = 0;
    }
  }
}

// 1000 bytes are 15 whole lines: four parts of 3 lines each and the 3 left over, three of 5.
TEST(ProbeLoops, EveryStreamCountReadsEveryWholeLine) {
  trine::AlignedBuffer<uint8_t> buf(4096);
  for (int streams : {1, 2, 3, 4}) {
    std::size_t read = 0;
    read_pass(buf.data(), 1000, streams, &read);
    EXPECT_EQ(read, 960u) << streams << " streams";
    buf.data()[959] = 1;
    EXPECT_NE(read_pass(buf.data(), 1000, streams, &read), 0u) << streams << " streams, the last whole line";
    buf.data()[959] = 0;
    buf.data()[960] = 1;
    EXPECT_EQ(read_pass(buf.data(), 1000, streams, &read), 0u) << streams << " streams, past the last whole line";
    buf.data()[960] = 0;
  }
}

TEST(ProbeLoops, CallReadsHaveOneToFourStreams) {
  for (int s : {1, 2, 3, 4}) EXPECT_NE(trine::bench::read_call_fn(s), nullptr);
  for (int s : {0, 5, 8}) EXPECT_THROW(trine::bench::read_call_fn(s), trine::Error) << s;
}

}  // namespace
