#include "bench/report.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "bench/roofline.h"
#include "runtime/error.h"
#include "runtime/measure.h"
#include "runtime/isa.h"

namespace trine::bench {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

// Everything a decode step does not stream and the embedding does not hold: the ternary
// projections as packed, and the norms (fp32).
std::size_t non_embedding_bytes(const Engine& e) {
  const ModelDims& d = e.dims();
  const std::size_t qd = std::size_t(d.heads) * d.head_dim;
  const std::size_t norms = std::size_t(d.layers) * (2 * std::size_t(d.hidden) + qd + d.inter) + d.hidden;
  return e.weight_bytes() + norms * sizeof(float);
}

std::size_t kv_cache_bytes(const Engine& e) {
  const ModelDims& d = e.dims();
  return 2 * std::size_t(d.layers) * e.context_limit() * d.kv_heads * d.head_dim * sizeof(float);
}

json estimate_json(const DecodeOpCount& ops, const EnergyTable& table) {
  json comps = json::array();
  for (const ComponentCount& c : ops.components)
    comps.push_back({{"name", c.name}, {"rule", c.rule}, {"counts", c.ops.to_json()}, {"j", energy_joules(c.ops, table)}});
  const OpCounts total = ops.total();
  return {{"kind", "estimated"},
          {"j_per_token", energy_joules(total, table)},
          {"position", ops.position},
          {"attended_positions", ops.position + 1},
          {"counts", total.to_json()},
          {"components", comps},
          {"formula", kEnergyFormula},
          {"method", kOpCountMethod}};
}

json measured_json(const MeasuredEnergy& m) {
  if (!m.available)
    return {{"kind", "measured"}, {"available", false}, {"j_per_token", nullptr}, {"reason", m.reason}};
  return {{"kind", "measured"},      {"available", true},       {"j_per_token", m.joules / m.tokens},
          {"source", m.source},      {"joules", m.joules},      {"tokens", m.tokens},
          {"seconds", m.seconds},    {"watts", m.joules / m.seconds}};
}

}  // namespace

MeasuredEnergy measure_decode_energy(Engine& engine, const EnergyMeter& meter, int prompt, int gen) {
  MeasuredEnergy m;
  if (!meter.available()) {
    m.reason = meter.reason();
    return m;
  }
  std::mt19937 rng(2);
  std::uniform_int_distribution<int> tok(0, engine.dims().vocab - 1);
  std::vector<int> ids(static_cast<std::size_t>(prompt));
  for (int& id : ids) id = tok(rng);
  std::vector<float> logits;
  engine.reset();
  engine.forward(ids.data(), prompt, false, logits);
  const std::vector<uint64_t> start = meter.read();
  const auto t0 = Clock::now();
  for (int g = 0; g < gen; ++g) {
    const int next = tok(rng);
    engine.forward(&next, 1, false, logits);
  }
  m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  m.joules = meter.joules_since(start);
  m.tokens = gen;
  m.available = true;
  m.source = meter.source();
  return m;
}

json model_json(const ModelInfo& info, const Engine& engine, const ModelBenchReport& b, const EnergyTable& table,
                const MeasuredEnergy& measured) {
  const ParamCounts p = count_parameters(engine.dims());
  const DecodeOpCount ops = count_decode_ops(engine.dims(), info.position, info.lm_head_int8);
  json j = {{"name", info.name},
            {"path", info.path},
            {"synthetic", info.synthetic},
            {"lm_head", info.lm_head_int8 ? "int8" : "full"},
            {"threads", b.threads},
            {"context", engine.context_limit()},
            {"parameters", p.total},
            {"parameters_non_embedding", p.non_embedding()},
            {"parameters_ternary", p.ternary},
            {"bits_per_ternary_weight", 8.0 * static_cast<double>(engine.weight_bytes()) / static_cast<double>(p.ternary)},
            {"memory_bytes", engine.memory_bytes()},
            {"memory_non_embedding_bytes", non_embedding_bytes(engine)},
            {"kv_cache_bytes", kv_cache_bytes(engine)},
            {"peak_rss_bytes", b.peak_rss_bytes},
            {"load_s", b.load_s},
            {"prompt_tokens", b.prompt},
            {"gen_tokens", b.gen},
            {"reps", b.prefill.n},
            {"prefill_tok_s", b.prefill_tok_s()},
            {"decode_ms_per_token", b.decode_ms_per_token()},
            {"decode_ms_p20", 1e3 * b.decode_token.p20_s},
            {"decode_ms_p80", 1e3 * b.decode_token.p80_s},
            {"decode_tok_s", 1e3 / b.decode_ms_per_token()},
            {"bytes_per_token", b.bytes_per_token},
            {"read_gbps", b.read_gbps.median_s},
            {"decode_floor_ms_per_token", b.floor_ms_per_token()},
            {"floor_fraction", b.floor_ms_per_token() / b.decode_ms_per_token()}};
  j["energy"] = {{"estimated", estimate_json(ops, table)}, {"measured", measured_json(measured)}};
  return j;
}

