// The tuning database (SQLite): every trial the tuner ran and the winner per key, so a rerun
// reuses winners and a deployment can ship them as JSON.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

struct sqlite3;

namespace trine {

// Everything that can change which kernel wins.
struct TuneKey {
  std::string host;       // HostInfo::fingerprint
  std::string compiler;   // e.g. "clang-14.0.6"
  std::string generator;  // TRINE_GENERATOR_VERSION
  std::string op;         // "gemv" (N = 1) or "gemm"
  int M = 0, K = 0, N = 0;
  int threads = 0;
  std::string isa;  // ISA the kernel was built for
  bool operator==(const TuneKey&) const = default;
};

struct TimingStats {
  double median_s = 0, p20_s = 0, p80_s = 0, min_s = 0;
  int n = 0;
};

struct Trial {
  TuneKey key;
  std::string family, config;
  std::string status;  // "ok", "compile_failed", "verify_failed", "dropped_early"
  TimingStats stats;
  std::string message;
};

struct Winner {
  TuneKey key;
  std::string family, config;
  TimingStats stats;
  double gbps = 0, gmacs = 0;
  int64_t created_at = 0;  // unix seconds
};

class TuningDb {
 public:
  // $XDG_CACHE_HOME/trine/tuning.db, else $HOME/.cache/trine/tuning.db.
  static std::string default_path();

  // Creates the file and its directory if needed. An unwritable path throws Error naming it. A
  // file that is not a trine database (corrupt, or another schema) is moved aside to
  // PATH.corrupt-<unix time> and a fresh one created; warnings() says so.
  explicit TuningDb(const std::string& path);
  ~TuningDb();
  TuningDb(const TuningDb&) = delete;
  TuningDb& operator=(const TuningDb&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  void record_host(const std::string& fingerprint, const nlohmann::json& description);
  void add_trials(const std::vector<Trial>& trials);  // one transaction
  void put_winner(const Winner& w);                   // replaces the winner of w.key
  std::optional<Winner> winner(const TuneKey& key) const;
  // Fastest stored winner over the given ISAs for a key whose isa field is ignored.
  std::optional<Winner> best_winner(const TuneKey& key, const std::vector<std::string>& isas) const;
  std::vector<Winner> winners() const;  // all, ordered by host, op, M, K, N, threads, isa
  std::vector<Trial> trials(const TuneKey& key) const;
  int64_t trial_count() const;

  // {"format": "trine-tuning", "version": 1, "hosts": [...], "winners": [...]}; import checks every
  // field and throws Error naming the bad entry, leaving the database unchanged.
  nlohmann::json export_json() const;
  int import_json(const nlohmann::json& doc);  // returns winners imported
  void clear();

 private:
  void open_or_rebuild();
  std::optional<std::string> check_existing();
  void create_schema();
  std::string path_;
  sqlite3* db_ = nullptr;
  std::vector<std::string> warnings_;
};

}  // namespace trine
