// GGUF: metadata of every type and I2_S survive a write/read round trip exactly; the reference
// checkpoint written as GGUF loads back to the same weights and the same logits bit for bit; and
// each kind of broken file is an Error naming the file and the key or tensor.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include <fmt/format.h>

#include "model/gguf.h"
#include "model/hf_loader.h"
#include "model/safetensors.h"
#include "runtime/error.h"
#include "runtime/model_weights.h"

namespace {

namespace fs = std::filesystem;
using namespace trine;
using namespace trine::model;

const std::string kOracle = std::string(TRINE_SOURCE_DIR) + "/../shared/bitnet_oracle";

// The message of the Error f throws; fails the test if it throws nothing.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a trine::Error";
  return "";
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "\"" << (haystack) << "\" lacks \"" << (needle) << "\""

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Position just past a tensor info's name (its length prefix makes the match unambiguous).
std::size_t after_tensor_name(const std::vector<uint8_t>& b, const std::string& name) {
  std::vector<uint8_t> needle(8);
  const uint64_t n = name.size();
  std::memcpy(needle.data(), &n, 8);
  needle.insert(needle.end(), name.begin(), name.end());
  const auto it = std::search(b.begin(), b.end(), needle.begin(), needle.end());
  EXPECT_NE(it, b.end()) << name;
  return static_cast<std::size_t>(it - b.begin()) + needle.size();
}

TernaryMatrix random_ternary(int M, int K, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  TernaryMatrix W;
  W.M = M;
  W.K = K;
  W.wscale = scale;
  W.w.resize(static_cast<std::size_t>(M) * K);
  for (int8_t& w : W.w) w = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  return W;
}

std::vector<float> random_floats(std::size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.5f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

GgufWriteOptions options(bool f32_embedding, int context_length = 4096, std::string name = "") {
  GgufWriteOptions o;
  o.f32_embedding = f32_embedding;
  o.context_length = context_length;
  o.name = std::move(name);
  return o;
}

// A tiny model with valid shapes, so the bad-input tests need no reference checkpoint.
ModelWeights tiny_model() {
  ModelWeights m;
  m.dims = ModelDims{16, 128, 256, 2, 2, 1, 64, 1e-5f, 500000.0f};
  const ModelDims& d = m.dims;
  m.embed = random_floats(static_cast<std::size_t>(d.vocab) * d.hidden, 1);
  m.final_norm = random_floats(d.hidden, 2);
  uint32_t seed = 3;
  for (int l = 0; l < d.layers; ++l) {
    LayerWeights L;
    L.q = random_ternary(128, 128, 0.5f, seed++);
    L.k = random_ternary(64, 128, 0.25f, seed++);
    L.v = random_ternary(64, 128, 0.75f, seed++);
    L.o = random_ternary(128, 128, 1.5f, seed++);
    L.gate = random_ternary(256, 128, 0.125f, seed++);
    L.up = random_ternary(256, 128, 2.0f, seed++);
    L.down = random_ternary(128, 256, 0.0625f, seed++);
    L.input_norm = random_floats(128, seed++);
    L.attn_sub_norm = random_floats(128, seed++);
    L.post_attn_norm = random_floats(128, seed++);
    L.ffn_sub_norm = random_floats(256, seed++);
    m.layers.push_back(std::move(L));
  }
  return m;
}

GgufTokenizerData tiny_tokenizer(int vocab) {
  GgufTokenizerData t;
  t.pre = "llama-bpe";
  for (int i = 0; i < vocab; ++i) t.tokens.push_back(i == 0 ? "<|begin_of_text|>" : fmt::format("Ġt{}", i));
  t.merges = {"Ġ t", "Ġt 1", "t 2"};
  t.token_type.assign(vocab, 1);
  t.token_type[0] = 3;
  t.bos_id = 0;
  t.eos_id = 1;
  t.eot_id = 2;
  t.add_bos = true;
  return t;
}

void expect_same_ternary(const TernaryMatrix& a, const TernaryMatrix& b, const std::string& what) {
  EXPECT_EQ(a.M, b.M) << what;
  EXPECT_EQ(a.K, b.K) << what;
  EXPECT_EQ(a.w, b.w) << what;
  EXPECT_EQ(a.wscale, b.wscale) << what;
}

void expect_same_model(const ModelWeights& a, const ModelWeights& b) {
  const ModelDims &x = a.dims, &y = b.dims;
  EXPECT_EQ(x.vocab, y.vocab);
  EXPECT_EQ(x.hidden, y.hidden);
  EXPECT_EQ(x.inter, y.inter);
  EXPECT_EQ(x.layers, y.layers);
  EXPECT_EQ(x.heads, y.heads);
  EXPECT_EQ(x.kv_heads, y.kv_heads);
  EXPECT_EQ(x.head_dim, y.head_dim);
  EXPECT_EQ(x.eps, y.eps);
  EXPECT_EQ(x.rope_theta, y.rope_theta);
  EXPECT_EQ(a.embed, b.embed);
  EXPECT_EQ(a.final_norm, b.final_norm);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (std::size_t l = 0; l < a.layers.size(); ++l) {
    const LayerWeights &p = a.layers[l], &q = b.layers[l];
    const std::string at = fmt::format("layer {} ", l);
    expect_same_ternary(p.q, q.q, at + "q");
    expect_same_ternary(p.k, q.k, at + "k");
    expect_same_ternary(p.v, q.v, at + "v");
    expect_same_ternary(p.o, q.o, at + "o");
    expect_same_ternary(p.gate, q.gate, at + "gate");
    expect_same_ternary(p.up, q.up, at + "up");
    expect_same_ternary(p.down, q.down, at + "down");
    EXPECT_EQ(p.input_norm, q.input_norm) << at;
    EXPECT_EQ(p.attn_sub_norm, q.attn_sub_norm) << at;
    EXPECT_EQ(p.post_attn_norm, q.post_attn_norm) << at;
    EXPECT_EQ(p.ffn_sub_norm, q.ffn_sub_norm) << at;
  }
}

class Gguf : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("trine_gguf_{}_{}", ::getpid(), ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  // The tiny model as GGUF at `name`, with its bytes.
  std::vector<uint8_t> tiny_file(const std::string& name) {
    write_gguf_model(tiny_model(), file(name), nullptr, options(true));
    return read_bytes(file(name));
  }
  fs::path dir_;
};

// ---- metadata ----

TEST_F(Gguf, MetadataOfEveryTypeRoundTrips) {
  GgufWriter w;
  w.set("t.u8", GgufValue::u8(250));
  w.set("t.i8", GgufValue::i8(-100));
  w.set("t.u16", GgufValue::u16(65000));
  w.set("t.i16", GgufValue::i16(-32000));
  w.set("t.u32", GgufValue::u32(4000000000u));
  w.set("t.i32", GgufValue::i32(-2000000000));
  w.set("t.u64", GgufValue::u64(18000000000000000000ull));
  w.set("t.i64", GgufValue::i64(-9000000000000000000ll));
  w.set("t.f32", GgufValue::f32(0.1f));
  w.set("t.f64", GgufValue::f64(0.1));
  w.set("t.bool", GgufValue::boolean(true));
  w.set("t.str", GgufValue::str(std::string("h\xc3\xa9llo\0x", 8)));
  w.set("t.strs", GgufValue::strings({"a", "", "Ġb c"}));
  w.set("t.i32s", GgufValue::i32s({-1, 0, 7}));
  w.set("t.f32s", GgufValue::f32s({1.5f, -0.25f}));
  w.set("t.empty", GgufValue::array(GgufType::U16, {}));
  w.set("t.nested", GgufValue::array(GgufType::ARRAY, {GgufValue::i32s({1, 2}), GgufValue::i32s({}),
                                                       GgufValue::array(GgufType::I32, {GgufValue::i32(3)})}));
  w.set("t.u8", GgufValue::u8(251));  // replaces, keeping its place
  w.write(file("meta.gguf"));

  const GgufFile f(file("meta.gguf"));
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 32u);
  EXPECT_EQ(f.keys(), (std::vector<std::string>{"t.u8", "t.i8", "t.u16", "t.i16", "t.u32", "t.i32", "t.u64", "t.i64",
                                                "t.f32", "t.f64", "t.bool", "t.str", "t.strs", "t.i32s", "t.f32s",
                                                "t.empty", "t.nested"}));
  EXPECT_EQ(f.get("t.u8").type, GgufType::U8);
  EXPECT_EQ(f.get_u32("t.u8"), 251u);
  EXPECT_EQ(f.get("t.i8").type, GgufType::I8);
  EXPECT_EQ(f.get_i32("t.i8"), -100);
  EXPECT_EQ(f.get_u32("t.u16"), 65000u);
  EXPECT_EQ(f.get_i32("t.i16"), -32000);
  EXPECT_EQ(f.get_u32("t.u32"), 4000000000u);
  EXPECT_EQ(f.get_i64("t.u32"), 4000000000ll);
  EXPECT_EQ(f.get_i32("t.i32"), -2000000000);
  EXPECT_EQ(f.get_u64("t.u64"), 18000000000000000000ull);
  EXPECT_EQ(f.get_i64("t.i64"), -9000000000000000000ll);
  EXPECT_EQ(f.get_f32("t.f32"), 0.1f);
  EXPECT_EQ(f.get("t.f32").type, GgufType::F32);
  EXPECT_EQ(f.get_f64("t.f64"), 0.1);
  EXPECT_EQ(f.get_f32("t.f64"), 0.1f);
  EXPECT_EQ(f.get_bool("t.bool"), true);
  EXPECT_EQ(f.get_string("t.str"), std::string("h\xc3\xa9llo\0x", 8));
  EXPECT_EQ(f.get_array_strings("t.strs"), (std::vector<std::string>{"a", "", "Ġb c"}));
  EXPECT_EQ(f.get_array_i32("t.i32s"), (std::vector<int32_t>{-1, 0, 7}));
  EXPECT_EQ(f.get_array_f32("t.f32s"), (std::vector<float>{1.5f, -0.25f}));
  EXPECT_EQ(f.get("t.empty").elem, GgufType::U16);
  EXPECT_TRUE(std::get<std::vector<GgufValue>>(f.get("t.empty").v).empty());
  const auto& nested = std::get<std::vector<GgufValue>>(f.get("t.nested").v);
  ASSERT_EQ(nested.size(), 3u);
  EXPECT_EQ(f.get("t.nested").elem, GgufType::ARRAY);
  EXPECT_EQ(std::get<int64_t>(std::get<std::vector<GgufValue>>(nested[0].v)[1].v), 2);
  EXPECT_TRUE(std::get<std::vector<GgufValue>>(nested[1].v).empty());
  EXPECT_EQ(std::get<int64_t>(std::get<std::vector<GgufValue>>(nested[2].v)[0].v), 3);
  EXPECT_TRUE(f.has("t.u8"));
  EXPECT_FALSE(f.has("t.nope"));
  EXPECT_TRUE(f.tensors().empty());

  const std::string p = file("meta.gguf");
  EXPECT_EQ(error_of([&] { f.get_u32("t.nope"); }), p + ": metadata key t.nope not found");
  EXPECT_EQ(error_of([&] { f.get_u32("t.i8"); }), p + ": metadata key t.i8: value -100 does not fit a 32-bit unsigned integer");
  EXPECT_EQ(error_of([&] { f.get_i32("t.u32"); }), p + ": metadata key t.u32: value 4000000000 does not fit a 32-bit signed integer");
  EXPECT_EQ(error_of([&] { f.get_string("t.u32"); }), p + ": metadata key t.u32: expected a string, found U32");
  EXPECT_EQ(error_of([&] { f.get_f32("t.str"); }), p + ": metadata key t.str: expected a float, found STRING");
  EXPECT_EQ(error_of([&] { f.get_array_strings("t.i32s"); }),
            p + ": metadata key t.i32s: expected an array of strings, found ARRAY of I32");
  EXPECT_EQ(error_of([&] { f.get_array_i32("t.strs"); }),
            p + ": metadata key t.strs[0]: expected an integer, found STRING");
}

TEST_F(Gguf, VersionTwoReadsAndAlignmentIsHonoured) {
  GgufWriter w(64);
  w.set("k", GgufValue::u32(1));
  w.add_tensor("a", {3}, GgmlType::F32, [] { return std::vector<uint8_t>(12, 0); });
  w.add_tensor("b", {2, 2}, GgmlType::F16, [] { return std::vector<uint8_t>{0, 0x3c, 0, 0xc0, 0, 0x7c, 1, 0}; });
  w.add_tensor("c", {2}, GgmlType::BF16, [] { return std::vector<uint8_t>{0x80, 0x3f, 0x20, 0xc1}; });
  w.write(file("v.gguf"));
  std::vector<uint8_t> b = read_bytes(file("v.gguf"));
  b[4] = 2;  // version 2 has the same layout
  write_bytes(file("v.gguf"), b);
  const GgufFile f(file("v.gguf"));
  EXPECT_EQ(f.version(), 2u);
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.data_offset() % 64, 0u);
  EXPECT_EQ(f.tensor("b").offset, 64u);
  EXPECT_EQ(f.tensor("c").offset, 128u);
  EXPECT_EQ(f.tensor("b").ne, (std::vector<uint64_t>{2, 2}));
  EXPECT_EQ(gguf_to_f32(f, f.tensor("b")),
            (std::vector<float>{1.0f, -2.0f, std::numeric_limits<float>::infinity(), 5.9604645e-8f}));
  EXPECT_EQ(gguf_to_f32(f, f.tensor("c")), (std::vector<float>{1.0f, -10.0f}));
  EXPECT_EQ(f.tensor("c").describe(), "c {2} BF16");
}

