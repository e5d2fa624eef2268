// Sampling rules on hand-made logits: exact picks where the rule leaves one candidate.
#include <gtest/gtest.h>

#include "runtime/error.h"
#include "runtime/sampler.h"

namespace {

using trine::Sampler;
using trine::SamplingOptions;

TEST(Sampler, GreedyTakesTheArgmax) {
  Sampler s(SamplingOptions{});
  std::vector<float> l{0.1f, 3.0f, -1.0f, 2.9f};
  EXPECT_EQ(s.sample(l, {}), 1);
}

TEST(Sampler, RepeatPenaltyDemotesRecentTokens) {
  SamplingOptions o;
  o.repeat_penalty = 2.0f;
  Sampler s(o);
  std::vector<float> l{0.1f, 3.0f, -1.0f, 2.9f};
  EXPECT_EQ(s.sample(l, {1}), 3);  // 3.0 / 2 = 1.5 < 2.9
  EXPECT_EQ(l[1], 1.5f);
}

TEST(Sampler, TopKOfOneIsGreedyAtAnyTemperature) {
  SamplingOptions o;
  o.temperature = 5.0f;
  o.top_k = 1;
  Sampler s(o);
  for (int i = 0; i < 50; ++i) {
    std::vector<float> l{0.1f, 3.0f, -1.0f, 2.9f};
    EXPECT_EQ(s.sample(l, {}), 1);
  }
}

TEST(Sampler, MinPAndTopPCutTheTail) {
  SamplingOptions o;
  o.temperature = 1.0f;
  o.min_p = 0.5f;  // token 3 has p ratio exp(-0.1) ~ 0.9 of token 1; others far below
  o.seed = 3;
  Sampler s(o);
  int seen[4] = {0, 0, 0, 0};
  for (int i = 0; i < 400; ++i) {
    std::vector<float> l{0.1f, 3.0f, -1.0f, 2.9f};
    ++seen[s.sample(l, {})];
  }
  EXPECT_EQ(seen[0] + seen[2], 0);
  EXPECT_GT(seen[1], 0);
  EXPECT_GT(seen[3], 0);
  o.min_p = 0;
  o.top_p = 0.1f;  // only the single most likely token fits
  Sampler t(o);
  for (int i = 0; i < 50; ++i) {
    std::vector<float> l{0.1f, 3.0f, -1.0f, 2.9f};
    EXPECT_EQ(t.sample(l, {}), 1);
  }
}

TEST(Sampler, SameSeedSameChoices) {
  SamplingOptions o;
  o.temperature = 1.5f;
  o.seed = 42;
  Sampler a(o), b(o);
  for (int i = 0; i < 100; ++i) {
    std::vector<float> l1{0.1f, 0.3f, 0.2f, 0.25f}, l2 = l1;
    EXPECT_EQ(a.sample(l1, {}), b.sample(l2, {}));
  }
}

TEST(Sampler, BadOptionsNameTheOption) {
  SamplingOptions o;
  o.top_p = 0;
  EXPECT_THROW({ Sampler s(o); }, trine::Error);
  o.top_p = 1;
  o.temperature = -1;
  try {
    Sampler s(o);
    FAIL();
  } catch (const trine::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--temp"), std::string::npos);
  }
}

}  // namespace