json host_json(const HostInfo& host, int threads, const std::string& compiler) {
  json isas = json::array();
  for (Isa i : usable_isas(host)) isas.push_back(isa_name(i));
  return {{"fingerprint", host.fingerprint}, {"cpu", host.model_name},      {"vendor", host.vendor},
          {"logical_cpus", host.logical_cpus}, {"threads", threads},        {"l3_bytes", host.cache.l3},
          {"usable_isas", isas},              {"trine", TRINE_VERSION},    {"generator", TRINE_GENERATOR_VERSION},
          {"compiler", compiler},             {"date", utc_now()}};
}

json roofline_json(const TimingStats& read, const TimingStats& peak, const std::string& isa, const std::string& how) {
  return {{"read_gbps", read.median_s},     {"read_gbps_p20", read.p20_s},   {"read_gbps_p80", read.p80_s},
          {"int8_peak_gmacs", peak.median_s}, {"int8_peak_gmacs_p80", peak.p80_s}, {"int8_peak_isa", isa},
          {"probes", read.n},                 {"how", how}};
}

json probe_roofline_json(ThreadPool& pool, const HostInfo& host, int rounds) {
  const Isa isa = usable_isas(host).front();
  ReadProbe probe(pool, read_probe_bytes(host));
  probe.gbps();  // warms the TLB and wakes the workers, as the kernel bench does
  std::vector<double> bw, peak;
  for (int r = 0; r < rounds; ++r) {
    bw.push_back(probe.gbps());
    peak.push_back(int8_peak_gmacs(pool, isa));
  }
  return roofline_json(summarize(bw), summarize(peak), isa_name(isa),
                       fmt::format("{} probes after the models ran (no kernels timed)", rounds));
}

json method_json(const ModelBenchOptions& m, int kernel_rounds, const std::string& measured) {
  return {
      {"models", fmt::format("per model: {} repetitions of a {}-token random prompt (prefill, one call) and {} decoded "
                             "tokens (each timed); medians. DRAM read bandwidth probed before and after each "
                             "repetition; bandwidth floor = bytes streamed per decoded token / that bandwidth. Memory: "
                             "non-embedding = packed ternary weights + norms; total = everything as loaded, the KV "
                             "cache for the whole context included",
                             m.reps, m.prompt, m.gen)},
      {"kernels", kernel_rounds > 0
                      ? fmt::format("each family's stored winner and default config, timed under the tuner's "
                                    "protocol (GEMVs rotate over copies of the weights larger than the LLC; shuffled "
                                    "interleaved repetitions), in {} rounds with roofline probes before and after; "
                                    "% columns are medians over rounds of each round's rate over its own probes. The "
                                    "scalar reference runs single-threaded as written, weights hot, and is compared "
                                    "with the median probes",
                                    kernel_rounds)
                      : "not run (--no-kernels)"},
      {"energy_estimated", std::string(kOpCountMethod) + ". " + kEnergyFormula},
      {"energy_measured", measured}};
}

json make_report(json host, json method, json roofline, json models, json kernels, const EnergyTable& table) {
  json h = {{"host", std::move(host)},       {"method", std::move(method)},   {"roofline", std::move(roofline)},
            {"energy_table", table.to_json()}, {"models", std::move(models)}, {"kernels", std::move(kernels)}};
  return {{"format", "trine-report"}, {"version", 1}, {"hosts", json::array({std::move(h)})}};
}