TEST(GgufF16, RoundsToNearestEven) {
  EXPECT_EQ(f32_to_f16(0.0f), 0x0000);
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_f16(-2.0f), 0xc000);
  EXPECT_EQ(f32_to_f16(1.0f / 3.0f), 0x3555);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65519.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);
  EXPECT_EQ(f32_to_f16(1.0f + 0x1p-11f), 0x3c00);        // tie: to even
  EXPECT_EQ(f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3c02);    // tie: to even (up)
  EXPECT_EQ(f32_to_f16(0x1p-24f), 0x0001);               // smallest subnormal
  EXPECT_EQ(f32_to_f16(0x1p-25f), 0x0000);               // tie: to even (zero)
  EXPECT_EQ(f32_to_f16(0x1.8p-25f), 0x0001);
  EXPECT_EQ(f32_to_f16(0x1p-14f - 0x1p-30f), 0x0400);    // rounds up into the normals
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(f32_to_f16(std::nanf("")) & 0x7e00, 0x7e00);
}

// ---- I2_S ----

TEST(GgufI2S, LayoutMatchesBitnetCpp) {
  TernaryMatrix W;
  W.M = 2;
  W.K = 128;
  W.wscale = 0.8125f;
  W.w.assign(256, 0);
  W.w[0] = 1;     // code 2 in bits 7..6 of byte 0
  W.w[32] = -1;   // code 0 in bits 5..4
  W.w[64] = 0;    // code 1 in bits 3..2
  W.w[96] = 1;    // code 2 in bits 1..0
  W.w[128 + 31] = -1;
  const std::vector<uint8_t> b = encode_i2_s(W, "W");
  ASSERT_EQ(b.size(), 256u / 4 + 32);
  EXPECT_EQ(b[0], 0x86);           // 10 00 01 10
  EXPECT_EQ(b[1], 0x55);           // all zero weights: 01 01 01 01
  EXPECT_EQ(b[32 + 31], 0x15);     // 00 01 01 01
  float scale;
  std::memcpy(&scale, b.data() + 64, 4);
  EXPECT_EQ(scale, 0.8125f);
  EXPECT_EQ(std::vector<uint8_t>(b.begin() + 68, b.end()), std::vector<uint8_t>(28, 0));
}

