// Measured energy, where the machine exposes a counter: RAPL package domains through
// /sys/class/powercap (intel-rapl:N/energy_uj), else the perf "power" PMU's energy-pkg event.
// Nothing is estimated here: without a readable counter the meter says why, and the report
// prints that reason instead of a number.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace trine::bench {

class EnergyMeter {
 public:
  // Roots are parameters so tests can point them at a fake sysfs tree.
  explicit EnergyMeter(const std::string& powercap_root = "/sys/class/powercap",
                       const std::string& perf_power_root = "/sys/bus/event_source/devices/power");
  ~EnergyMeter();
  EnergyMeter(const EnergyMeter&) = delete;
  EnergyMeter& operator=(const EnergyMeter&) = delete;

  bool available() const { return !domains_.empty() || !perf_fds_.empty(); }
  const std::string& source() const { return source_; }   // what is read, when available
  const std::string& reason() const { return reason_; }   // why not, when unavailable

  // A reading to pass to joules_since(): one counter value per domain.
  std::vector<uint64_t> read() const;
  // Joules consumed since `start`, each powercap counter's wraparound undone with its
  // max_energy_range_uj (one wrap per domain at most between two readings).
  double joules_since(const std::vector<uint64_t>& start) const;

 private:
  struct Domain {
    std::string energy_file;
    uint64_t max_range_uj = 0;
  };
  bool open_powercap(const std::string& root);
  bool open_perf(const std::string& root);
  std::vector<Domain> domains_;
  std::vector<int> perf_fds_;
  double perf_joules_per_count_ = 0;
  std::string source_, reason_;
};

}  // namespace trine::bench
