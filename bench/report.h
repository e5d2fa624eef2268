// `trine report`: the document every output is rendered from. One JSON object is the source of
// truth; Markdown, CSV and the plot are drawn from it, so they cannot disagree, and reports from
// several machines merge by concatenating their host sections.
//
// {"format": "trine-report", "version": 1, "hosts": [{
//    "host": {...}, "method": {...}, "roofline": {...}, "energy_table": {...},
//    "models": [{..., "energy": {"estimated": {...}, "measured": {...}}}], "kernels": [{...}]}]}
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/energy_meter.h"
#include "bench/energy_model.h"
#include "bench/kernel_bench.h"
#include "bench/model_bench.h"
#include "runtime/engine.h"
#include "runtime/host.h"

namespace trine::bench {

struct MeasuredEnergy {
  bool available = false;
  std::string source, reason;  // source when available, reason when not
  double joules = 0, seconds = 0;
  int tokens = 0;
};

// Prefills `prompt` random tokens, then reads the meter around `gen` decode steps only. Returns
// the meter's reason, without running anything, when it has no counter.
MeasuredEnergy measure_decode_energy(Engine& engine, const EnergyMeter& meter, int prompt, int gen);

struct ModelInfo {
  std::string name, path;
  bool synthetic = false, lm_head_int8 = false;
  int position = 0;  // where the energy estimate's token sits
};

nlohmann::json model_json(const ModelInfo& info, const Engine& engine, const ModelBenchReport& bench,
                          const EnergyTable& table, const MeasuredEnergy& measured);

nlohmann::json host_json(const HostInfo& host, int threads, const std::string& compiler);
// Rates in TimingStats (median_s holds GB/s or GMAC/s), as the kernel bench keeps them.
nlohmann::json roofline_json(const TimingStats& read_gbps, const TimingStats& int8_gmacs, const std::string& isa,
                             const std::string& how);
// The roofline probes alone, when no kernels are timed beside them.
nlohmann::json probe_roofline_json(ThreadPool& pool, const HostInfo& host, int rounds);
nlohmann::json method_json(const ModelBenchOptions& models, int kernel_rounds, const std::string& measured_source);

// The whole single-host document.
nlohmann::json make_report(nlohmann::json host, nlohmann::json method, nlohmann::json roofline,
                           nlohmann::json models, nlohmann::json kernels, const EnergyTable& table);

// Before measuring: PATH can be created or overwritten. Throws Error naming the option and path.
void check_output_path(const std::string& path, const std::string& option);

// Throws Error "WHAT: ..." naming the first missing or mistyped field.
void validate_report(const nlohmann::json& doc, const std::string& what);
// Reads and validates one report file; errors name the file.
nlohmann::json read_report_file(const std::string& path);
// Host sections of every report, in order, in one document.
nlohmann::json merge_reports(const std::vector<nlohmann::json>& docs);

}  // namespace trine::bench