TEST_F(Gguf, I2SRoundTripsOddDataExactly) {
  // Rows of 3 blocks and a 5-row matrix with 1 block per row: codes never follow row order
  // in a way that a transposition bug would survive.
  for (auto [M, K] : {std::pair{3, 384}, std::pair{5, 128}, std::pair{1, 1280}}) {
    TernaryMatrix W = random_ternary(M, K, 0.0123456789f, static_cast<uint32_t>(M * K));
    W.w[0] = -1, W.w[1] = 0, W.w.back() = 1;  // all three codes, at both ends
    const std::string path = file(fmt::format("i2s_{}x{}.gguf", M, K));
    GgufWriter w;
    w.add_tensor("w", {uint64_t(K), uint64_t(M)}, GgmlType::I2_S, [&] { return encode_i2_s(W, "w"); });
    w.write(path);
    const GgufFile f(path);
    const GgufTensorInfo& t = f.tensor("w");
    EXPECT_EQ(t.type, GgmlType::I2_S);
    EXPECT_EQ(t.bytes, uint64_t(M) * K / 4 + 32);
    const TernaryMatrix R = decode_i2_s(t.data, t.bytes, M, K, "w");
    expect_same_ternary(W, R, fmt::format("{}x{}", M, K));
  }
}

TEST(GgufI2S, RejectsCode3AndBadScales) {
  TernaryMatrix W = random_ternary(2, 128, 0.5f, 9);
  std::vector<uint8_t> b = encode_i2_s(W, "W");
  std::vector<uint8_t> bad = b;
  bad[32 + 5] |= 0x30;  // block 1, j = 5, group 1: weight 128 + 32 + 5
  EXPECT_EQ(error_of([&] { decode_i2_s(bad.data(), bad.size(), 2, 128, "f: tensor x"); }),
            "f: tensor x: corrupt I2_S code 0b11 for weight [1][37] (byte 37); only 0b00, 0b01, 0b10 encode -1, 0, +1");
  for (float s : {0.0f, -1.0f, std::numeric_limits<float>::infinity(), std::nanf("")}) {
    bad = b;
    std::memcpy(bad.data() + 64, &s, 4);
    EXPECT_EQ(error_of([&] { decode_i2_s(bad.data(), bad.size(), 2, 128, "f: tensor x"); }),
              fmt::format("f: tensor x: I2_S scale {} is not a positive finite number", s));
  }
  EXPECT_EQ(error_of([&] { decode_i2_s(b.data(), b.size(), 1, 100, "f: tensor x"); }),
            "f: tensor x: I2_S holds whole 128-value blocks, but 1x100 is 100 values");
  W.w[7] = 2;
  EXPECT_EQ(error_of([&] { encode_i2_s(W, "W"); }), "W: weight 2 at [0][7] is not ternary");
}

