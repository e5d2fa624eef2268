// EngineProfile's per-projection matmul accounting and the rates taken between two profiles.
#include <gtest/gtest.h>

#include "runtime/engine.h"

namespace {

using trine::EngineProfile;
using trine::Projection;

TEST(ProfileRates, RatesCoverOnlyTheCallsBetweenTwoProfiles) {
  EngineProfile then;
  then.keep_call_times = true;
  then.add_matmul(Projection::k, 1.0, 100);  // before `then`: not counted
  EngineProfile now = then;
  now.add_matmul(Projection::k, 0.25, 400);
  now.add_matmul(Projection::k, 1.0, 400);  // one slow call moves the mean, not the median
  now.add_matmul(Projection::k, 0.25, 400);
  now.add_matmul(Projection::down, 0.5, 1000);
  EXPECT_EQ(now.matmul_s, 3.0);
  const std::vector<trine::ProjectionRate> r = trine::projection_rates(now, then);
  ASSERT_EQ(r.size(), 2u);  // q, v, o, gate and up made no call
  EXPECT_STREQ(r[0].name, "k");
  EXPECT_EQ(r[0].calls, 3);
  EXPECT_EQ(r[0].s_per_call, 0.5);
  EXPECT_EQ(r[0].median_s_per_call, 0.25);
  EXPECT_EQ(r[0].bytes_per_call, 400);
  EXPECT_EQ(r[0].gbps, 1200 / 1.5 / 1e9);
  EXPECT_STREQ(r[1].name, "down");
  EXPECT_EQ(r[1].calls, 1);
  EXPECT_EQ(r[1].median_s_per_call, 0.5);
  EXPECT_EQ(r[1].gbps, 1000 / 0.5 / 1e9);
}

TEST(ProfileRates, SummedStretchesKeepEveryCallForTheMedian) {
  EngineProfile sum, a, b;
  a.keep_call_times = b.keep_call_times = true;
  a.add_matmul(Projection::q, 0.125, 64);
  const EngineProfile a0 = a;
  a.add_matmul(Projection::q, 0.5, 64);
  sum.proj[0] += a.proj[0] - a0.proj[0];  // one stretch: the 0.5 call only
  b.add_matmul(Projection::q, 0.25, 64);
  b.add_matmul(Projection::q, 0.25, 64);
  sum.proj[0] += b.proj[0] - EngineProfile{}.proj[0];
  const std::vector<trine::ProjectionRate> r = trine::projection_rates(sum, EngineProfile{});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].calls, 3);
  EXPECT_EQ(r[0].s_per_call, 1.0 / 3);
  EXPECT_EQ(r[0].median_s_per_call, 0.25);
}

TEST(ProfileRates, CallTimesAreKeptOnlyWhenAsked) {
  EngineProfile p;  // as a chat session's engine: its profile must not grow with every token
  p.add_matmul(Projection::v, 0.5, 64);
  p.add_matmul(Projection::v, 0.25, 64);
  EXPECT_TRUE(p.proj[static_cast<int>(Projection::v)].call_s.empty());
  const std::vector<trine::ProjectionRate> r = trine::projection_rates(p, EngineProfile{});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].s_per_call, 0.375);
  EXPECT_EQ(r[0].median_s_per_call, 0);  // not kept, not made up
}

TEST(ProfileRates, UntimedCallsGiveNoRate) {
  EngineProfile p;
  p.add_matmul(Projection::q, 0.0, 4096);  // a GPU engine not asked to profile records no time
  EXPECT_TRUE(trine::projection_rates(p, EngineProfile{}).empty());
  EXPECT_EQ(p.proj[static_cast<int>(Projection::q)].calls, 1);
}

}  // namespace
