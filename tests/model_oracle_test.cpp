// Model loading against the reference checkpoints that Hugging Face transformers wrote and ran
// (../shared/bitnet_oracle): each layer-0 BitLinear reproduces transformers' output, and master
// weights ternarise to exactly the packed codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "model/bitlinear_weights.h"
#include "model/hf_loader.h"
#include "runtime/model_weights.h"
#include "runtime/error.h"

namespace {

namespace fs = std::filesystem;
using namespace trine;
using namespace trine::model;

const std::string kOracle = std::string(TRINE_SOURCE_DIR) + "/../shared/bitnet_oracle";

#define SKIP_WITHOUT_ORACLE() \
  if (!fs::exists(kOracle)) GTEST_SKIP() << "reference outputs not found at " << kOracle

const char* kProjections[][2] = {{"q", "self_attn.q_proj"}, {"k", "self_attn.k_proj"},   {"v", "self_attn.v_proj"},
                                 {"o", "self_attn.o_proj"}, {"gate", "mlp.gate_proj"},    {"up", "mlp.up_proj"},
                                 {"down", "mlp.down_proj"}};

void expect_layer0_matches(const std::string& model) {
  const std::string dir = kOracle + "/" + model + "/packed";
  const HfConfig cfg = load_hf_config(dir);
  ASSERT_EQ(cfg.linear_class, LinearClass::autobitlinear);
  const Checkpoint ckpt(dir);
  const Checkpoint oracle(kOracle + "/" + model + "/oracle.safetensors");
  for (const auto& [short_name, path] : kProjections) {
    const TernaryMatrix W = load_projection(ckpt, cfg, std::string("model.layers.0.") + path);
    const TensorView& in = oracle.get(fmt::format("l0_{}_proj_in", short_name));
    const TensorView& out = oracle.get(fmt::format("l0_{}_proj_out", short_name));
    const int T = static_cast<int>(in.shape[0]);
    ASSERT_EQ(in.shape[1], W.K) << short_name;
    ASSERT_EQ(out.shape[1], W.M) << short_name;
    const std::vector<float> x = to_f32(in), want = to_f32(out);
    QuantizedActs a;
    quantize_acts(x.data(), T, W.K, W.K, a);
    std::vector<float> y(want.size());
    reference_gemm(W, a, y.data(), W.M);
    double num = 0, den = 0, worst = 0, amax = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      num += (y[i] - want[i]) * (y[i] - want[i]);
      den += want[i] * want[i];
      worst = std::max(worst, static_cast<double>(std::fabs(y[i] - want[i])));
      amax = std::max(amax, static_cast<double>(std::fabs(want[i])));
    }
    // transformers computes (q / s) * W in float, then * weight_scale: a few ulps from ours.
    EXPECT_LT(std::sqrt(num / den), 1e-6) << model << " " << short_name;
    EXPECT_LT(worst / amax, 1e-5) << model << " " << short_name;
  }
}

TEST(ModelOracle, Layer0BitLinearsMatchTransformersSmall) {
  SKIP_WITHOUT_ORACLE();
  expect_layer0_matches("small");
}

TEST(ModelOracle, Layer0BitLinearsMatchTransformersReal1Sharded) {
  SKIP_WITHOUT_ORACLE();
  expect_layer0_matches("real1");
}

TEST(ModelOracle, MasterWeightsTernariseToThePackedCodes) {
  SKIP_WITHOUT_ORACLE();
  const HfConfig pc = load_hf_config(kOracle + "/small/packed"), mc = load_hf_config(kOracle + "/small/master");
  ASSERT_EQ(mc.quant_mode, QuantMode::online);
  const Checkpoint packed(kOracle + "/small/packed"), master(kOracle + "/small/master");
  for (int layer = 0; layer < pc.model.num_hidden_layers; ++layer) {
    for (const auto& [short_name, path] : kProjections) {
      const std::string prefix = fmt::format("model.layers.{}.{}", layer, path);
      const TernaryMatrix a = load_projection(packed, pc, prefix), b = load_projection(master, mc, prefix);
      ASSERT_EQ(a.M, b.M);
      ASSERT_EQ(a.K, b.K);
      EXPECT_TRUE(a.w == b.w) << prefix;
      // The packed scale is the master's rounded to bf16 (8 significant bits).
      EXPECT_NEAR(a.wscale / b.wscale, 1.0, 1.0 / 256) << prefix;
    }
  }
}

class SafetensorsBadInput : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = fs::temp_directory_path() / fmt::format("trine_st_{}", getpid()); fs::create_directories(dir_); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& header, const std::string& data) {
    const std::string p = (dir_ / name).string();
    std::ofstream f(p, std::ios::binary);
    const uint64_t n = header.size();
    f.write(reinterpret_cast<const char*>(&n), 8);
    f << header << data;
    return p;
  }
  static void expect_error(const std::function<void()>& fn, const std::string& needle) {
    try {
      fn();
      ADD_FAILURE() << "no error; expected one mentioning " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  }
  fs::path dir_;
};

