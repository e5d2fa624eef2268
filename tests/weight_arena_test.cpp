// WeightArena: packed matrices moved into shared huge-page blocks must read back byte for byte,
// each on its own page, with blocks shared as far as they fit.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "runtime/packed_weights.h"

namespace {

using trine::PackedWeights;
using trine::WeightArena;

constexpr std::size_t kMiB = std::size_t{1} << 20;

PackedWeights filled(std::size_t bytes, uint8_t seed) {
  PackedWeights w;
  w.M = 3;
  w.K = 5;
  w.wscale = 0.25f;
  w.bytes.resize(bytes);
  for (std::size_t i = 0; i < bytes; ++i) w.bytes[i] = static_cast<uint8_t>(seed + i * 131);
  return w;
}

std::vector<uint8_t> contents(const PackedWeights& w) { return {w.data(), w.data() + w.size_bytes()}; }

TEST(WeightArena, AdoptedMatricesReadBackUnchangedOnTheirOwnPages) {
  WeightArena arena;
  std::vector<PackedWeights> ws;
  for (std::size_t i = 0; i < 40; ++i) ws.push_back(filled(300 * 1024 + 17 * i, static_cast<uint8_t>(i)));
  std::vector<std::vector<uint8_t>> before;
  for (const PackedWeights& w : ws) before.push_back(contents(w));
  for (PackedWeights& w : ws) arena.adopt(w);
  for (std::size_t i = 0; i < ws.size(); ++i) {
    EXPECT_TRUE(ws[i].bytes.empty()) << "matrix " << i << " kept its own buffer";
    EXPECT_EQ(ws[i].size_bytes(), before[i].size());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(ws[i].data()) % 4096, 0u) << "matrix " << i;
    EXPECT_EQ(contents(ws[i]), before[i]) << "matrix " << i;
    EXPECT_EQ(ws[i].M, 3);
    EXPECT_EQ(ws[i].wscale, 0.25f);
  }
  // 40 matrices of 304 KiB after page rounding = 11.9 MiB: one 32 MiB block.
  EXPECT_EQ(arena.blocks(), 1u);
}

TEST(WeightArena, BlocksFillInOrderAndALargeMatrixGetsItsOwn) {
  WeightArena arena;
  PackedWeights a = filled(20 * kMiB, 1), b = filled(20 * kMiB, 2), c = filled(40 * kMiB + 1, 3), d = filled(5 * kMiB, 4);
  const std::vector<uint8_t> cc = contents(c), dd = contents(d);
  arena.adopt(a);
  arena.adopt(b);  // 20 + 20 MiB exceed one 32 MiB block
  EXPECT_EQ(arena.blocks(), 2u);
  arena.adopt(c);  // larger than a block: a block of its own size
  EXPECT_EQ(arena.blocks(), 3u);
  EXPECT_EQ(contents(c), cc);
  arena.adopt(d);  // the 40 MiB block is full; a fresh block
  EXPECT_EQ(arena.blocks(), 4u);
  EXPECT_EQ(contents(d), dd);
  EXPECT_EQ(contents(c), cc) << "adopting d overwrote c";
}

TEST(WeightArena, EmptyAndAlreadyAdoptedMatricesAreLeftAlone) {
  WeightArena arena;
  PackedWeights empty;
  arena.adopt(empty);
  EXPECT_EQ(arena.blocks(), 0u);
  EXPECT_EQ(empty.size_bytes(), 0u);
  PackedWeights w = filled(4096, 9);
  arena.adopt(w);
  const uint8_t* at = w.data();
  arena.adopt(w);
  EXPECT_EQ(w.data(), at);
  EXPECT_EQ(w.size_bytes(), 4096u);
  EXPECT_EQ(arena.blocks(), 1u);
}

}  // namespace
