// Pieces every `trine` subcommand shares: option defaults, opening the tuning database with its
// warnings shown, progress output and tables.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "runtime/host.h"
#include "runtime/isa.h"
#include "runtime/tuning_db.h"

namespace trine::cli {

int default_threads();
std::unique_ptr<TuningDb> open_db(const std::string& path);  // empty: the default path
// The ISAs to use: `requested` (checked usable, else Error naming --isa), or every usable one.
std::vector<Isa> pick_isas(const std::string& requested, const HostInfo& host, bool best_only);
void check_threads(int threads);

// One status line redrawn in place on a terminal; plain lines, at most one per stage, otherwise.
class Progress {
 public:
  void update(const std::string& stage, int done, int total, const std::string& what);
  void finish();

 private:
  bool tty_ = false, init_ = false;
  std::string last_key_;
};

// Fixed-width text table with a header rule.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string str() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

std::string us(double seconds);  // "123.4"

}  // namespace trine::cli
