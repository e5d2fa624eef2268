// `trine kernels`: the kernels an AOT tree holds, and with --check each one run against the
// scalar reference bit for bit, with a digest of its outputs. The JIT build checks a tree's
// kernels compiled in process, the AOT build its own linked-in table: equal digests show the two
// builds compute the same bits. A kernel for another architecture is listed with the digest of
// the reference's outputs, which that architecture's build must print.
#include <map>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/kernel_backend.h"
#include "runtime/kernel_check.h"
#include "runtime/error.h"
#include "runtime/registry.h"

namespace trine::cli {

namespace {

struct KernelsArgs {
  std::string aot_dir, object_cache;
  bool check = false;
};

// Defaults serve any shape: they are checked on the smallest 2B4T shape plus every tail.
constexpr int kDefaultM = 640, kDefaultK = 2560, kDefaultThreads = 2, kPrefillTokens = 16;

struct CheckResult {
  std::string status;
  uint64_t digest = kDigestSeed;
};

CheckResult check_kernel(const ListedKernel& k, std::map<std::tuple<int, int, int>, std::vector<Problem>>& problems,
                         std::map<int, std::unique_ptr<ThreadPool>>& pools) {
  const int M = k.M ? k.M : kDefaultM, K = k.K ? k.K : kDefaultK, threads = k.threads ? k.threads : kDefaultThreads;
  const int N = k.op == Op::gemv ? 1 : kPrefillTokens;
  auto& probs = problems[{M, K, N}];
  if (probs.empty()) probs = verification_problems(M, K, N, 7);
  if (!k.fn) {
    CheckResult r{"not runnable here"};
    for (const Problem& p : probs) r.digest = reference_digest(p, r.digest);
    return r;
  }
  auto& pool = pools[threads];
  if (!pool) pool = std::make_unique<ThreadPool>(threads);
  CheckResult r;
  for (const Problem& p : probs) {
    const PackedWeights pw = pack_for_kernel(k.family, k.isa, k.config, p.W);
    const std::string err = run_and_compare(p, pw, k.fn, *pool, &r.digest);
    if (!err.empty()) return {"MISMATCH " + err, r.digest};
  }
  r.status = "ok";
  return r;
}

void run(const KernelsArgs& a) {
  const KernelList list = listed_kernels(a.aot_dir, a.object_cache);
  std::vector<std::string> head{"op", "MxK", "threads", "family", "isa", "config"};
  if (a.check) head.insert(head.end(), {"check", "output digest"});
  Table t(head);
  std::map<std::tuple<int, int, int>, std::vector<Problem>> problems;
  std::map<int, std::unique_ptr<ThreadPool>> pools;
  int bad = 0;
  for (const ListedKernel& k : list.kernels) {
    std::vector<std::string> row{op_name(k.op), k.M ? fmt::format("{}x{}", k.M, k.K) : "any",
                                 k.M ? std::to_string(k.threads) : "any", k.family, isa_name(k.isa), k.config};
    if (a.check) {
      const CheckResult r = check_kernel(k, problems, pools);
      bad += r.status.starts_with("MISMATCH");
      row.insert(row.end(), {r.status, fmt::format("{:016x}", r.digest)});
    }
    t.add(row);
  }
  fmt::print("{}", t.str());
  if (bad) throw Error(fmt::format("{} kernels differ from the scalar reference", bad));
}

}  // namespace

void add_kernels_command(CLI::App& app) {
  auto a = std::make_shared<KernelsArgs>();
  auto* cmd = app.add_subcommand("kernels", "List (and --check) the kernels of an AOT build or AOT tree");
  cmd->add_flag("--check", a->check, "Run each kernel against the scalar reference and print an output digest");
#if TRINE_HAVE_JIT
  cmd->add_option("--aot-dir", a->aot_dir, "A tree written by `trine aot` (its kernels are JIT-compiled here)")
      ->required();
  cmd->add_option("--object-cache", a->object_cache, "Directory of compiled kernel objects");
#endif
  cmd->callback([a] { run(*a); });
}

}  // namespace trine::cli