TEST_F(SafetensorsBadInput, ErrorsNameTheFileAndTensor) {
  const std::string trunc = write("trunc.safetensors", R"({"w":{"dtype":"U8","shape":[4,4],"data_offsets":[0,16]}})", "12345678");
  expect_error([&] { SafetensorsFile f(trunc); }, "tensor w: data [0, 16) lies outside the 8 data bytes");
  const std::string badlen = (dir_ / "len.safetensors").string();
  { std::ofstream f(badlen, std::ios::binary); const uint64_t n = 1u << 30; f.write(reinterpret_cast<const char*>(&n), 8); f << "{}"; }
  expect_error([&] { SafetensorsFile f(badlen); }, "runs past the end of the file");
  const std::string shape = write("shape.safetensors", R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "12345678");
  expect_error([&] { SafetensorsFile f(shape); }, "8 bytes of data for shape [3] of F32");
  const std::string junk = write("junk.safetensors", "{not json", "");
  expect_error([&] { SafetensorsFile f(junk); }, "malformed safetensors header");
  expect_error([&] { SafetensorsFile f((dir_ / "missing.safetensors").string()); }, "missing.safetensors: cannot open");
}

TEST_F(SafetensorsBadInput, CorruptTernaryCodeIsRejected) {
  std::string data(8, '\x55');  // code 1 everywhere: w = 0
  data[5] = '\xC5';             // top code 0b11
  data += std::string("\x80\x3f", 2);  // bf16 1.0
  const std::string p = write("codes.safetensors",
                              R"({"p.weight":{"dtype":"U8","shape":[2,4],"data_offsets":[0,8]},)"
                              R"("p.weight_scale":{"dtype":"BF16","shape":[1],"data_offsets":[8,10]}})",
                              data);
  const Checkpoint c(p);
  expect_error([&] { unpack_packed(c.get("p.weight"), c.get("p.weight_scale"), LinearClass::autobitlinear); },
               "corrupt code 0b11 at packed[1][1]");
  expect_error([&] { c.get("q.weight"); }, "tensor q.weight not found");
}

}  // namespace

namespace {

// The reference forward pass on whole checkpoints: rel RMS of the logits and top-1 agreement per
// position, as the oracle's README prescribes.
void expect_logits_match(const std::string& dir, const std::string& oracle_file, const std::string& tensor,
                         double max_rel_rms) {
  const trine::ModelWeights m = trine::model::load_hf_model(dir);
  const trine::model::Checkpoint oracle(oracle_file);
  const auto& ids_t = oracle.get("input_ids");
  std::vector<int> ids(static_cast<size_t>(ids_t.numel()));
  for (size_t i = 0; i < ids.size(); ++i) {
    int64_t v;
    std::memcpy(&v, ids_t.data + 8 * i, 8);
    ids[i] = static_cast<int>(v);
  }
  const std::vector<float> got = trine::reference_forward(m, ids), want = trine::model::to_f32(oracle.get(tensor));
  ASSERT_EQ(got.size(), want.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    num += (got[i] - want[i]) * (got[i] - want[i]);
    den += want[i] * want[i];
  }
  int agree = 0;
  const int V = m.dims.vocab;
  for (size_t t = 0; t < ids.size(); ++t) {
    auto a = std::max_element(got.begin() + t * V, got.begin() + (t + 1) * V) - (got.begin() + t * V);
    auto b = std::max_element(want.begin() + t * V, want.begin() + (t + 1) * V) - (want.begin() + t * V);
    agree += a == b;
  }
  const double rel = std::sqrt(num / den);
  std::printf("%s %s: rel RMS %.3g, top-1 agreement %d/%zu\n", dir.c_str(), tensor.c_str(), rel, agree, ids.size());
  EXPECT_LT(rel, max_rel_rms);
  EXPECT_GE(agree, static_cast<int>(0.9 * static_cast<double>(ids.size())));
}

TEST(ModelOracle, ReferenceForwardLogitsSmallPacked) {
  SKIP_WITHOUT_ORACLE();
  expect_logits_match(kOracle + "/small/packed", kOracle + "/small/oracle.safetensors", "logits", 1e-4);
}

TEST(ModelOracle, ReferenceForwardLogitsSmallMaster) {
  SKIP_WITHOUT_ORACLE();
  expect_logits_match(kOracle + "/small/master", kOracle + "/small/oracle.safetensors", "logits_master", 1e-4);
}

TEST(ModelOracle, ReferenceForwardLogitsReal1) {
  SKIP_WITHOUT_ORACLE();
  expect_logits_match(kOracle + "/real1/packed", kOracle + "/real1/oracle.safetensors", "logits", 5e-2);
}

}  // namespace
