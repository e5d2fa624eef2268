#include "cli/common.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "runtime/error.h"

namespace trine::cli {

int default_threads() { return std::max(1, host_info().logical_cpus); }

void check_threads(int threads) {
  if (threads < 1 || threads > 256) throw Error(fmt::format("--threads {}: must be between 1 and 256", threads));
}

std::unique_ptr<TuningDb> open_db(const std::string& path) {
  auto db = std::make_unique<TuningDb>(path.empty() ? TuningDb::default_path() : path);
  for (const std::string& w : db->warnings()) fmt::print(stderr, "trine: warning: {}\n", w);
  return db;
}

std::vector<Isa> pick_isas(const std::string& requested, const HostInfo& host, bool best_only) {
  const std::vector<Isa> usable = usable_isas(host);
  if (usable.empty()) throw Error("this CPU has no AVX2: trine's kernels need at least AVX2");
  if (requested.empty()) return best_only ? std::vector<Isa>{usable.front()} : usable;
  const std::optional<Isa> isa = parse_isa(requested);
  if (!isa) throw Error(fmt::format("--isa '{}': unknown (known: avx2, avxvnni, avx512vnni)", requested));
  if (std::find(usable.begin(), usable.end(), *isa) == usable.end())
    throw Error(fmt::format("--isa {}: this CPU cannot run it", requested));
  return {*isa};
}

void Progress::update(const std::string& stage, int done, int total, const std::string& what) {
  if (!init_) {
    tty_ = isatty(STDERR_FILENO);
    init_ = true;
  }
  if (tty_) {
    const int width = 24;
    const int fill = total > 0 ? done * width / total : 0;
    std::string bar(static_cast<size_t>(fill), '#');
    bar.resize(width, '.');
    const std::string count = total > 0 ? fmt::format("{}/{}", done, total) : "";
    fmt::print(stderr, "\r\033[K[{}] {:<8} {:>9} {}", bar, stage, count, what);
    std::fflush(stderr);
    return;
  }
  const std::string key = stage + what;
  if (key == last_key_) return;
  last_key_ = key;
  fmt::print(stderr, "{:<8} {}\n", stage, what);
}

void Progress::finish() {
  if (tty_) fmt::print(stderr, "\r\033[K");
}

std::string Table::str() const {
  std::vector<size_t> w(header_.size(), 0);
  for (size_t i = 0; i < header_.size(); ++i) w[i] = header_[i].size();
  for (const auto& r : rows_)
    for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  auto line = [&](const std::vector<std::string>& r) {
    std::string s;
    for (size_t i = 0; i < w.size(); ++i) {
      const std::string& cell = i < r.size() ? r[i] : "";
      s += fmt::format("{:<{}}", cell, w[i]);
      if (i + 1 < w.size()) s += "  ";
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s + "\n";
  };
  std::string out = line(header_);
  size_t total = 0;
  for (size_t x : w) total += x + 2;
  out += std::string(total - 2, '-') + "\n";
  for (const auto& r : rows_) out += line(r);
  return out;
}

std::string us(double seconds) { return fmt::format("{:.1f}", seconds * 1e6); }

}  // namespace trine::cli
