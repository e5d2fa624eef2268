// The report's picture, drawn by gnuplot (a maintained tool, Debian's gnuplot-nox) from the report
// document: kernel time per shape against the roofline when kernels were timed, else decode
// latency against bits per weight. The terminal follows the extension: .svg or .png (pngcairo).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace trine::bench {

// Before anything is measured: the extension is known, gnuplot is installed, the file can be
// written. Throws Error naming --plot.
void check_plot_target(const std::string& path);

// Throws Error naming the file when gnuplot fails or writes nothing.
void write_plot(const nlohmann::json& doc, const std::string& path);

// The gnuplot script and data it runs (exposed so a test can read what would be drawn).
struct PlotScript {
  std::string script, data;
};
PlotScript plot_script(const nlohmann::json& doc, const std::string& out_path, const std::string& data_path);

}  // namespace trine::bench
