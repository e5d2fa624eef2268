// Running the `trine` binary from a test, and a scratch directory per test.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace trine::testing {

struct CmdResult {
  int status = -1;
  std::string out;  // stdout and stderr together
};

// env: assignments put before the command, e.g. "PATH=/nowhere".
inline CmdResult run_trine(const std::string& args, const std::string& env = "") {
  CmdResult r;
  const std::string cmd = fmt::format("{} {} {} 2>&1", env, TRINE_BINARY, args);
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("trine_{}_{}_{}", info->test_suite_name(), info->name(), getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

}  // namespace trine::testing
