// `bench kernels` warns when its plain per-call reads fall far below the DRAM probe of the same
// run: the run's decode timings then say more about the process's memory than about the kernels.
#include "bench/kernel_bench.h"

#include <gtest/gtest.h>

namespace trine::bench {
namespace {

BenchReport with_call_reads(std::vector<CallReadRow> reads) {
  BenchReport rep;
  rep.call_reads = std::move(reads);
  return rep;
}

TEST(SlowReadWarnings, NoneWhileEveryCallReadKeepsUp) {
  EXPECT_TRUE(slow_read_warnings(with_call_reads({{409600, 30.4, 0.81}, {1638400, 35.2, 0.94}})).empty());
  EXPECT_TRUE(slow_read_warnings(with_call_reads({})).empty());
}

TEST(SlowReadWarnings, TheThresholdItselfStillPasses) {
  EXPECT_TRUE(slow_read_warnings(with_call_reads({{409600, 19.0, 0.5}}), 0.5).empty());
  EXPECT_EQ(slow_read_warnings(with_call_reads({{409600, 18.9, 0.499}}), 0.5).size(), 1u);
}

TEST(SlowReadWarnings, NamesTheSlowestRead) {
  const auto w = slow_read_warnings(with_call_reads({{1638400, 23.9, 0.62}, {409600, 5.1, 0.13}, {348160, 5.5, 0.14}}));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("a plain read of 400 KiB per call ran at 5.1 GB/s, 13% of the DRAM read probe"), std::string::npos)
      << w[0];
  EXPECT_NE(w[0].find("(under 50%)"), std::string::npos) << w[0];
}

TEST(SlowReadWarnings, ReachTheJson) {
  BenchReport rep = with_call_reads({{409600, 5.1, 0.13}});
  rep.warnings = slow_read_warnings(rep);
  const nlohmann::json j = rep.to_json();
  ASSERT_EQ(j["warnings"].size(), 1u);
  EXPECT_EQ(j["warnings"][0], rep.warnings[0]);
  EXPECT_TRUE(with_call_reads({}).to_json()["warnings"].empty());
}

}  // namespace
}  // namespace trine::bench
