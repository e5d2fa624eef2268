// The report's kernel table: the kernel bench's rows labelled by variant (a family's stored
// winner or its default), with the scalar reference beside them and each row's roofline time.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/kernel_bench.h"
#include "runtime/problems.h"

namespace trine::bench {

struct ReferenceTiming {
  std::string label;
  int M = 0, K = 0, N = 1;
  TimingStats stats;
};

// The scalar reference on the problem's weights, single-threaded as written, `reps` calls. It is
// slow (a 2560x6912 GEMM at N = 128 takes seconds), so callers keep reps small.
ReferenceTiming time_reference(const Problem& p, const std::string& label, int reps);

// variants[i] labels rep.rows[i]. Each shape's reference row follows that shape's kernel rows.
nlohmann::json kernel_rows_json(const BenchReport& rep, const std::vector<std::string>& variants,
                                const std::vector<ReferenceTiming>& refs);

}  // namespace trine::bench
