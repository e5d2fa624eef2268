// The decode layer of `bench kernels`: every projection once per pass, in the model's order, each
// kernel reading its own matrix inside the layer copy.
#include "bench/decode_layer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <deque>

namespace trine::bench {
namespace {

// Unpacked int8 weights, one byte each; tid 0 computes every row and records the call.
struct Call {
  int M, K;
  std::vector<float> y;
};
std::vector<Call> g_calls;

void plain_kernel(const trine_gemm_args* a, int32_t tid, int32_t) {
  if (tid != 0) return;
  const auto* w = reinterpret_cast<const int8_t*>(a->w);
  for (int m = 0; m < a->M; ++m) {
    int32_t sum = 0;
    for (int k = 0; k < a->K; ++k) sum += w[static_cast<std::size_t>(m) * a->K + k] * a->q[k];
    a->y[m] = static_cast<float>(sum) * a->scale[0];
  }
  g_calls.push_back({a->M, a->K, std::vector<float>(a->y, a->y + a->M)});
}

struct Fixture {
  std::deque<Problem> data;
  std::vector<BenchItem> items;
  void add(const std::string& label, int M, int K, const std::string& family, bool in_layer) {
    const Problem& p = data.emplace_back(make_problem(ProblemKind::random, M, K, 1, data.size() + 1));
    BenchItem it;
    it.label = label;
    it.M = M;
    it.K = K;
    it.family = family;
    it.in_layer = in_layer;
    it.fn = plain_kernel;
    it.packed.M = M;
    it.packed.K = K;
    it.packed.wscale = p.W.wscale;
    it.packed.bytes.resize(p.W.w.size());
    std::memcpy(it.packed.bytes.data(), p.W.w.data(), p.W.w.size());
    it.data = &p;
    items.push_back(std::move(it));
  }
};

// Shapes that tell the projections apart by (M, K) except q/o, k/v and gate/up, which share them.
Fixture layer_items() {
  Fixture f;
  f.add("q,o", 64, 128, "other", false);
  f.add("q,o", 64, 128, "chosen", true);
  f.add("k,v", 32, 128, "first", false);  // no winner: the shape's first item
  f.add("k,v", 32, 128, "second", false);
  f.add("gate,up", 96, 128, "chosen", true);
  f.add("down", 128, 96, "chosen", true);
  f.add("q,o", 64, 128, "prefill", true);
  f.items.back().N = 128;  // a prefill GEMM is no part of the decode layer
  return f;
}

TEST(DecodeLayer, RunsEveryProjectionInModelOrderOnItsOwnWeights) {
  Fixture f = layer_items();
  ThreadPool pool(2);
  auto layer = DecodeLayer::build(f.items, std::size_t{1} << 20, pool.size());
  ASSERT_TRUE(layer);
  g_calls.clear();
  layer->time(pool, 3);
  ASSERT_EQ(g_calls.size(), 21u);
  // Problems in f.data: 0 q,o other, 1 q,o chosen, 2 k,v first, 4 gate,up, 5 down.
  const std::size_t want[7] = {1, 2, 2, 1, 4, 4, 5};
  for (std::size_t i = 0; i < g_calls.size(); ++i) {
    const Problem& p = f.data[want[i % 7]];
    EXPECT_EQ(g_calls[i].M, p.W.M) << i;
    EXPECT_EQ(g_calls[i].K, p.W.K) << i;
    EXPECT_EQ(g_calls[i].y, p.y_ref) << "call " << i << " read another matrix's weights";
  }
  layer->end_round(10.0);
  const std::vector<LayerRow> rows = layer->rows();
  ASSERT_EQ(rows.size(), 7u);
  const char* projs[7] = {"q", "k", "v", "o", "gate", "up", "down"};
  const char* fams[7] = {"chosen", "first", "first", "chosen", "chosen", "chosen", "chosen"};
  double bytes = 0;
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(rows[i].proj, projs[i]);
    EXPECT_EQ(rows[i].family, fams[i]);
    EXPECT_EQ(rows[i].stats.n, 3);
    EXPECT_EQ(rows[i].weight_bytes, rows[i].M * rows[i].K);
    bytes += rows[i].weight_bytes;
  }
  const LayerTotal t = layer->total();
  EXPECT_EQ(t.weight_bytes, bytes);
  EXPECT_EQ(t.stats.n, 3);
  EXPECT_GT(t.frac_read_bw, 0);
}

TEST(DecodeLayer, NeedsEveryProjection) {
  Fixture f = layer_items();
  f.items.erase(f.items.begin() + 5);  // down
  ThreadPool pool(1);
  EXPECT_FALSE(DecodeLayer::build(f.items, std::size_t{1} << 20, pool.size()));
  Fixture unlabelled;
  unlabelled.add("", 64, 128, "mad", true);
  EXPECT_FALSE(DecodeLayer::build(unlabelled.items, std::size_t{1} << 20, pool.size()));
}

}  // namespace
}  // namespace trine::bench
