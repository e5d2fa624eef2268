#include "bench/energy_meter.h"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace trine::bench {

namespace fs = std::filesystem;

namespace {

bool read_text(const std::string& path, std::string& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return !in.bad();
}

bool read_u64(const std::string& path, uint64_t& v) {
  std::string s;
  if (!read_text(path, s) || s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  v = std::strtoull(s.c_str(), &end, 10);
  return errno == 0 && *end == '\0';
}

// "intel-rapl:0" is a package; "intel-rapl:0:1" a sub-zone inside it (core, uncore, dram)
// whose energy the package already includes, so only packages are summed.
bool is_package_zone(const std::string& name) {
  return name.starts_with("intel-rapl:") && std::count(name.begin(), name.end(), ':') == 1;
}

// "0", "0,64" or "0-1": the CPUs to open the package counter on, one per package.
std::vector<int> parse_cpu_list(const std::string& s) {
  std::vector<int> cpus;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto dash = item.find('-');
    const int a = std::atoi(item.c_str());
    const int b = dash == std::string::npos ? a : std::atoi(item.c_str() + dash + 1);
    for (int c = a; c <= b; ++c) cpus.push_back(c);
  }
  return cpus;
}

}  // namespace

EnergyMeter::EnergyMeter(const std::string& powercap_root, const std::string& perf_power_root) {
  if (open_powercap(powercap_root)) return;
  const std::string powercap_why = reason_;
  if (open_perf(perf_power_root)) return;
  reason_ = powercap_why + "; " + reason_ + "; no GPU backend (NVML) in trine yet";
}

EnergyMeter::~EnergyMeter() {
  for (int fd : perf_fds_) close(fd);
}

bool EnergyMeter::open_powercap(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    reason_ = fmt::format("no {} (no RAPL through powercap)", root);
    return false;
  }
  std::vector<std::string> zones;
  for (const auto& e : fs::directory_iterator(root, ec))
    if (is_package_zone(e.path().filename().string())) zones.push_back(e.path().string());
  std::sort(zones.begin(), zones.end());
  if (zones.empty()) {
    reason_ = fmt::format("no RAPL package zone (intel-rapl:N) under {}", root);
    return false;
  }
  std::vector<std::string> names;
  for (const std::string& z : zones) {
    Domain d{z + "/energy_uj", 0};
    uint64_t probe = 0;
    if (!read_u64(d.energy_file, probe)) {
      reason_ = fmt::format("cannot read {} ({}; reading RAPL needs root since Linux 5.10)", d.energy_file,
                            std::strerror(errno ? errno : EACCES));
      domains_.clear();
      return false;
    }
    if (!read_u64(z + "/max_energy_range_uj", d.max_range_uj)) d.max_range_uj = 0;
    std::string name;
    names.push_back(read_text(z + "/name", name) ? name : fs::path(z).filename().string());
    domains_.push_back(d);
  }
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  source_ = fmt::format("RAPL via {} ({}): whole-package energy, including anything else the package ran", root, list);
  return true;
}

bool EnergyMeter::open_perf(const std::string& root) {
  uint64_t type = 0;
  std::string event, scale, cpumask;
  if (!read_u64(root + "/type", type)) {
    reason_ = fmt::format("no perf power PMU ({}/type)", root);
    return false;
  }
  if (!read_text(root + "/events/energy-pkg", event) || !read_text(root + "/events/energy-pkg.scale", scale)) {
    reason_ = fmt::format("the perf power PMU at {} has no energy-pkg event", root);
    return false;
  }
  const auto eq = event.find("event=");
  if (eq == std::string::npos) {
    reason_ = fmt::format("{}/events/energy-pkg: unexpected '{}'", root, event);
    return false;
  }
  const uint64_t config = std::strtoull(event.c_str() + eq + 6, nullptr, 0);
  perf_joules_per_count_ = std::strtod(scale.c_str(), nullptr);
  std::vector<int> cpus = read_text(root + "/cpumask", cpumask) ? parse_cpu_list(cpumask) : std::vector<int>{0};
  for (int cpu : cpus) {
    perf_event_attr attr{};
    attr.type = static_cast<uint32_t>(type);
    attr.size = sizeof(attr);
    attr.config = config;
    const long fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, 0);
    if (fd < 0) {
      reason_ = fmt::format("perf energy-pkg on cpu {}: {} (needs root or perf_event_paranoid <= 0)", cpu, std::strerror(errno));
      for (int f : perf_fds_) close(f);
      perf_fds_.clear();
      return false;
    }
    perf_fds_.push_back(static_cast<int>(fd));
  }
  source_ = fmt::format("perf power/energy-pkg on {} package(s): whole-package energy, including anything else "
                        "the package ran", perf_fds_.size());
  return true;
}

std::vector<uint64_t> EnergyMeter::read() const {
  std::vector<uint64_t> v;
  for (const Domain& d : domains_) {
    uint64_t x = 0;
    read_u64(d.energy_file, x);
    v.push_back(x);
  }
  for (int fd : perf_fds_) {
    uint64_t x = 0;
    if (::read(fd, &x, sizeof(x)) != sizeof(x)) x = 0;
    v.push_back(x);
  }
  return v;
}

double EnergyMeter::joules_since(const std::vector<uint64_t>& start) const {
  const std::vector<uint64_t> now = read();
  double j = 0;
  for (std::size_t i = 0; i < domains_.size() && i < start.size(); ++i) {
    const uint64_t a = start[i], b = now[i];
    const uint64_t uj = b >= a ? b - a : b + domains_[i].max_range_uj - a;
    j += static_cast<double>(uj) * 1e-6;
  }
  for (std::size_t i = domains_.size(); i < now.size() && i < start.size(); ++i)
    j += static_cast<double>(now[i] - start[i]) * perf_joules_per_count_;
  return j;
}

}  // namespace trine::bench
