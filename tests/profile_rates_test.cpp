// EngineProfile's per-projection matmul accounting and the rates taken between two profiles.
#include <gtest/gtest.h>

#include "runtime/engine.h"

namespace {

using trine::EngineProfile;
using trine::Projection;

TEST(ProfileRates, RatesCoverOnlyTheCallsBetweenTwoProfiles) {
  EngineProfile then;
  then.add_matmul(Projection::k, 1.0, 100);  // before `then`: not counted
  EngineProfile now = then;
  now.add_matmul(Projection::k, 0.25, 400);
  now.add_matmul(Projection::k, 0.75, 400);
  now.add_matmul(Projection::down, 0.5, 1000);
  EXPECT_EQ(now.matmul_s, 2.5);
  const std::vector<trine::ProjectionRate> r = trine::projection_rates(now, then);
  ASSERT_EQ(r.size(), 2u);  // q, v, o, gate and up made no call
  EXPECT_STREQ(r[0].name, "k");
  EXPECT_EQ(r[0].calls, 2);
  EXPECT_EQ(r[0].s_per_call, 0.5);
  EXPECT_EQ(r[0].bytes_per_call, 400);
  EXPECT_EQ(r[0].gbps, 800 / 1.0 / 1e9);
  EXPECT_STREQ(r[1].name, "down");
  EXPECT_EQ(r[1].calls, 1);
  EXPECT_EQ(r[1].gbps, 1000 / 0.5 / 1e9);
}

TEST(ProfileRates, UntimedCallsGiveNoRate) {
  EngineProfile p;
  p.add_matmul(Projection::q, 0.0, 4096);  // a GPU engine not asked to profile records no time
  EXPECT_TRUE(trine::projection_rates(p, EngineProfile{}).empty());
  EXPECT_EQ(p.proj[static_cast<int>(Projection::q)].calls, 1);
}

}  // namespace
