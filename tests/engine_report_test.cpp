// `trine report`: the energy model's operation counts against a hand count, the energy meter on a
// fake powercap tree, and the command itself on a tiny synthetic model: every JSON field, Markdown
// and CSV showing the JSON's numbers, a plot, merging, and clear errors on bad input.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/energy_meter.h"
#include "bench/energy_model.h"
#include "bench/plot.h"
#include "bench/report.h"
#include "bench/report_render.h"
#include "runtime/error.h"
#include "tests/cli_runner.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using trine::bench::OpKind;

// ---------------------------------------------------------------- operation counts, by hand

// vocab 10, hidden 8, intermediate 12, 2 layers, 2 heads of 4 (q dim 8), 1 KV head (k/v dim 4).
trine::ModelDims small_dims() {
  trine::ModelDims d;
  d.vocab = 10;
  d.hidden = 8;
  d.inter = 12;
  d.layers = 2;
  d.heads = 2;
  d.kv_heads = 1;
  d.head_dim = 4;
  return d;
}

const trine::bench::ComponentCount& component(const trine::bench::DecodeOpCount& c, const std::string& name) {
  for (const auto& x : c.components)
    if (x.name == name) return x;
  throw std::runtime_error("no component " + name);
}

TEST(ReportEnergy, OpCountsOfASmallModelEqualAHandCount) {
  // The token at position 3 attends to T = 4 positions.
  const auto c = trine::bench::count_decode_ops(small_dims(), 3, false);
  // Ternary matmuls per layer: q 8x8 = 64, k 4x8 = 32, v 4x8 = 32, o 8x8 = 64, gate 12x8 = 96,
  // up 12x8 = 96, down 8x12 = 96: 480 int8 adds; x 2 layers = 960. Scales: one multiply per
  // output (8+4+4+8+12+12+8 = 56) and one per matmul (7): 63; x 2 = 126.
  const auto& mm = component(c, "ternary matmuls");
  EXPECT_EQ(mm.ops[OpKind::int8_add], 960u);
  EXPECT_EQ(mm.ops[OpKind::fp32_mul], 126u);
  EXPECT_EQ(mm.ops[OpKind::fp32_add], 0u);
  EXPECT_EQ(mm.ops[OpKind::int8_mul], 0u);
  // Quantizing inputs of 8, 8, 8 and 12 per layer: 36 adds, 36 + 4 multiplies; x 2 = 72, 80.
  EXPECT_EQ(component(c, "activation quantization").ops[OpKind::fp32_add], 72u);
  EXPECT_EQ(component(c, "activation quantization").ops[OpKind::fp32_mul], 80u);
  // RMSNorm of 8, 8, 8, 12 per layer: adds 9+9+9+13 = 40, multiplies 26+26+26+38 = 116; x 2 =
  // 80, 232; plus the final norm of 8: 9 and 26 -> 89, 258.
  EXPECT_EQ(component(c, "rmsnorm").ops[OpKind::fp32_add], 89u);
  EXPECT_EQ(component(c, "rmsnorm").ops[OpKind::fp32_mul], 258u);
  // RoPE per layer: 2 calls x 2 frequencies x 3 = 12 multiplies; (2 + 1) heads x 2 pairs = 6
  // pairs x (4 mul, 2 add) = 24, 12 -> 36 mul, 12 add per layer; x 2 = 72, 24.
  EXPECT_EQ(component(c, "rope").ops[OpKind::fp32_mul], 72u);
  EXPECT_EQ(component(c, "rope").ops[OpKind::fp32_add], 24u);
  // Attention per head: 2*T*hd + 3*T = 32 + 12 = 44 of each; x 2 heads x 2 layers = 176.
  EXPECT_EQ(component(c, "attention").ops[OpKind::fp32_mul], 176u);
  EXPECT_EQ(component(c, "attention").ops[OpKind::fp32_add], 176u);
  // relu2(gate) * up over 12 per layer: 12 adds, 24 multiplies; x 2 = 24, 48.
  EXPECT_EQ(component(c, "relu2(gate) * up").ops[OpKind::fp32_add], 24u);
  EXPECT_EQ(component(c, "relu2(gate) * up").ops[OpKind::fp32_mul], 48u);
  // Two residual adds of 8 per layer: 32.
  EXPECT_EQ(component(c, "residual adds").ops[OpKind::fp32_add], 32u);
  // lm_head 10 x 8: 80 FMAs.
  EXPECT_EQ(component(c, "lm_head").ops[OpKind::fp32_add], 80u);
  EXPECT_EQ(component(c, "lm_head").ops[OpKind::fp32_mul], 80u);
  // Totals: adds 72 + 89 + 24 + 176 + 24 + 32 + 80 = 497; multiplies 126 + 80 + 258 + 72 + 176
  // + 48 + 80 = 840; no fp16 anywhere (the engine computes in fp32).
  const auto t = c.total();
  EXPECT_EQ(t[OpKind::int8_add], 960u);
  EXPECT_EQ(t[OpKind::fp32_add], 497u);
  EXPECT_EQ(t[OpKind::fp32_mul], 840u);
  EXPECT_EQ(t[OpKind::fp16_add] + t[OpKind::fp16_mul] + t[OpKind::int8_mul], 0u);
  // The int8 head adds one row-scale multiply per vocabulary row.
  EXPECT_EQ(trine::bench::count_decode_ops(small_dims(), 3, true).total()[OpKind::fp32_mul], 850u);
  // Attention grows with the position: one more position = 2*hd + 3 = 11 more per head and layer.
  EXPECT_EQ(trine::bench::count_decode_ops(small_dims(), 4, false).total()[OpKind::fp32_add], 497u + 4 * 11);
}

