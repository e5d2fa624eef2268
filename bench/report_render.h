// Markdown and CSV drawn from the report document (bench/report.h): nothing here measures or
// computes a figure the JSON does not hold, so the three formats always agree.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace trine::bench {

// Tables for people: hosts side by side (one column per host and model; kernel columns per
// host when there are several), the energy estimate's counts, table and formula, the method.
std::string render_markdown(const nlohmann::json& doc);
// One row per figure (section, host, subject, metric, value, unit, note), values exactly as the
// JSON holds them, for spreadsheets.
std::string render_csv(const nlohmann::json& doc);

// "H1", "H2", ...: how the tables and the plot name host sections.
std::string host_label(std::size_t index);

}  // namespace trine::bench
