#include "bench/plot.h"

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "bench/report.h"
#include "bench/report_render.h"
#include "runtime/error.h"

extern char** environ;

namespace trine::bench {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string extension(const std::string& path) {
  std::string e = fs::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e;
}

std::string find_gnuplot() {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    const std::string p = dir + "/gnuplot";
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

// gnuplot single-quoted strings take '' for a quote.
std::string gp_string(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

std::string data_label(std::string s) {
  std::replace(s.begin(), s.end(), '"', '\'');
  return "\"" + s + "\"";
}

std::string terminal_for(const std::string& path) {
  return extension(path) == ".svg" ? "set terminal svg size 1000,560 dynamic noenhanced font 'sans,11' background '#ffffff'"
                                   : "set terminal pngcairo size 1000,560 noenhanced font 'sans,10'";
}

std::string val(const json& v) { return v.is_number() ? fmt::format("{:.6g}", v.get<double>()) : "?"; }

std::string category(const json& k) {
  return fmt::format("{} {} {}x{}x{}", k["label"].get<std::string>(), k["op"].get<std::string>(), k["M"].get<int>(),
                     k["K"].get<int>(), k["N"].get<int>());
}

std::string series_name(const json& k) {
  return k["family"] == "reference" ? "reference" : k["family"].get<std::string>() + " " + k["variant"].get<std::string>();
}

template <class T>
std::size_t index_of(std::vector<T>& v, const T& x) {
  const auto it = std::find(v.begin(), v.end(), x);
  if (it != v.end()) return static_cast<std::size_t>(it - v.begin());
  v.push_back(x);
  return v.size() - 1;
}

// One category per shape and op; one series per host, family and variant, beside the roofline.
PlotScript kernel_plot(const json& hosts, const std::string& data_path) {
  std::vector<std::string> cats;
  std::vector<std::pair<std::size_t, std::string>> series;  // host, "family variant"
  for (std::size_t h = 0; h < hosts.size(); ++h)
    for (const json& k : hosts[h]["kernels"]) {
      index_of(cats, category(k));
      index_of(series, std::pair{h, series_name(k)});
    }
  // Columns: index, label, then per series its median, then per host its roofline.
  std::vector<std::vector<std::string>> rows(cats.size());
  for (std::size_t c = 0; c < cats.size(); ++c) {
    rows[c] = {std::to_string(c), data_label(cats[c])};
    rows[c].resize(2 + series.size() + hosts.size(), "?");
  }
  for (std::size_t h = 0; h < hosts.size(); ++h)
    for (const json& k : hosts[h]["kernels"]) {
      const std::size_t c = index_of(cats, category(k)), s = index_of(series, std::pair{h, series_name(k)});
      rows[c][2 + s] = val(k["median_us"]);
    }
  // Each category's roofline is the tightest any family's layout allows; the reference reads
  // unpacked int8 weights, so its own (4x the bytes) only stands in where no kernel was timed.
  for (std::size_t h = 0; h < hosts.size(); ++h)
    for (std::size_t c = 0; c < cats.size(); ++c) {
      double best = 0, ref = 0;
      for (const json& k : hosts[h]["kernels"]) {
        if (category(k) != cats[c] || !k["roofline_us"].is_number()) continue;
        double& slot = k["family"] == "reference" ? ref : best;
        const double r = k["roofline_us"].get<double>();
        if (slot == 0 || r < slot) slot = r;
      }
      if (best > 0 || ref > 0) rows[c][2 + series.size() + h] = val(json(best > 0 ? best : ref));
    }
  PlotScript p;
  for (const auto& r : rows) {
    for (const std::string& f : r) p.data += f + " ";
    p.data += "\n";
  }
  const bool many = hosts.size() > 1;
  p.script += "set title 'trine kernels: median time per call against the roofline (lower is faster)'\n"
              "set logscale y\nset ylabel 'time per call, us (log scale)'\nset grid ytics\n"
              "set key inside left top opaque box\nset datafile missing '?'\nset xtics rotate by 30 right\n"
              "set bmargin 8\nset lmargin 12\nset offsets 0, 0, graph 0.3, 0\n";
  p.script += fmt::format("set xrange [-0.6:{}]\n", static_cast<double>(cats.size()) - 0.4);
  // Explicit tics: a series' xtic() would sit at that series' offset, not the category centre.
  std::string tics;
  for (std::size_t c = 0; c < cats.size(); ++c) tics += fmt::format("{}{} {}", c ? ", " : "", gp_string(cats[c]), c);
  p.script += "set xtics (" + tics + ")\n";
  std::string plot = "plot ";
  const double width = 0.6;
  for (std::size_t s = 0; s < series.size(); ++s) {
    const double off = series.size() > 1 ? -width / 2 + width * static_cast<double>(s) / (series.size() - 1) : 0;
    plot += fmt::format("{} using ($1+{:.3f}):{} with points pt {} ps 1.3 title {}, \\\n  ",
                        s == 0 ? gp_string(data_path) : "''", off, 3 + s, 5 + (s % 4) * 2,
                        gp_string((many ? host_label(series[s].first) + " " : "") + series[s].second));
  }
  for (std::size_t h = 0; h < hosts.size(); ++h)
    plot += fmt::format("'' using ($1-0.4):{}:(0.8):(0) with vectors nohead lw 3 lc rgb '{}' title {}{}", 3 + series.size() + h,
                        h == 0 ? "#000000" : "#888888", gp_string((many ? host_label(h) + " " : "") + "roofline: max(bytes / read BW, MACs / int8 peak)"),
                        h + 1 < hosts.size() ? ", \\\n  " : "\n");
  p.script += plot;
  return p;
}

// Each model at its bits per weight: measured decode latency and the bandwidth floor.
PlotScript model_plot(const json& hosts, const std::string& data_path) {
  PlotScript p;
  std::string plot = "plot ";
  int idx = 0;
  for (std::size_t h = 0; h < hosts.size(); ++h)
    for (const json& m : hosts[h]["models"]) {
      p.data += fmt::format("{} {} {}\n\n\n", val(m["bits_per_ternary_weight"]), val(m["decode_ms_per_token"]),
                            val(m["decode_floor_ms_per_token"]));
      const std::string name = m["name"].get<std::string>() + (hosts.size() > 1 ? " @ " + host_label(h) : "");
      plot += fmt::format("{}{} index {} using 1:2 with points pt 7 ps 1.6 title {}, '' index {} using 1:3 with points "
                          "pt 6 ps 1.6 title {}",
                          idx ? ", \\\n  " : "", gp_string(data_path), idx, gp_string(name + " decode"), idx,
                          gp_string(name + " bandwidth floor"));
      ++idx;
    }
  if (idx == 0) throw Error("the report has neither models nor kernels to plot");
  p.script += "set title 'trine: decode latency against bits per weight'\nset xlabel 'bits per ternary weight (as packed)'\n"
              "set ylabel 'ms per token'\nset grid\nset key outside right top\nset datafile missing '?'\n"
              "set xrange [0:*]\nset yrange [0:*]\nset offsets 0.5, 0.5, 0, 0\n";
  p.script += plot + "\n";
  return p;
}

}  // namespace

void check_plot_target(const std::string& path) {
  const std::string ext = extension(path);
  if (ext != ".svg" && ext != ".png") throw Error(fmt::format("--plot {}: expected a .svg or .png file name", path));
  if (find_gnuplot().empty())
    throw Error(fmt::format("--plot {}: gnuplot not found in PATH (Debian: apt-get install gnuplot-nox, or run "
                            "scripts/install-deps.sh)", path));
  check_output_path(path, "--plot");
}

PlotScript plot_script(const json& doc, const std::string& out_path, const std::string& data_path) {
  const json& hosts = doc["hosts"];
  bool kernels = false;
  for (const json& h : hosts) kernels |= !h["kernels"].empty();
  PlotScript p = kernels ? kernel_plot(hosts, data_path) : model_plot(hosts, data_path);
  p.script = terminal_for(out_path) + "\nset output " + gp_string(out_path) + "\n" + p.script + "set output\n";
  return p;
}

void write_plot(const json& doc, const std::string& path) {
  check_plot_target(path);
  std::string tmpl = (fs::temp_directory_path() / "trine-plot-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw Error(fmt::format("--plot {}: cannot create a temporary directory", path));
  const fs::path dir = tmpl;
  const std::string data = (dir / "data.txt").string(), script = (dir / "plot.gp").string(), err = (dir / "stderr.txt").string();
  const PlotScript p = plot_script(doc, path, data);
  std::ofstream(data) << p.data;
  std::ofstream(script) << p.script;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  const std::string exe = find_gnuplot();
  char* argv[] = {const_cast<char*>("gnuplot"), const_cast<char*>(script.c_str()), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  if (rc == 0) waitpid(pid, &status, 0);
  std::ifstream ein(err);
  std::string msg((std::istreambuf_iterator<char>(ein)), std::istreambuf_iterator<char>());
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (rc != 0) throw Error(fmt::format("--plot {}: cannot run {}: {}", path, exe, std::strerror(rc)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(fmt::format("--plot {}: gnuplot failed: {}", path, msg.substr(0, 600)));
  if (!fs::exists(path) || fs::file_size(path) == 0)
    throw Error(fmt::format("--plot {}: gnuplot wrote nothing: {}", path, msg.substr(0, 600)));
}

}  // namespace trine::bench