TEST(ReportEnergy, ParametersAndEnergyFollowTheCounts) {
  const auto p = trine::bench::count_parameters(small_dims());
  EXPECT_EQ(p.embedding, 80u);  // 10 x 8, tied head counted once
  EXPECT_EQ(p.ternary, 960u);
  EXPECT_EQ(p.total, 80u + 960u + 2 * (8 + 8 + 8 + 12) + 8);  // + the norms
  trine::bench::OpCounts c;
  c[OpKind::int8_add] = 1000;
  c[OpKind::fp32_mul] = 10;
  c[OpKind::fp16_add] = 100;
  // 1000 x 0.007 + 10 x 1.31 + 100 x 0.16 = 7 + 13.1 + 16 = 36.1 pJ
  EXPECT_NEAR(trine::bench::energy_joules(c, trine::bench::default_energy_table()), 36.1e-12, 1e-20);
}

// ---------------------------------------------------------------- files for the tests below

class TempDir {
 public:
  TempDir() : dir_(fs::temp_directory_path() / fmt::format("trine_report_test_{}_{}", getpid(), counter_++)) {
    fs::create_directories(dir_);
  }
  ~TempDir() { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  static inline int counter_ = 0;
  fs::path dir_;
};

void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ReportEnergy, TableFileNeedsEveryEntry) {
  TempDir d;
  write(d.path("ok.json"), R"({"source": "mine", "int8_add": 1, "int8_mul": 2, "fp16_add": 3, "fp16_mul": 4,
                              "fp32_add": 5, "fp32_mul": 6})");
  const auto t = trine::bench::load_energy_table(d.path("ok.json"));
  EXPECT_EQ(t.source, "mine");
  EXPECT_EQ(t[OpKind::fp32_mul], 6);
  write(d.path("missing.json"), R"({"int8_add": 1, "int8_mul": 2, "fp16_add": 3, "fp32_add": 5, "fp32_mul": 6})");
  try {
    trine::bench::load_energy_table(d.path("missing.json"));
    FAIL() << "a table without fp16_mul was accepted";
  } catch (const trine::Error& e) {
    EXPECT_NE(std::string(e.what()).find(d.path("missing.json")), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("fp16_mul"), std::string::npos) << e.what();
  }
  write(d.path("neg.json"), R"({"int8_add": -1, "int8_mul": 2, "fp16_add": 3, "fp16_mul": 4, "fp32_add": 5, "fp32_mul": 6})");
  EXPECT_THROW(trine::bench::load_energy_table(d.path("neg.json")), trine::Error);
  write(d.path("typo.json"), R"({"int8_add": 1, "int8_mul": 2, "fp16_add": 3, "fp16_mul": 4, "fp32_add": 5, "fp32_mul": 6, "fp8_add": 1})");
  EXPECT_THROW(trine::bench::load_energy_table(d.path("typo.json")), trine::Error);
}

// ---------------------------------------------------------------- the energy meter

