// Each subcommand registers itself on the app; its callback does the work and may throw Error.
#pragma once
#include <CLI/CLI.hpp>

namespace trine::cli {

void add_info_command(CLI::App& app);
void add_cache_command(CLI::App& app);
#if TRINE_HAVE_KERNELS  // from the JIT or from an AOT table
void add_model_commands(CLI::App& app);
void add_text_commands(CLI::App& app);
void add_kernels_command(CLI::App& app);
void add_bench_command(CLI::App& app);  // `bench -m`, and `bench kernels` in JIT builds
#endif
#if TRINE_HAVE_JIT
void add_tune_command(CLI::App& app);
void add_bench_kernels_command(CLI::App* bench);
void add_report_command(CLI::App& app);
void add_aot_command(CLI::App& app);
#endif

}  // namespace trine::cli
