// The `trine` binary on bad input: a clear message naming the option or file, a non-zero exit,
// and nothing lost.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "tests/cli_runner.h"

#include <nlohmann/json.hpp>

#include "runtime/host.h"
#include "runtime/registry.h"
#if TRINE_HAVE_CUDA
#include "gpu/device.h"
#endif

namespace {

namespace fs = std::filesystem;

using trine::testing::CmdResult;

CmdResult trine(const std::string& args) { return trine::testing::run_trine(args); }

using CliTest = trine::testing::TempDirTest;

TEST_F(CliTest, InfoShowsFingerprintAndIsas) {
  const CmdResult r = trine("info --json");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"fingerprint\""), std::string::npos);
  EXPECT_NE(r.out.find("\"usable_isas\""), std::string::npos);
}

#if TRINE_HAVE_JIT && TRINE_HAVE_CUDA
// Where no GPU is usable, --device cuda says why and touches nothing; on a GPU host the tuner
// itself is tested by CudaContract.
TEST_F(CliTest, DeviceCudaWithoutAGpuSaysWhy) {
  const trine::gpu::Discovery d = trine::gpu::discover();
  if (!d.devices.empty()) GTEST_SKIP() << "a CUDA device is present: " << d.devices[0].name;
  CmdResult r = trine(fmt::format("tune --device cuda --shape 64x64 --db {}", path("t.db")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--device cuda: no usable CUDA device"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(path("t.db")));
  r = trine("info");
  EXPECT_NE(r.out.find("no usable device"), std::string::npos) << r.out;
  r = trine(fmt::format("tune --device tpu --shape 64x64 --db {}", path("t.db")));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("--device"), std::string::npos) << r.out;
  // The model commands look for the GPU before reading any model.
  for (const char* cmd : {"run", "logits --ids 1,2 --out l.npy", "bench"}) {
    r = trine(fmt::format("{} --device cuda -m {}", cmd, path("no-such-model")));
    EXPECT_EQ(r.status, 1) << cmd;
    EXPECT_NE(r.out.find("--device cuda: no usable CUDA device"), std::string::npos) << cmd << ": " << r.out;
  }
  r = trine(fmt::format("run --device tpu -m {}", path("no-such-model")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--device 'tpu': expected cpu or cuda"), std::string::npos) << r.out;
}
#endif

#if TRINE_HAVE_JIT
TEST_F(CliTest, MalformedShapeIsRejected) {
  const CmdResult r = trine(fmt::format("tune --shape 12x --db {}", path("t.db")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--shape '12x'"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(path("t.db")));  // failed before touching the database
}

TEST_F(CliTest, UnknownIsaAndPresetAreRejected) {
  CmdResult r = trine(fmt::format("tune --shape 64x64 --isa sse9 --db {}", path("t.db")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--isa 'sse9'"), std::string::npos) << r.out;
  r = trine(fmt::format("tune --preset llama --db {}", path("t.db")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--preset 'llama'"), std::string::npos) << r.out;
  r = trine(fmt::format("tune --shape 64x64 --families mad,tmac --db {}", path("t.db")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--families 'mad,tmac': unknown kernel family 'tmac' (known: mad, base3, lut, halide)"), std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(path("t.db")));
}

#endif

TEST_F(CliTest, UnknownOptionIsAParseError) {
  const CmdResult r = trine("cache list --bogus");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("--bogus"), std::string::npos) << r.out;
}

TEST_F(CliTest, UnwritableDatabaseIsAClearError) {
  const CmdResult r = trine("cache list --db /proc/trine-no-such-dir/tuning.db");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("/proc/trine-no-such-dir/tuning.db"), std::string::npos) << r.out;
}

TEST_F(CliTest, CorruptDatabaseIsMovedAsideWithAWarning) {
  {
    std::ofstream f(path("bad.db"));
    f << "this is not a database, but it is long enough to have a header of sixteen bytes\n";
  }
  const CmdResult r = trine(fmt::format("cache list --db {}", path("bad.db")));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("warning"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0 winners"), std::string::npos) << r.out;
  bool kept = false;
  for (const auto& e : fs::directory_iterator(dir_)) kept |= e.path().filename().string().starts_with("bad.db.corrupt-");
  EXPECT_TRUE(kept) << "the unreadable file must be kept, not deleted";
}

TEST_F(CliTest, ImportOfBadJsonNamesTheFileAndChangesNothing) {
  {
    std::ofstream f(path("bad.json"));
    f << R"({"format": "trine-tuning", "version": 1, "winners": [{"op": "gemv"}]})";
  }
  CmdResult r = trine(fmt::format("cache import {} --db {}", path("bad.json"), path("t.db")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find(path("bad.json")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("winners[0]"), std::string::npos) << r.out;
  r = trine(fmt::format("cache list --db {}", path("t.db")));
  EXPECT_NE(r.out.find("0 winners"), std::string::npos) << r.out;
  { std::ofstream f(path("garbage.json")); f << "{ not json"; }
  r = trine(fmt::format("cache import {} --db {}", path("garbage.json"), path("t.db")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("not valid JSON"), std::string::npos) << r.out;
}

#if TRINE_HAVE_JIT
TEST_F(CliTest, TuneThenExportImportRoundTrip) {
  const std::string db = path("t.db"), obj = path("obj");
  CmdResult r = trine(fmt::format("tune --shape 96x512 --budget 20 --db {} --object-cache {}", db, obj));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("96x512x1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tuned"), std::string::npos) << r.out;
  const std::size_t side_by_side = r.out.find("best of each family:");
  ASSERT_NE(side_by_side, std::string::npos) << r.out;
  for (const char* fam : {" mad ", " base3 ", " lut ", " halide "})
    EXPECT_NE(r.out.find(fam, side_by_side), std::string::npos) << fam << "\n" << r.out;

  // bench kernels times each family's best beside the others, with its bits per weight.
  r = trine(fmt::format("bench kernels --shape 96x512 --rounds 1 --db {} --object-cache {} --json {}", db, obj,
                        path("b.json")));
  ASSERT_EQ(r.status, 0) << r.out;
  std::ifstream in(path("b.json"));
  const nlohmann::json bench = nlohmann::json::parse(in);
  ASSERT_EQ(bench["results"].size(), 4u) << bench.dump(1);
  int winners = 0;
  std::set<double> decode_bytes, call_read_bytes;
  for (const auto& c : bench["call_reads"]) {
    call_read_bytes.insert(c["bytes"].get<double>());
    EXPECT_GT(c["gbps"].get<double>(), 0);
  }
  EXPECT_EQ(call_read_bytes.size(), bench["call_reads"].size()) << "one call read per byte count";
  for (const auto& k : bench["results"]) {
    const std::string fam = k["family"];
    const int64_t bytes = trine::kernel_packed_bytes(fam, *trine::parse_isa(k["isa"].get<std::string>()),
                                                     k["config"], 96, 512);
    EXPECT_EQ(k["weight_bytes"].get<double>(), static_cast<double>(bytes)) << fam;
    decode_bytes.insert(static_cast<double>(bytes));
    EXPECT_GT(k["frac_call_read"].get<double>(), 0) << fam;  // decode: beside a plain read of its bytes
    EXPECT_EQ(k["bits_per_weight"].get<double>(), bytes * 8.0 / (96.0 * 512)) << fam;
    EXPECT_EQ(k["tuned"].get<bool>(), true) << fam;
    winners += k["variant"].get<std::string>().rfind("winner", 0) == 0;
  }
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(decode_bytes, call_read_bytes);
  EXPECT_FALSE(bench.contains("decode_layer")) << "a bare --shape names no projection of a layer";
  r = trine(fmt::format("tune --shape 96x512 --db {} --object-cache {}", db, obj));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("database"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("compiled 0 translation units"), std::string::npos) << r.out;
  r = trine(fmt::format("cache export {} --db {}", path("w.json"), db));
  ASSERT_EQ(r.status, 0) << r.out;
  r = trine(fmt::format("cache import {} --db {}", path("w.json"), path("u.db")));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("imported 1 winners"), std::string::npos) << r.out;
  r = trine(fmt::format("cache clear --db {}", db));
  ASSERT_EQ(r.status, 0) << r.out;
  r = trine(fmt::format("cache list --db {}", db));
  EXPECT_NE(r.out.find("0 winners, 0 trials"), std::string::npos) << r.out;
}

#endif

}  // namespace

#if TRINE_HAVE_JIT
#include "model/npy.h"
#include <nlohmann/json.hpp>
#include "model/safetensors.h"

namespace {

const std::string kOracleSmall = std::string(TRINE_SOURCE_DIR) + "/../shared/bitnet_oracle/small";

double rel_rms(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return std::sqrt(num / den);
}

TEST_F(CliTest, LogitsBothModesMatchTheReference) {
  if (!fs::exists(kOracleSmall)) GTEST_SKIP() << "reference outputs not found at " << kOracleSmall;
  const trine::model::Checkpoint oracle(kOracleSmall + "/oracle.safetensors");
  const auto& ids_t = oracle.get("input_ids");
  std::string ids;
  for (int64_t i = 0; i < ids_t.numel(); ++i) {
    int64_t v;
    std::memcpy(&v, ids_t.data + 8 * i, 8);
    ids += (i ? "," : "") + std::to_string(v);
  }
  const std::vector<float> want = trine::model::to_f32(oracle.get("logits"));
  for (const char* mode : {"", "--incremental"}) {
    const CmdResult r = trine(fmt::format("logits -m {}/packed --ids {} --out {} {} --object-cache {}", kOracleSmall, ids,
                                          path("l.npy"), mode, path("obj")));
    ASSERT_EQ(r.status, 0) << r.out;
    std::vector<int64_t> shape;
    const std::vector<float> got = trine::model::read_npy_f32(path("l.npy"), shape);
    ASSERT_EQ(shape, (std::vector<int64_t>{ids_t.numel(), 512}));
    EXPECT_LT(rel_rms(got, want), 1e-4) << mode;
  }
}

TEST_F(CliTest, MakeModelThenRunReportsSpeed) {
  CmdResult r = trine(fmt::format("make-model --preset tiny --out {}", path("tiny")));
  ASSERT_EQ(r.status, 0) << r.out;
  r = trine(fmt::format("make-model --preset tiny --out {}", path("tiny")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("already holds a model"), std::string::npos) << r.out;
  r = trine(fmt::format("run -m {} --ids 1,2,3 -n 5 --object-cache {} --db {}", path("tiny"), path("obj"), path("t.db")));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("decode 5 tokens"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("peak RSS"), std::string::npos) << r.out;
  // Greedy decoding is deterministic: the same ids twice.
  const CmdResult again = trine(fmt::format("run -m {} --ids 1,2,3 -n 5 --object-cache {} --db {}", path("tiny"), path("obj"), path("t.db")));
  auto ids_line = [](const std::string& out) { return out.substr(0, out.find("load ")).substr(out.substr(0, out.find("load ")).rfind(')') + 1); };
  EXPECT_EQ(ids_line(r.out), ids_line(again.out));
  EXPECT_FALSE(ids_line(r.out).empty());
}

TEST_F(CliTest, GgufAndHfOfTheSameWeightsGiveIdenticalLogits) {
  ASSERT_EQ(trine(fmt::format("make-model --preset tiny --seed 7 --out {}", path("hf"))).status, 0);
  const CmdResult g = trine(fmt::format("make-model --preset tiny --seed 7 --format gguf --out {}", path("gg")));
  ASSERT_EQ(g.status, 0) << g.out;
  for (auto [model, out] : {std::pair{path("hf"), path("a.npy")}, {path("gg") + "/model.gguf", path("b.npy")}}) {
    const CmdResult r = trine(fmt::format("logits -m {} --ids 1,2,3,4,5,6,7 --out {} --object-cache {}", model, out, path("obj")));
    ASSERT_EQ(r.status, 0) << r.out;
  }
  std::vector<int64_t> sa, sb;
  const std::vector<float> a = trine::model::read_npy_f32(path("a.npy"), sa), b = trine::model::read_npy_f32(path("b.npy"), sb);
  ASSERT_EQ(sa, sb);
  // bf16 embeddings of this size convert to F16 exactly, and I2_S holds the same codes and scales.
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
}

TEST_F(CliTest, Int8HeadIsCloseButLabelledLossy) {
  if (!fs::exists(kOracleSmall)) GTEST_SKIP() << "reference outputs not found at " << kOracleSmall;
  const std::string m = kOracleSmall + "/packed";
  ASSERT_EQ(trine(fmt::format("logits -m {} --ids 0,14,41,322,322,448 --out {} --object-cache {}", m, path("f.npy"), path("obj"))).status, 0);
  ASSERT_EQ(trine(fmt::format("logits -m {} --ids 0,14,41,322,322,448 --out {} --lm-head int8 --object-cache {}", m, path("i.npy"), path("obj"))).status, 0);
  std::vector<int64_t> s1, s2;
  const auto f = trine::model::read_npy_f32(path("f.npy"), s1), i = trine::model::read_npy_f32(path("i.npy"), s2);
  const double rel = rel_rms(i, f);
  EXPECT_GT(rel, 0.0);   // it is an approximation...
  EXPECT_LT(rel, 2e-2);  // ...a close one
  const CmdResult r = trine(fmt::format("run -m {} --ids 0,14 -n 2 --lm-head int8 --object-cache {}", m, path("obj")));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("(lossy)"), std::string::npos) << r.out;
  EXPECT_EQ(trine(fmt::format("run -m {} --ids 0 -n 1 --lm-head int4", m)).status, 1);
}

// The fixture's winners on this host: q,o decode (MAD r16) and prefill (MAD r8) read different
// layouts, and gate,up decodes with LUT. Prefill on a copy of its own and prefill on the decode
// copy run different kernels on different packings and must give the same bits.
TEST_F(CliTest, PrefillLayoutsGiveIdenticalLogits) {
  ASSERT_EQ(trine(fmt::format("make-model --preset tiny --out {}", path("tiny"))).status, 0);
  std::ifstream in(std::string(TRINE_SOURCE_DIR) + "/tests/data/aot_winners.json");
  std::string winners((std::istreambuf_iterator<char>(in)), {});
  for (std::size_t at; (at = winners.find("feba0726f23a5c8c")) != std::string::npos;)
    winners.replace(at, 16, trine::host_info().fingerprint);
  std::ofstream(path("w.json")) << winners;
  ASSERT_EQ(trine(fmt::format("cache import {} --db {}", path("w.json"), path("t.db"))).status, 0);
  const std::string common = fmt::format("-m {} --threads 2 --db {} --object-cache {}", path("tiny"), path("t.db"), path("obj"));
  for (const char* layout : {"own", "decode"}) {
    const CmdResult r = trine(fmt::format("logits {} --ids 1,2,3,4,5,6,7,8,9 --prefill-layout {} --out {}", common, layout,
                                          path(std::string(layout) + ".npy")));
    ASSERT_EQ(r.status, 0) << r.out;
  }
  std::vector<int64_t> sa, sb;
  const std::vector<float> a = trine::model::read_npy_f32(path("own.npy"), sa), b = trine::model::read_npy_f32(path("decode.npy"), sb);
  ASSERT_EQ(sa, sb);
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  const CmdResult own = trine(fmt::format("run {} --ids 1,2 -n 1", common));
  ASSERT_EQ(own.status, 0) << own.out;
  if (trine::host_info().has("avx512vnni")) {
    EXPECT_NE(own.out.find("r8.mb1.nt8.ku1.pf0.kb1024.s0.d0 (tuned, own packed copy)"), std::string::npos) << own.out;
  }
  const CmdResult bad = trine(fmt::format("run {} --ids 1 -n 1 --prefill-layout shared", common));
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("--prefill-layout 'shared': expected own or decode"), std::string::npos) << bad.out;
}

TEST_F(CliTest, BenchModelWritesEveryJsonField) {
  ASSERT_EQ(trine(fmt::format("make-model --preset tiny --out {}", path("tiny"))).status, 0);
  const CmdResult r = trine(fmt::format("bench -m {} --prompt 8 --gen 4 --reps 2 --json {} --object-cache {} --db {}",
                                        path("tiny"), path("b.json"), path("obj"), path("t.db")));
  ASSERT_EQ(r.status, 0) << r.out;
  std::ifstream in(path("b.json"));
  const nlohmann::json j = nlohmann::json::parse(in);
  for (const char* k : {"prefill_tok_s", "decode_ms_per_token", "weight_bytes_per_token", "peak_rss_bytes", "load_s"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_GT(j["roofline"]["read_gbps"].get<double>(), 0);
  EXPECT_EQ(j["decode_s_per_token"]["n"].get<int>(), 8);  // 4 tokens x 2 repetitions
  EXPECT_GT(j["weight_bytes_per_token"].get<double>(), 4 * 7 * 256 * 256 / 4);  // at least the ternary weights
  // Each decode step times every projection of each of the 4 layers, and together they read the
  // packed ternary weights exactly once.
  const nlohmann::json& projs = j["decode_projections"];
  ASSERT_EQ(projs.size(), 7u) << projs.dump(1);
  const char* names[] = {"q", "k", "v", "o", "gate", "up", "down"};
  double bytes = 0;
  for (std::size_t i = 0; i < projs.size(); ++i) {
    EXPECT_EQ(projs[i]["name"].get<std::string>(), names[i]);
    EXPECT_EQ(projs[i]["calls"].get<long>(), 4 * 8);
    EXPECT_GT(projs[i]["gbps"].get<double>(), 0);
    EXPECT_GT(projs[i]["median_s_per_call"].get<double>(), 0);
    bytes += 4 * projs[i]["bytes_per_call"].get<double>();
  }
  EXPECT_EQ(bytes, j["ternary_weight_bytes_per_token"].get<double>());
  EXPECT_NE(r.out.find("decode matmuls   us per call   median us"), std::string::npos) << r.out;
  const CmdResult prof = trine(fmt::format("run -m {} --ids 1,2 -n 3 --profile --object-cache {} --db {}", path("tiny"),
                                           path("obj"), path("t.db")));
  ASSERT_EQ(prof.status, 0) << prof.out;
  EXPECT_NE(prof.out.find("decode matmul per call: q "), std::string::npos) << prof.out;
  EXPECT_NE(prof.out.find(" us (median "), std::string::npos) << prof.out;
  EXPECT_EQ(prof.out.find("(median 0.0)"), std::string::npos) << prof.out;  // --profile keeps the call times
  const CmdResult bad = trine(fmt::format("bench -m {} --prompt 600 --gen 4 --object-cache {}", path("tiny"), path("obj")));
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("exceed the context"), std::string::npos) << bad.out;
}

// A byte-level tokenizer.json small enough for the tiny model's 512-token vocabulary: the 256
// byte pieces (GPT-2's byte-to-unicode spelling), no merges, and the LLaMA-3 special tokens.
std::string tiny_tokenizer_json() {
  std::vector<int> bs;
  for (int b = '!'; b <= '~'; ++b) bs.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) bs.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) bs.push_back(b);
  std::vector<int> cs = bs;
  int extra = 0;
  for (int b = 0; b < 256; ++b)
    if (std::find(bs.begin(), bs.end(), b) == bs.end()) {
      bs.push_back(b);
      cs.push_back(256 + extra++);
    }
  nlohmann::json vocab = nlohmann::json::object();
  for (size_t i = 0; i < bs.size(); ++i) {
    std::string utf8;
    const int c = cs[i];
    if (c < 0x80) utf8 += static_cast<char>(c);
    else {
      utf8 += static_cast<char>(0xC0 | (c >> 6));
      utf8 += static_cast<char>(0x80 | (c & 0x3F));
    }
    vocab[utf8] = bs[i];
  }
  nlohmann::json added = nlohmann::json::array();
  int id = 256;
  for (const char* t : {"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"})
    added.push_back({{"id", id++}, {"content", t}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                     {"normalized", false}, {"special", true}});
  const nlohmann::json j = {
      {"version", "1.0"}, {"added_tokens", added}, {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
      {"post_processor", nullptr}, {"decoder", {{"type", "ByteLevel"}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", nlohmann::json::array()}, {"ignore_merges", false}}}};
  return j.dump();
}

TEST_F(CliTest, ChatKeepsTheCacheAcrossTurnsAndPerplexityIsFinite) {
  ASSERT_EQ(trine(fmt::format("make-model --preset tiny --out {}", path("tiny"))).status, 0);
  { std::ofstream f(path("tiny") + "/tokenizer.json"); f << tiny_tokenizer_json(); }
  CmdResult r = trine(fmt::format("tokenize -m {} --no-bos \"hi!\"", path("tiny")));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("104,105,33"), std::string::npos) << r.out;
  { std::ofstream f(path("in.txt")); f << "hello\nand again\n/exit\n"; }
  r = trine(fmt::format("chat -m {} -n 6 --object-cache {} < {}", path("tiny"), path("obj"), path("in.txt")));
  ASSERT_EQ(r.status, 0) << r.out;
  size_t prompts = 0;
  for (size_t p = r.out.find("> "); p != std::string::npos; p = r.out.find("> ", p + 2)) ++prompts;
  EXPECT_EQ(prompts, 3u) << r.out;  // two turns answered, then /exit
  { std::ofstream f(path("text.txt")); for (int i = 0; i < 20; ++i) f << "The quick brown fox jumps over the lazy dog. "; }
  r = trine(fmt::format("perplexity -m {} -f {} --ctx 128 --object-cache {}", path("tiny"), path("text.txt"), path("obj")));
  ASSERT_EQ(r.status, 0) << r.out;
  const size_t at = r.out.find("perplexity ");
  ASSERT_NE(at, std::string::npos) << r.out;
  const double ppl = std::stod(r.out.substr(at + 11));
  EXPECT_GT(ppl, 1.0);
  EXPECT_TRUE(std::isfinite(ppl));
  r = trine(fmt::format("perplexity -m {} -f {}", path("tiny"), path("missing.txt")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("missing.txt: cannot read"), std::string::npos) << r.out;
}

TEST_F(CliTest, MakeModelShipsTheTokenizerInBothFormats) {
  { std::ofstream f(path("tok.json")); f << tiny_tokenizer_json(); }
  ASSERT_EQ(trine(fmt::format("make-model --preset tiny --tokenizer {} --out {}", path("tok.json"), path("hf"))).status, 0);
  const CmdResult g = trine(fmt::format("make-model --preset tiny --format gguf --tokenizer {} --out {}", path("tok.json"), path("gg")));
  ASSERT_EQ(g.status, 0) << g.out;
  const CmdResult a = trine(fmt::format("tokenize -m {} \"hi <|eot_id|>!\"", path("hf")));
  const CmdResult b = trine(fmt::format("tokenize -m {}/model.gguf \"hi <|eot_id|>!\"", path("gg")));
  ASSERT_EQ(a.status, 0) << a.out;
  ASSERT_EQ(b.status, 0) << b.out;
  EXPECT_EQ(a.out, "256,104,105,32,258,33\n");
  EXPECT_EQ(a.out, b.out);
  const CmdResult bad = trine(fmt::format("make-model --preset tiny --tokenizer {} --out {}", path("missing.json"), path("x")));
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("missing.json: cannot read"), std::string::npos) << bad.out;
  EXPECT_FALSE(fs::exists(path("x") + "/model.safetensors"));
}

TEST_F(CliTest, ModelCommandsRejectBadInput) {
  CmdResult r = trine(fmt::format("logits -m {} --ids 1,x --out {}", path("nope"), path("l.npy")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--ids '1,x'"), std::string::npos) << r.out;
  r = trine(fmt::format("logits -m {} --ids 1,2 --out {}", path("nope"), path("l.npy")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find(path("nope")), std::string::npos) << r.out;
  r = trine(fmt::format("make-model --preset huge --out {}", path("m")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--preset 'huge'"), std::string::npos) << r.out;
  if (fs::exists(kOracleSmall)) {
    r = trine(fmt::format("logits -m {}/packed --ids 1,600 --out {} --object-cache {}", kOracleSmall, path("l.npy"), path("obj")));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("token id 600 is outside the vocabulary"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(path("l.npy")));
  }
}

}  // namespace
#endif