TEST(ReportMeter, PowercapPackagesAreSummedAndWraparoundIsUndone) {
  TempDir d;
  const std::string root = d.path("powercap");
  write(root + "/intel-rapl:0/energy_uj", "100\n");
  write(root + "/intel-rapl:0/max_energy_range_uj", "1000\n");
  write(root + "/intel-rapl:0/name", "package-0\n");
  write(root + "/intel-rapl:0:0/energy_uj", "5\n");  // a sub-zone: inside package 0 already
  write(root + "/intel-rapl:1/energy_uj", "50\n");
  write(root + "/intel-rapl:1/max_energy_range_uj", "1000\n");
  const trine::bench::EnergyMeter meter(root, d.path("no-perf"));
  ASSERT_TRUE(meter.available()) << meter.reason();
  EXPECT_NE(meter.source().find("package-0"), std::string::npos) << meter.source();
  const std::vector<uint64_t> start = meter.read();
  ASSERT_EQ(start.size(), 2u);
  write(root + "/intel-rapl:0/energy_uj", "30\n");  // wrapped: 1000 - 100 + 30 = 930 uJ
  write(root + "/intel-rapl:0:0/energy_uj", "999999\n");
  write(root + "/intel-rapl:1/energy_uj", "70\n");  // 20 uJ
  EXPECT_NEAR(meter.joules_since(start), 950e-6, 1e-12);
}

TEST(ReportMeter, NoCounterMeansAReasonAndNoNumber) {
  TempDir d;
  const trine::bench::EnergyMeter none(d.path("no-powercap"), d.path("no-perf"));
  EXPECT_FALSE(none.available());
  EXPECT_NE(none.reason().find(d.path("no-powercap")), std::string::npos) << none.reason();
  EXPECT_NE(none.reason().find(d.path("no-perf")), std::string::npos) << none.reason();
  // A zone whose counter cannot be read (needs root on recent kernels) is not a meter either.
  fs::create_directories(d.path("pc/intel-rapl:0"));
  const trine::bench::EnergyMeter unreadable(d.path("pc"), d.path("no-perf"));
  EXPECT_FALSE(unreadable.available());
  EXPECT_NE(unreadable.reason().find("intel-rapl:0/energy_uj"), std::string::npos) << unreadable.reason();
}

// ---------------------------------------------------------------- the command

using trine::testing::CmdResult;

CmdResult run(const std::string& args, const std::string& env = "") { return trine::testing::run_trine(args, env); }

// One measured report of the tiny model (and one small kernel shape) shared by the tests below:
// measuring is the slow part, and the rendering tests need the same numbers anyway.
class ReportCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    const CmdResult mk = run(fmt::format("make-model --preset tiny --out {}", dir_->path("tiny")));
    ASSERT_EQ(mk.status, 0) << mk.out;
    const CmdResult r = run(fmt::format("report -m {} {} --shape 64x256 --out {}", dir_->path("tiny"), fast(),
                                        dir_->path("r.json")));
    ASSERT_EQ(r.status, 0) << r.out;
    doc_ = new json(json::parse(read(dir_->path("r.json"))));
  }
  static void TearDownTestSuite() {
    delete doc_;
    delete dir_;
  }
  void SetUp() override { ASSERT_NE(doc_, nullptr) << "the shared report failed"; }
  static std::string fast() {
    return fmt::format("--prompt 8 --gen 4 --reps 1 --rounds 1 --object-cache {} --db {}", dir_->path("obj"),
                       dir_->path("t.db"));
  }
  static std::string path(const std::string& name) { return dir_->path(name); }
  static const json& host() { return (*doc_)["hosts"][0]; }
  static inline TempDir* dir_ = nullptr;
  static inline json* doc_ = nullptr;
};