// ---- the model ----

std::vector<int> oracle_input_ids(const std::string& model) {
  const Checkpoint oracle(kOracle + "/" + model + "/oracle.safetensors");
  const TensorView& t = oracle.get("input_ids");
  EXPECT_EQ(t.dtype, DType::I64);
  std::vector<int> ids(static_cast<std::size_t>(t.numel()));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    int64_t v;
    std::memcpy(&v, t.data + 8 * i, 8);
    ids[i] = static_cast<int>(v);
  }
  return ids;
}

// The packed checkpoint `model` written to `path` with an F32 embedding loads back to the same
// weights, and the reference forward pass gives the same logits bit for bit.
void expect_round_trip(const std::string& model, const std::string& path, const GgufTokenizerData* tok) {
  const ModelWeights hf = load_hf_model(kOracle + "/" + model + "/packed");
  write_gguf_model(hf, path, tok, options(true, 256, model));
  const ModelWeights gg = load_gguf_model(path);
  expect_same_model(hf, gg);
  const std::vector<int> ids = oracle_input_ids(model);
  const std::vector<float> a = reference_forward(hf, ids), b = reference_forward(gg, ids);
  ASSERT_EQ(a.size(), ids.size() * static_cast<std::size_t>(hf.dims.vocab));
  ASSERT_EQ(b.size(), a.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << model << ": logits differ";
}

#define SKIP_WITHOUT_ORACLE() \
  if (!fs::exists(kOracle)) GTEST_SKIP() << "reference checkpoints not found at " << kOracle

TEST_F(Gguf, RealSizedLayerRoundTripsToIdenticalLogits) {
  SKIP_WITHOUT_ORACLE();
  expect_round_trip("real1", file("real1.gguf"), nullptr);  // hidden 2560, ffn 6912, 20/5 heads
}

TEST_F(Gguf, OracleCheckpointRoundTripsToIdenticalLogits) {
  SKIP_WITHOUT_ORACLE();
  const std::string path = file("small.gguf");
  const GgufTokenizerData tok = tiny_tokenizer(512);
  expect_round_trip("small", path, &tok);

  const GgufFile f(path);
  EXPECT_EQ(f.get_string("general.architecture"), "bitnet-b1.58");
  EXPECT_EQ(f.get_string("general.name"), "small");
  EXPECT_EQ(f.get_u32("general.file_type"), 40u);
  EXPECT_EQ(f.get_u32("bitnet-b1.58.block_count"), 4u);
  EXPECT_EQ(f.get_u32("bitnet-b1.58.context_length"), 256u);
  EXPECT_EQ(f.get_u32("bitnet-b1.58.embedding_length"), 256u);
  EXPECT_EQ(f.get_u32("bitnet-b1.58.feed_forward_length"), 704u);
  EXPECT_EQ(f.get_u32("bitnet-b1.58.attention.head_count"), 4u);
  EXPECT_EQ(f.get_u32("bitnet-b1.58.attention.head_count_kv"), 2u);
  EXPECT_EQ(f.get_f32("bitnet-b1.58.attention.layer_norm_rms_epsilon"), 1e-5f);
  EXPECT_EQ(f.get_f32("bitnet-b1.58.rope.freq_base"), 500000.0f);
  EXPECT_EQ(f.get_u32("bitnet-b1.58.rope.dimension_count"), 64u);
  EXPECT_EQ(f.get_u32("bitnet-b1.58.vocab_size"), 512u);
  EXPECT_FALSE(f.has("bitnet-b1.58.attention.key_length"));
  EXPECT_EQ(read_gguf_model_meta(f).context_length, 256);
  ASSERT_EQ(f.tensors().size(), 2u + 11u * 4u);
  int counts[3] = {};
  for (const GgufTensorInfo& t : f.tensors()) counts[t.type == GgmlType::I2_S ? 0 : t.type == GgmlType::F32 ? 1 : 2]++;
  EXPECT_EQ(counts[0], 28);
  EXPECT_EQ(counts[1], 4 * 4 + 1 + 1);  // norms, output_norm and the F32 embedding
  EXPECT_EQ(f.tensor("token_embd.weight").ne, (std::vector<uint64_t>{256, 512}));
  EXPECT_EQ(f.tensor("blk.3.ffn_down.weight").ne, (std::vector<uint64_t>{704, 256}));
  EXPECT_EQ(f.tensor("blk.0.attn_k.weight").ne, (std::vector<uint64_t>{256, 128}));

  const GgufTokenizerData t = read_gguf_tokenizer(f);
  EXPECT_EQ(t.model, "gpt2");
  EXPECT_EQ(t.pre, "llama-bpe");
  EXPECT_EQ(t.tokens, tok.tokens);
  EXPECT_EQ(t.merges, tok.merges);
  EXPECT_EQ(t.token_type, tok.token_type);
  EXPECT_EQ(t.bos_id, 0);
  EXPECT_EQ(t.eos_id, 1);
  EXPECT_EQ(t.eot_id, 2);
  EXPECT_EQ(t.add_bos, std::optional<bool>(true));
}

TEST_F(Gguf, F16EmbeddingIsTheRoundedEmbedding) {
  const ModelWeights m = tiny_model();
  write_gguf_model(m, file("f16.gguf"), nullptr);
  const GgufFile f(file("f16.gguf"));
  EXPECT_EQ(f.tensor("token_embd.weight").type, GgmlType::F16);
  const ModelWeights r = load_gguf_model(file("f16.gguf"));
  ASSERT_EQ(r.embed.size(), m.embed.size());
  for (std::size_t i = 0; i < m.embed.size(); ++i) {
    ASSERT_EQ(f32_to_f16(r.embed[i]), f32_to_f16(m.embed[i])) << i;
    // Half an ulp: relative 2^-11 for normals, absolute 2^-25 among the subnormals.
    ASSERT_LE(std::fabs(r.embed[i] - m.embed[i]), std::max(std::fabs(m.embed[i]) * 0x1p-11f, 0x1p-25f)) << i;
  }
  EXPECT_EQ(r.final_norm, m.final_norm);
  expect_same_ternary(r.layers[1].down, m.layers[1].down, "down");

  ModelWeights big = tiny_model();
  big.embed[5] = 1e5f;
  EXPECT_EQ(error_of([&] { write_gguf_model(big, file("big.gguf"), nullptr); }),
            file("big.gguf") + ": tensor token_embd.weight: value 100000 at index 5 overflows F16; write the "
                               "embedding as F32");
  EXPECT_FALSE(fs::exists(file("big.gguf")));
}

TEST_F(Gguf, Bitnet25ArchitectureIsAccepted) {
  // The two names differ in length, so the file is rebuilt through the writer, not patched.
  tiny_file("a.gguf");
  const GgufFile src(file("a.gguf"));
  GgufWriter w;
  for (const std::string& k : src.keys()) {
    std::string key = k;
    if (key.rfind("bitnet-b1.58.", 0) == 0) key = "bitnet-25." + key.substr(13);
    w.set(key, k == "general.architecture" ? GgufValue::str("bitnet-25") : src.get(k));
  }
  for (const GgufTensorInfo& t : src.tensors())
    w.add_tensor(t.name, t.ne, t.type, [&t] { return std::vector<uint8_t>(t.data, t.data + t.bytes); });
  w.write(file("b25.gguf"));
  expect_same_model(load_gguf_model(file("a.gguf")), load_gguf_model(file("b25.gguf")));
  EXPECT_EQ(read_gguf_model_meta(GgufFile(file("b25.gguf"))).arch, "bitnet-25");
}

// ---- bad input ----

TEST_F(Gguf, TruncatedFileNamesWhereItBreaks) {
  const std::vector<uint8_t> b = tiny_file("t.gguf");
  const std::string p = file("t.gguf");
  write_bytes(p, {b.begin(), b.begin() + 10});
  EXPECT_EQ(error_of([&] { GgufFile f(p); }), p + ": truncated GGUF file: 10 bytes, the header alone is 24");

  // Cut inside general.architecture's value: the first key.
  // 24 bytes of header, the key (8 + 20), its type (4), the value's length (8): the 12 characters
  // of "bitnet-b1.58" start at 64.
  write_bytes(p, {b.begin(), b.begin() + 70});
  EXPECT_EQ(error_of([&] { load_gguf_model(p); }),
            p + ": truncated GGUF file: metadata key general.architecture needs 12 bytes at offset 64 but the file "
                "ends at 70");

  // Cut one byte short of the end: the last tensor's data runs past it.
  write_bytes(p, {b.begin(), b.end() - 1});
  const std::string e = error_of([&] { load_gguf_model(p); });
  EXPECT_CONTAINS(e, p + ": tensor output_norm.weight {128} F32: data [");
  EXPECT_CONTAINS(e, "runs past the end of the file");
}

TEST_F(Gguf, WrongMagicAndVersion) {
  std::vector<uint8_t> b = tiny_file("m.gguf");
  const std::string p = file("m.gguf");
  b[0] = 'G', b[1] = 'G', b[2] = 'M', b[3] = 'L';
  write_bytes(p, b);
  EXPECT_EQ(error_of([&] { load_gguf_model(p); }),
            p + ": not a GGUF file: magic bytes 47 47 4d 4c, expected \"GGUF\"");
  b[2] = 'U', b[3] = 'F', b[4] = 1;
  write_bytes(p, b);
  EXPECT_EQ(error_of([&] { load_gguf_model(p); }), p + ": GGUF version 1 is not supported (2 and 3 are)");
  b[4] = 0, b[7] = 3;
  write_bytes(p, b);
  EXPECT_EQ(error_of([&] { load_gguf_model(p); }), p + ": big-endian GGUF is not supported");
  EXPECT_EQ(error_of([&] { GgufFile f(file("missing.gguf")); }),
            file("missing.gguf") + ": cannot open: No such file or directory");
}

TEST_F(Gguf, CorruptI2SCodeNamesTheTensor) {
  std::vector<uint8_t> b = tiny_file("c.gguf");
  const std::string p = file("c.gguf");
  uint64_t at;
  {
    const GgufFile f(p);
    at = f.data_offset() + f.tensor("blk.1.attn_k.weight").offset + 40;
  }
  b[at] = 0xc5;  // block 1, j = 8: the first weight's code is 0b11
  write_bytes(p, b);
  EXPECT_EQ(error_of([&] { load_gguf_model(p); }),
            p + ": tensor blk.1.attn_k.weight: corrupt I2_S code 0b11 for weight [1][8] (byte 40); only 0b00, 0b01, "
                "0b10 encode -1, 0, +1");

  b = tiny_file("s.gguf");
  const std::string s = file("s.gguf");
  {
    const GgufFile f(s);
    const GgufTensorInfo& t = f.tensor("blk.0.ffn_up.weight");
    at = f.data_offset() + t.offset + t.bytes - 32;
  }
  const float zero = 0.0f;
  std::memcpy(b.data() + at, &zero, 4);
  write_bytes(s, b);
  EXPECT_EQ(error_of([&] { load_gguf_model(s); }),
            s + ": tensor blk.0.ffn_up.weight: I2_S scale 0 is not a positive finite number");
}

TEST_F(Gguf, TensorDataPastTheEndNamesTheTensor) {
  std::vector<uint8_t> b = tiny_file("e.gguf");
  const std::string p = file("e.gguf");
  // blk.0.attn_q.weight {128, 128}: after its name come n_dims, 2 dims, the type, then the offset.
  const std::size_t off = after_tensor_name(b, "blk.0.attn_q.weight") + 4 + 16 + 4;
  const uint64_t far = uint64_t{1} << 40;
  std::memcpy(b.data() + off, &far, 8);
  write_bytes(p, b);
  const std::string e = error_of([&] { load_gguf_model(p); });
  EXPECT_CONTAINS(e, p + ": tensor blk.0.attn_q.weight {128, 128} I2_S: data [1099511627776, 1099511631904) runs "
                         "past the end of the file (");

  const uint64_t odd = 48;  // not a multiple of the alignment
  std::memcpy(b.data() + off, &odd, 8);
  write_bytes(p, b);
  EXPECT_EQ(error_of([&] { load_gguf_model(p); }),
            p + ": tensor blk.0.attn_q.weight {128, 128} I2_S: data offset 48 is not a multiple of the alignment 32");
}

TEST_F(Gguf, UnknownTensorTypeNamesTheTensorAndId) {
  std::vector<uint8_t> b = tiny_file("u.gguf");
  const std::string p = file("u.gguf");
  const std::size_t type_at = after_tensor_name(b, "blk.1.ffn_norm.weight") + 4 + 8;
  const uint32_t q4_0 = 2;
  std::memcpy(b.data() + type_at, &q4_0, 4);
  write_bytes(p, b);
  EXPECT_EQ(error_of([&] { load_gguf_model(p); }),
            p + ": tensor blk.1.ffn_norm.weight: unsupported ggml type id 2 (trine reads F32 0, F16 1, BF16 30, I2_S 36)");
}

TEST_F(Gguf, UnknownArchitectureIsRejected) {
  GgufWriter w;
  w.set("general.architecture", GgufValue::str("llama"));
  w.set("llama.block_count", GgufValue::u32(2));
  w.write(file("llama.gguf"));
  EXPECT_EQ(error_of([&] { load_gguf_model(file("llama.gguf")); }),
            file("llama.gguf") + ": metadata key general.architecture is \"llama\"; trine reads BitNet b1.58 models "
                                 "(\"bitnet-b1.58\" or \"bitnet-25\")");
  GgufWriter none;
  none.write(file("none.gguf"));
  EXPECT_EQ(error_of([&] { load_gguf_model(file("none.gguf")); }),
            file("none.gguf") + ": metadata key general.architecture not found");
}

TEST_F(Gguf, MissingKeysAndWrongShapesNameTheKeyOrTensor) {
  tiny_file("a.gguf");
  const GgufFile src(file("a.gguf"));
  // Rewrites a.gguf with one key changed (or dropped, when v is empty).
  auto variant = [&](const std::string& name, const std::string& key, std::optional<GgufValue> v) {
    GgufWriter w;
    for (const std::string& k : src.keys()) {
      if (k != key) w.set(k, src.get(k));
      else if (v) w.set(k, *v);
    }
    for (const GgufTensorInfo& t : src.tensors())
      w.add_tensor(t.name, t.ne, t.type, [&t] { return std::vector<uint8_t>(t.data, t.data + t.bytes); });
    w.write(file(name));
    return file(name);
  };
  std::string p = variant("nb.gguf", "bitnet-b1.58.block_count", std::nullopt);
  EXPECT_EQ(error_of([&] { load_gguf_model(p); }), p + ": metadata key bitnet-b1.58.block_count not found");
  p = variant("ff.gguf", "bitnet-b1.58.feed_forward_length", GgufValue::u32(384));
  EXPECT_EQ(error_of([&] { load_gguf_model(p); }),
            p + ": tensor blk.0.ffn_gate.weight {128, 256} I2_S: the metadata implies {128, 384}");
  p = variant("eps.gguf", "bitnet-b1.58.attention.layer_norm_rms_epsilon", GgufValue::str("tiny"));
  EXPECT_EQ(error_of([&] { load_gguf_model(p); }),
            p + ": metadata key bitnet-b1.58.attention.layer_norm_rms_epsilon: expected a float, found STRING");
  p = variant("rope.gguf", "bitnet-b1.58.rope.dimension_count", GgufValue::u32(32));
  EXPECT_EQ(error_of([&] { load_gguf_model(p); }),
            p + ": metadata key bitnet-b1.58.rope.dimension_count: 32 differs from the head size 64");
  p = variant("kv.gguf", "bitnet-b1.58.attention.head_count_kv", GgufValue::u32(0));
  EXPECT_EQ(error_of([&] { load_gguf_model(p); }),
            p + ": metadata key bitnet-b1.58.attention.head_count_kv: 0 is not a usable size");
}

// Every cut and every single-byte corruption of the header is either read or rejected with an
// Error: never a crash, a hang, or another exception (bad_alloc from a huge count, say).
TEST_F(Gguf, EveryTruncationAndHeaderByteFlipIsHandled) {
  GgufWriter w;
  w.set("general.architecture", GgufValue::str("bitnet-b1.58"));
  w.set("a.nested", GgufValue::array(GgufType::ARRAY, {GgufValue::strings({"x", "yz"}), GgufValue::strings({})}));
  w.set("a.f", GgufValue::f32s({1.0f, 2.0f}));
  w.set("a.b", GgufValue::boolean(false));
  w.add_tensor("t.f32", {4, 2}, GgmlType::F32, [] { return std::vector<uint8_t>(32, 0); });
  TernaryMatrix W = random_ternary(1, 128, 0.5f, 4);
  w.add_tensor("t.i2s", {128, 1}, GgmlType::I2_S, [&] { return encode_i2_s(W, "t.i2s"); });
  w.write(file("f.gguf"));
  const std::vector<uint8_t> good = read_bytes(file("f.gguf"));
  uint64_t header_end;
  {
    const GgufFile f(file("f.gguf"));
    header_end = f.data_offset();
  }
  auto try_read = [&](const std::vector<uint8_t>& b, const std::string& what) {
    write_bytes(file("x.gguf"), b);
    try {
      const GgufFile f(file("x.gguf"));
      for (const GgufTensorInfo& t : f.tensors())
        if (t.type == GgmlType::I2_S && t.numel() == 128) decode_i2_s(t.data, t.bytes, 1, 128, f.path() + ": " + t.name);
    } catch (const Error& e) {
      EXPECT_CONTAINS(e.what(), file("x.gguf")) << what;
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": " << e.what();
    }
  };
  for (std::size_t n = 0; n < good.size(); ++n) {
    try_read({good.begin(), good.begin() + static_cast<long>(n)}, fmt::format("cut at {}", n));
    if (n < header_end) continue;
    const std::string e = error_of([&] { GgufFile f(file("x.gguf")); });
    EXPECT_CONTAINS(e, "runs past the end of the file");
  }
  for (std::size_t i = 0; i < header_end; ++i) {
    for (uint8_t x : {0x01, 0x80, 0xff}) {
      std::vector<uint8_t> b = good;
      b[i] ^= x;
      try_read(b, fmt::format("byte {} ^ {:#x}", i, x));
    }
  }
}

TEST_F(Gguf, FailedWriteLeavesTheOldFileAndNoTemporary) {
  const std::string p = file("keep.gguf");
  write_gguf_model(tiny_model(), p, nullptr, options(true));
  const std::vector<uint8_t> before = read_bytes(p);
  ModelWeights bad = tiny_model();
  bad.layers[1].down.w[3] = 5;  // found only while streaming, after the temporary exists
  EXPECT_EQ(error_of([&] { write_gguf_model(bad, p, nullptr, options(true)); }),
            p + ": tensor blk.1.ffn_down.weight: weight 5 at [0][3] is not ternary");
  EXPECT_EQ(read_bytes(p), before);
  bad = tiny_model();
  bad.layers[0].up.wscale = -1.0f;
  EXPECT_EQ(error_of([&] { write_gguf_model(bad, p, nullptr); }),
            p + ": tensor blk.0.ffn_up.weight: scale -1 is not a positive finite number");
  bad = tiny_model();
  bad.layers[1].attn_sub_norm.pop_back();
  EXPECT_EQ(error_of([&] { write_gguf_model(bad, p, nullptr); }),
            p + ": cannot write blk.1.attn_sub_norm.weight: 127 values where the dims imply 128");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"keep.gguf"});
  EXPECT_EQ(read_bytes(p), before);
  EXPECT_EQ(error_of([&] { write_gguf_model(tiny_model(), file("no/such/dir.gguf"), nullptr); }).rfind(
                file("no/such/dir.gguf") + ": cannot create ", 0),
            0u);
}