namespace {

enum class T { str, num, boolean, obj, arr };

bool has_type(const json& v, T t) {
  switch (t) {
    case T::str: return v.is_string();
    case T::num: return v.is_number();
    case T::boolean: return v.is_boolean();
    case T::obj: return v.is_object();
    case T::arr: return v.is_array();
  }
  return false;
}

const json& need(const json& o, const std::string& key, T t, const std::string& where) {
  if (!o.is_object() || !o.contains(key)) throw Error(fmt::format("{}: missing \"{}\"", where, key));
  if (!has_type(o[key], t)) throw Error(fmt::format("{}: \"{}\" has the wrong type", where, key));
  return o[key];
}

void need_all(const json& o, const std::vector<std::pair<const char*, T>>& fields, const std::string& where) {
  for (const auto& [k, t] : fields) need(o, k, t, where);
}

void validate_counts(const json& c, const std::string& where) {
  for (OpKind k : all_op_kinds()) need(c, op_kind_name(k), T::num, where);
}

void validate_model(const json& m, const std::string& where) {
  need_all(m, {{"name", T::str}, {"path", T::str}, {"synthetic", T::boolean}, {"parameters", T::num},
               {"parameters_non_embedding", T::num}, {"bits_per_ternary_weight", T::num}, {"memory_bytes", T::num},
               {"memory_non_embedding_bytes", T::num}, {"prefill_tok_s", T::num}, {"decode_ms_per_token", T::num},
               {"bytes_per_token", T::num}, {"read_gbps", T::num}, {"decode_floor_ms_per_token", T::num},
               {"floor_fraction", T::num}, {"threads", T::num}, {"energy", T::obj}},
           where);
  const json& est = need(m["energy"], "estimated", T::obj, where + ".energy");
  need_all(est, {{"kind", T::str}, {"j_per_token", T::num}, {"position", T::num}, {"formula", T::str},
                 {"components", T::arr}, {"counts", T::obj}},
           where + ".energy.estimated");
  validate_counts(est["counts"], where + ".energy.estimated.counts");
  const json& mea = need(m["energy"], "measured", T::obj, where + ".energy");
  need_all(mea, {{"kind", T::str}, {"available", T::boolean}}, where + ".energy.measured");
  if (mea["available"].get<bool>()) need_all(mea, {{"j_per_token", T::num}, {"source", T::str}}, where + ".energy.measured");
  else need(mea, "reason", T::str, where + ".energy.measured");
}

void validate_kernel(const json& k, const std::string& where) {
  need_all(k, {{"label", T::str}, {"op", T::str}, {"M", T::num}, {"K", T::num}, {"N", T::num}, {"family", T::str},
               {"variant", T::str}, {"isa", T::str}, {"config", T::str}, {"median_us", T::num}, {"gbps", T::num},
               {"gmacs", T::num}, {"bits_per_weight", T::num}, {"frac_read_bw", T::num}, {"frac_int8_peak", T::num},
               {"roofline_us", T::num}, {"frac_roofline", T::num}},
           where);
}

}  // namespace

void validate_report(const json& doc, const std::string& what) {
  if (!doc.is_object() || !doc.contains("format") || doc["format"] != "trine-report")
    throw Error(fmt::format("{}: not a trine report (\"format\": \"trine-report\" missing)", what));
  if (!doc.contains("version") || doc["version"] != 1)
    throw Error(fmt::format("{}: unsupported report version (expected 1)", what));
  const json& hosts = need(doc, "hosts", T::arr, what);
  if (hosts.empty()) throw Error(fmt::format("{}: \"hosts\" is empty", what));
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const std::string w = fmt::format("{}: hosts[{}]", what, i);
    const json& h = hosts[i];
    need_all(need(h, "host", T::obj, w), {{"fingerprint", T::str}, {"cpu", T::str}, {"threads", T::num}}, w + ".host");
    need_all(need(h, "method", T::obj, w),
             {{"models", T::str}, {"kernels", T::str}, {"energy_estimated", T::str}, {"energy_measured", T::str}},
             w + ".method");
    need_all(need(h, "roofline", T::obj, w), {{"read_gbps", T::num}, {"int8_peak_gmacs", T::num}}, w + ".roofline");
    validate_counts(need(need(h, "energy_table", T::obj, w), "values", T::obj, w + ".energy_table"),
                    w + ".energy_table.values");
    const json& models = need(h, "models", T::arr, w);
    for (std::size_t m = 0; m < models.size(); ++m) validate_model(models[m], fmt::format("{}.models[{}]", w, m));
    const json& kernels = need(h, "kernels", T::arr, w);
    for (std::size_t k = 0; k < kernels.size(); ++k) validate_kernel(kernels[k], fmt::format("{}.kernels[{}]", w, k));
  }
}

void check_output_path(const std::string& path, const std::string& option) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw Error(fmt::format("{} {}: is a directory", option, path));
  if (fs::exists(path, ec)) {
    if (access(path.c_str(), W_OK) != 0)
      throw Error(fmt::format("{} {}: cannot write: {}", option, path, std::strerror(errno)));
    return;
  }
  const fs::path parent = fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
  if (!fs::is_directory(parent, ec))
    throw Error(fmt::format("{} {}: cannot write: directory {} does not exist", option, path, parent.string()));
  if (access(parent.c_str(), W_OK | X_OK) != 0)
    throw Error(fmt::format("{} {}: cannot write into {}: {}", option, path, parent.string(), std::strerror(errno)));
}

json read_report_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot read: cannot open ({})", path, std::strerror(errno)));
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: not valid JSON: {}", path, e.what()));
  }
  validate_report(doc, path);
  return doc;
}

json merge_reports(const std::vector<json>& docs) {
  json hosts = json::array();
  for (const json& d : docs)
    for (const json& h : d["hosts"]) hosts.push_back(h);
  return {{"format", "trine-report"}, {"version", 1}, {"hosts", hosts}};
}

}  // namespace trine::bench