TEST_F(ReportCli, JsonHasEveryField) {
  EXPECT_NO_THROW(trine::bench::validate_report(*doc_, "r.json"));
  const json& h = host();
  for (const char* k : {"fingerprint", "cpu", "threads", "usable_isas", "compiler", "date"}) EXPECT_TRUE(h["host"].contains(k)) << k;
  for (const char* k : {"models", "kernels", "energy_estimated", "energy_measured"}) EXPECT_TRUE(h["method"].contains(k)) << k;
  EXPECT_GT(h["roofline"]["read_gbps"].get<double>(), 0);
  EXPECT_GT(h["roofline"]["int8_peak_gmacs"].get<double>(), 0);
  EXPECT_EQ(h["energy_table"]["values"]["int8_add"].get<double>(), 0.007);
  EXPECT_EQ(h["energy_table"]["values"]["fp16_mul"].get<double>(), 0.34);

  ASSERT_EQ(h["models"].size(), 1u);
  const json& m = h["models"][0];
  for (const char* k : {"parameters", "parameters_non_embedding", "memory_bytes", "memory_non_embedding_bytes",
                        "prefill_tok_s", "decode_ms_per_token", "decode_floor_ms_per_token", "floor_fraction",
                        "read_gbps", "bytes_per_token", "bits_per_ternary_weight", "peak_rss_bytes"})
    EXPECT_TRUE(m.contains(k) && m[k].is_number()) << k;
  EXPECT_LT(m["memory_non_embedding_bytes"].get<double>(), m["memory_bytes"].get<double>());
  EXPECT_GT(m["decode_ms_per_token"].get<double>(), 0);
  EXPECT_NEAR(m["floor_fraction"].get<double>(),
              m["decode_floor_ms_per_token"].get<double>() / m["decode_ms_per_token"].get<double>(), 1e-12);
  const json& est = m["energy"]["estimated"];
  EXPECT_EQ(est["kind"], "estimated");
  EXPECT_EQ(est["position"], 8);  // --prompt
  // The tiny model's ternary weights, by hand: 4 layers x (q,o 256x256 x 2 + k,v 128x256 x 2 +
  // gate,up,down 704x256 x 3) = 4 x (131072 + 65536 + 540672) = 2949120, one int8 add each; its
  // head 512 x 256 = 131072 FMAs.
  EXPECT_EQ(est["counts"]["int8_add"].get<uint64_t>(), 2949120u);
  EXPECT_EQ(est["components"].back()["counts"]["fp32_mul"].get<uint64_t>(), 131072u);
  EXPECT_FALSE(est["formula"].get<std::string>().empty());
  const json& mea = m["energy"]["measured"];
  EXPECT_EQ(mea["kind"], "measured");
  if (mea["available"].get<bool>()) EXPECT_GT(mea["j_per_token"].get<double>(), 0);
  else EXPECT_TRUE(mea["j_per_token"].is_null() && !mea["reason"].get<std::string>().empty());

  // 64x256 GEMV: each family's default (never tuned in this fresh database), then the reference.
  const json& ks = h["kernels"];
  ASSERT_EQ(ks.size(), 5u) << ks.dump(1);
  const char* families[] = {"mad", "base3", "lut", "halide"};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(ks[i]["family"], families[i]);
    EXPECT_EQ(ks[i]["variant"], "default");
  }
  EXPECT_EQ(ks[4]["family"], "reference");
  for (const json& k : ks) {
    EXPECT_EQ(k["op"], "gemv");
    EXPECT_GT(k["median_us"].get<double>(), 0);
    EXPECT_GT(k["roofline_us"].get<double>(), 0);
  }
  EXPECT_EQ(ks[4]["bits_per_weight"].get<double>(), 8.0);  // the reference reads int8 weights
}

// The Markdown cell in the row whose first cell is `label`, column `col`.
std::string md_cell(const std::string& md, const std::string& label, std::size_t col) {
  std::stringstream ss(md);
  std::string line;
  while (std::getline(ss, line)) {
    if (!line.starts_with("| " + label + " |")) continue;
    std::vector<std::string> cells;
    std::size_t p = 1;
    while (p < line.size()) {
      const std::size_t q = line.find(" |", p);
      if (q == std::string::npos) break;
      cells.push_back(line.substr(p + 1, q - p - 1));
      p = q + 2;
    }
    return col < cells.size() ? cells[col] : "";
  }
  return "<no row " + label + ">";
}