TEST_F(Gguf, TokenizerMetadataIsValidated) {
  const ModelWeights m = tiny_model();
  GgufTokenizerData tok = tiny_tokenizer(m.dims.vocab);
  tok.token_type.pop_back();
  EXPECT_EQ(error_of([&] { write_gguf_model(m, file("t.gguf"), &tok); }),
            file("t.gguf") + ": cannot write tokenizer.ggml.token_type: 15 types for 16 tokens");
  tok = tiny_tokenizer(m.dims.vocab);
  tok.tokens.push_back("extra");
  EXPECT_EQ(error_of([&] { write_gguf_model(m, file("t.gguf"), &tok); }),
            file("t.gguf") + ": cannot write tokenizer.ggml.tokens: 17 tokens for a vocabulary of 16");

  GgufWriter w;
  w.set("tokenizer.ggml.tokens", GgufValue::strings({"a", "b"}));
  w.set("tokenizer.ggml.bos_token_id", GgufValue::u32(2));
  w.write(file("tok.gguf"));
  EXPECT_EQ(error_of([&] { load_gguf_tokenizer(file("tok.gguf")); }),
            file("tok.gguf") + ": metadata key tokenizer.ggml.bos_token_id: id 2 is outside the 2 tokens");
  GgufWriter w2;
  w2.set("tokenizer.ggml.tokens", GgufValue::strings({"a", "b"}));
  w2.write(file("tok2.gguf"));
  const GgufTokenizerData t = load_gguf_tokenizer(file("tok2.gguf"));
  EXPECT_EQ(t.tokens, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.bos_id, -1);
  EXPECT_TRUE(t.merges.empty());
  EXPECT_FALSE(t.add_bos.has_value());
  EXPECT_EQ(error_of([&] { load_gguf_tokenizer(file("none.gguf")); }).rfind(file("none.gguf") + ": cannot open", 0),
            0u);
}

}  // namespace
