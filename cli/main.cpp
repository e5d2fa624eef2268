// trine: tune, benchmark and run ternary (BitNet b1.58) kernels.
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "runtime/error.h"

int main(int argc, char** argv) {
  CLI::App app{"trine: generates, JIT-compiles and autotunes ternary-weight x int8 kernels"};
  app.set_version_flag("--version", std::string("trine ") + TRINE_VERSION);
  app.require_subcommand(1);
  trine::cli::add_info_command(app);
  trine::cli::add_cache_command(app);
#if TRINE_HAVE_KERNELS
  trine::cli::add_model_commands(app);
  trine::cli::add_text_commands(app);
  trine::cli::add_kernels_command(app);
  trine::cli::add_bench_command(app);
#endif
#if TRINE_HAVE_JIT
  trine::cli::add_tune_command(app);
  trine::cli::add_report_command(app);
  trine::cli::add_aot_command(app);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const trine::Error& e) {
    fmt::print(stderr, "trine: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "trine: internal error: {}\n", e.what());
    return 2;
  }
  return 0;
}