std::string fmt_c(const char* spec, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

TEST_F(ReportCli, MarkdownShowsTheJsonNumbers) {
  const std::string md = trine::bench::render_markdown(*doc_);
  const json& m = host()["models"][0];
  EXPECT_EQ(md_cell(md, "parameters (M)", 1), fmt_c("%.1f", m["parameters"].get<double>() / 1e6));
  EXPECT_EQ(md_cell(md, "memory, non-embedding (MiB)", 1), fmt_c("%.1f", m["memory_non_embedding_bytes"].get<double>() / 1048576));
  EXPECT_EQ(md_cell(md, "memory, total as loaded (MiB)", 1), fmt_c("%.1f", m["memory_bytes"].get<double>() / 1048576));
  EXPECT_EQ(md_cell(md, "prefill (tokens/s)", 1), fmt_c("%.1f", m["prefill_tok_s"].get<double>()));
  EXPECT_EQ(md_cell(md, "decode latency (ms/token)", 1), fmt_c("%.2f", m["decode_ms_per_token"].get<double>()));
  EXPECT_EQ(md_cell(md, "bandwidth floor (ms/token)", 1), fmt_c("%.2f", m["decode_floor_ms_per_token"].get<double>()));
  EXPECT_EQ(md_cell(md, "floor reached", 1), fmt_c("%.0f%%", 100 * m["floor_fraction"].get<double>()));
  EXPECT_EQ(md_cell(md, "energy/token, estimated (mJ)", 1),
            fmt_c("%.4g", 1e3 * m["energy"]["estimated"]["j_per_token"].get<double>()));
  const json& mea = m["energy"]["measured"];
  EXPECT_EQ(md_cell(md, "energy/token, measured (mJ)", 1),
            mea["available"].get<bool>() ? fmt_c("%.4g", 1e3 * mea["j_per_token"].get<double>()) : "not available");
  // The operation counts, per component and in total, and the kernel rows.
  for (const json& c : m["energy"]["estimated"]["components"])
    EXPECT_EQ(md_cell(md, c["name"].get<std::string>(), 1), std::to_string(c["counts"]["int8_add"].get<uint64_t>()));
  EXPECT_EQ(md_cell(md, "total", 6), std::to_string(m["energy"]["estimated"]["counts"]["fp32_mul"].get<uint64_t>()));
  std::size_t row = 0;
  for (const std::string& line :
       {std::string("| - | gemv | 64x256x1 | mad | default |"), std::string("| - | gemv | 64x256x1 | base3 | default |"),
        std::string("| - | gemv | 64x256x1 | lut | default |"), std::string("| - | gemv | 64x256x1 | halide | default |"),
        std::string("| - | gemv | 64x256x1 | reference | reference |")}) {
    const std::size_t at = md.find(line);
    ASSERT_NE(at, std::string::npos) << line << "\n" << md;
    const std::string rest = md.substr(at, md.find('\n', at) - at);
    const json& k = host()["kernels"][row++];
    EXPECT_NE(rest.find("| " + fmt_c("%.1f", k["median_us"].get<double>()) + " | " + fmt_c("%.1f", k["gbps"].get<double>()) + " |"),
              std::string::npos) << rest;
  }
  // The method and the energy table are printed with the result.
  EXPECT_NE(md.find("int8_add 0.007"), std::string::npos);
  EXPECT_NE(md.find("E_token = 2949120 x 0.007 (int8_add)"), std::string::npos);
  EXPECT_NE(md.find("How the operations are counted"), std::string::npos);
}

TEST_F(ReportCli, CsvHoldsTheJsonValuesExactly) {
  const std::string csv = trine::bench::render_csv(*doc_);
  const json& m = host()["models"][0];
  for (const char* k : {"decode_ms_per_token", "prefill_tok_s", "memory_bytes", "decode_floor_ms_per_token"})
    EXPECT_NE(csv.find(fmt::format(",tiny,{},{},", k, m[k].dump())), std::string::npos) << k << "\n" << csv;
  EXPECT_NE(csv.find(fmt::format(",tiny: total,int8_add,{},ops", m["energy"]["estimated"]["counts"]["int8_add"].dump())),
            std::string::npos);
  EXPECT_NE(csv.find("energy_measured_j_per_token"), std::string::npos);
}

TEST_F(ReportCli, MergePutsHostsSideBySideAndPlots) {
  json other = *doc_;
  other["hosts"][0]["host"]["fingerprint"] = "0123456789abcdef";
  other["hosts"][0]["models"][0]["decode_ms_per_token"] = 123.456;
  write(path("other.json"), other.dump());
  const CmdResult r = run(fmt::format("report --merge {} {} --out {} --plot {}", path("r.json"), path("other.json"),
                                      path("m.md"), path("m.svg")));
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string md = read(path("m.md"));
  EXPECT_NE(md.find("| tiny @ H1 | tiny @ H2 |"), std::string::npos) << md;
  EXPECT_NE(md.find("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(md_cell(md, "decode latency (ms/token)", 2), "123.46");
  EXPECT_NE(md.find("H2 us"), std::string::npos);  // kernel columns per host
  ASSERT_TRUE(fs::exists(path("m.svg")));
  EXPECT_GT(fs::file_size(path("m.svg")), 1000u);
  EXPECT_NE(read(path("m.svg")).find("<svg"), std::string::npos);
  const CmdResult j = run(fmt::format("report --merge {} {} --format json", path("r.json"), path("other.json")));
  ASSERT_EQ(j.status, 0) << j.out;
  EXPECT_EQ(json::parse(j.out)["hosts"].size(), 2u);
}

TEST_F(ReportCli, PlotFilesAreProducedInBothFormats) {
  for (const char* name : {"k.svg", "k.png"}) {
    const CmdResult r = run(fmt::format("report --merge {} --plot {} --out {}", path("r.json"), path(name), path("k.md")));
    ASSERT_EQ(r.status, 0) << r.out;
    ASSERT_TRUE(fs::exists(path(name))) << name;
    EXPECT_GT(fs::file_size(path(name)), 1000u) << name;
  }
  EXPECT_EQ(read(path("k.png")).substr(1, 3), "PNG");
  // Without kernels the picture is decode latency against bits per weight.
  json models_only = *doc_;
  models_only["hosts"][0]["kernels"] = json::array();
  const auto p = trine::bench::plot_script(models_only, path("x.svg"), path("data"));
  EXPECT_NE(p.script.find("bits per ternary weight"), std::string::npos);
  EXPECT_NE(p.data.find(fmt::format("{:.6g}", host()["models"][0]["decode_ms_per_token"].get<double>())), std::string::npos);
}

TEST_F(ReportCli, EnergyTableReplacesTheDefault) {
  write(path("e.json"), R"({"int8_add": 1, "int8_mul": 0, "fp16_add": 0, "fp16_mul": 0, "fp32_add": 0, "fp32_mul": 0})");
  const CmdResult r = run(fmt::format("report -m {} {} --no-kernels --energy-table {} --position 3 --format json",
                                      path("tiny"), fast(), path("e.json")));
  ASSERT_EQ(r.status, 0) << r.out;
  const json doc = json::parse(r.out.substr(r.out.find("{\n")));
  const json& est = doc["hosts"][0]["models"][0]["energy"]["estimated"];
  EXPECT_EQ(est["position"], 3);
  // 1 pJ per int8 add and nothing else: the ternary weights' count in picojoules.
  EXPECT_NEAR(est["j_per_token"].get<double>(), 2949120e-12, 1e-18);
  EXPECT_EQ(doc["hosts"][0]["energy_table"]["source"], path("e.json"));
  EXPECT_TRUE(doc["hosts"][0]["kernels"].empty());
  EXPECT_GT(doc["hosts"][0]["roofline"]["read_gbps"].get<double>(), 0);
}

TEST_F(ReportCli, BadInputGivesClearErrors) {
  auto expect_error = [](const CmdResult& r, const std::string& needle) {
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.out.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.out;
  };
  expect_error(run(fmt::format("report -m {} {} --no-kernels", path("missing-model"), fast())), path("missing-model"));
  write(path("broken/config.json"), "{ not json");
  expect_error(run(fmt::format("report -m {} {} --no-kernels", path("broken"), fast())), path("broken"));
  write(path("short.json"), R"({"int8_add": 1, "int8_mul": 2, "fp16_add": 3, "fp16_mul": 4, "fp32_add": 5})");
  const CmdResult table = run(fmt::format("report -m {} {} --energy-table {}", path("tiny"), fast(), path("short.json")));
  expect_error(table, path("short.json"));
  expect_error(table, "fp32_mul");
  expect_error(run(fmt::format("report --merge {} --out /proc/trine-no-such-dir/r.md", path("r.json"))),
               "--out /proc/trine-no-such-dir/r.md");
  expect_error(run(fmt::format("report --merge {} --out {}", path("r.json"), path(""))), "is a directory");
  expect_error(run(fmt::format("report --merge {} --plot {}", path("r.json"), path("p.pdf"))), ".svg or .png");
  expect_error(run(fmt::format("report --merge {} --plot {}", path("r.json"), path("p.svg")), "PATH=/nonexistent"),
               "gnuplot not found");
  expect_error(run(fmt::format("report --merge {} {}", path("r.json"), path("nope.json"))), path("nope.json"));
  write(path("garbage.json"), "{ nope");
  expect_error(run(fmt::format("report --merge {}", path("garbage.json"))), "not valid JSON");
  json bad = *doc_;
  bad["hosts"][0]["models"][0].erase("decode_ms_per_token");
  write(path("bad.json"), bad.dump());
  expect_error(run(fmt::format("report --merge {}", path("bad.json"))), "decode_ms_per_token");
  expect_error(run(fmt::format("report --merge {} --format html", path("r.json"))), "--format 'html'");
  EXPECT_FALSE(fs::exists(path("p.svg")));
}

}  // namespace
