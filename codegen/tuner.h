// The tuner: for each shape and op, every candidate of every family is compiled, verified bit for
// bit against the scalar reference, and timed as inference runs it; the winner and every trial go
// to the tuning database, and a later run reuses the winner.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "codegen/kernel_compiler.h"
#include "runtime/host.h"
#include "runtime/kernel_spec.h"
#include "runtime/thread_pool.h"
#include "runtime/tuning_db.h"

namespace trine::codegen {

struct Shape {
  int M = 0, K = 0, N = 1;
  std::string label;  // e.g. "q,o"
};

// "MxK" (N = 1) or "MxKxN"; throws Error naming the text.
Shape parse_shape(const std::string& text);

struct TuneOptions {
  std::vector<Shape> shapes;
  std::vector<Isa> isas;             // each tuned separately; the fastest is used at run time
  std::vector<const Family*> families;  // empty: all (each on the ISAs it supports)
  std::size_t cold_bytes = 0;          // weight copies for decode timing; 0: cold_bytes_for(L3)
  double budget_s = 170;             // whole run; split evenly over what remains
  bool force = false;                // retune even where the database has a winner
  uint64_t seed = 1;
};

struct TuneEvent {
  std::string stage;  // "compile", "verify", "time", "done"
  int done = 0, total = 0;
  std::string what;   // e.g. "gemv 2560x2560 avx512vnni"
};
using TuneProgress = std::function<void(const TuneEvent&)>;

// The fastest config of one family on a shape, so families can be compared side by side.
struct FamilyBest {
  std::string family, isa, config;
  TimingStats stats;
  int64_t weight_bytes = 0;  // packed bytes it reads per call
};

struct TuneResult {
  Shape shape;
  Op op = Op::gemv;
  TuneKey key;
  bool cached = false;  // the winner came from the database
  Winner winner;
  std::string default_config;
  std::optional<TimingStats> default_stats, reference_stats;
  int64_t weight_bytes = 0;  // packed bytes the winner reads per call
  std::vector<FamilyBest> family_best;  // fastest first; the winner's family leads
  int candidates = 0, compile_failed = 0, verify_failed = 0;
  std::vector<std::string> failures;  // "family config: why"
};

// The fastest fully timed trial of each family among stored trials, fastest first.
std::vector<FamilyBest> family_best_of(const std::vector<Trial>& trials, Isa isa, const std::vector<const Family*>& fams);

TuneKey make_key(const HostInfo& host, const std::string& compiler, Op op, const Shape& s, int threads, Isa isa);

class Tuner {
 public:
  Tuner(TuningDb& db, CompilerSet& compilers, ThreadPool& pool, const HostInfo& host);
  std::vector<TuneResult> tune(const TuneOptions& opt, const TuneProgress& progress = {});

 private:
  std::optional<TuneResult> from_db(const TuneKey& key, const Shape& s, Isa isa,
                                    const std::vector<const Family*>& fams);
  TuneResult tune_one(const Shape& s, Isa isa, const TuneOptions& opt, const std::vector<const Family*>& fams,
                      const TuneKey& key, double budget_s, uint64_t seed, const TuneProgress& progress);

  TuningDb& db_;
  CompilerSet& compilers_;
  ThreadPool& pool_;
  const HostInfo& host_;
};

}  // namespace trine::codegen
