// Test-only helpers for the subprocess tests of the `credsim` binary (cli_test.cc,
// cli_hardening_test.cc): a fixture with a private work directory and Run(), which starts
// the binary without a shell (cli/subprocess.h).
//
// The binary is $CREDSIM_BIN (set by ctest); otherwise `credsim` beside the test binary.
// If neither exists the tests are skipped with a message.
#ifndef CREDSIM_CLI_CLI_TEST_UTIL_H_
#define CREDSIM_CLI_CLI_TEST_UTIL_H_

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/subprocess.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace credsim {
namespace testing_util {

namespace fs = std::filesystem;
using ::nlohmann::json;

inline constexpr int kOk = 0, kFailed = 1, kBadInput = 2;

inline std::string FindBinary() {
  if (const char* env = std::getenv("CREDSIM_BIN"); env && *env && fs::exists(env)) return env;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path beside = self.parent_path() / "credsim";
    if (fs::exists(beside)) return beside.string();
  }
  return "";
}

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const fs::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
}

// Splits on spaces (no quoting of any kind: arguments with spaces go through RunArgv).
inline std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Every file below `dir` (relative paths), to check that a command wrote nothing.
inline std::set<std::string> Listing(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.insert(fs::relative(e.path(), dir).string());
  }
  return out;
}

// A small scenario (runs in milliseconds): two strategies on 5 colos.
inline json TinyScenario(const std::string& name = "tiny") {
  return json{{"name", name},
              {"seed", 1},
              {"duration", "10m"},
              {"warmup", "1m"},
              {"world", {{"colos", {{"count", 5}}}}},
              {"traffic", {{"roles", 10}, {"rate", 2}}},
              {"strategies", {"none", "l1"}}};
}

struct Outcome {
  int code = -1;
  std::string out, err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = FindBinary();
    if (bin_.empty()) {
      GTEST_SKIP() << "credsim binary not found: set CREDSIM_BIN (ctest does) or build the "
                      "`credsim` target next to this test binary";
    }
    std::string tmpl = (fs::temp_directory_path() / "credsim_cli_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    work_ = root_ / "work";
    fs::create_directories(work_);
    fs::create_directories(root_ / "io");
  }
  void TearDown() override {
    std::error_code ec;
    if (!root_.empty()) fs::remove_all(root_, ec);
  }

  // Runs `credsim <args>` in the work directory, without a shell (cli/subprocess.h): `args`
  // and `env` ("K=V K2=V2") are split on spaces. GITHUB_ACTIONS is removed from the
  // environment unless `env` sets it.
  Outcome Run(const std::string& args, const std::string& env = "") {
    std::vector<std::pair<std::string, std::string>> vars;
    for (const std::string& kv : Words(env)) {
      const size_t eq = kv.find('=');
      vars.emplace_back(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
    }
    return RunArgv(Words(args), vars);
  }
  Outcome RunArgv(const std::vector<std::string>& args,
                  const std::vector<std::pair<std::string, std::string>>& env = {}) {
    const fs::path out = root_ / "io" / "stdout", err = root_ / "io" / "stderr";
    std::vector<std::string> argv = {bin_};
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnOptions options;
    options.stdout_path = out.string();
    options.stderr_path = err.string();
    options.stdin_path = "/dev/null";
    options.cwd = work_.string();
    options.env = env;
    bool sets_gha = false;
    for (const auto& [k, v] : env) sets_gha |= k == "GITHUB_ACTIONS";
    if (!sets_gha) options.unset_env.push_back("GITHUB_ACTIONS");
    auto rc = RunProcess(argv, options);
    Outcome o;
    if (rc.ok()) o.code = rc->code;
    o.out = ReadFile(out);
    o.err = ReadFile(err);
    return o;
  }

  fs::path Work(const std::string& rel) const { return work_ / rel; }
  std::string WriteScenario(const std::string& file, const json& j) {
    WriteFile(Work(file), j.dump(2));
    return file;
  }

  std::string bin_;
  fs::path root_, work_;
};

}  // namespace testing_util
}  // namespace credsim

#endif  // CREDSIM_CLI_CLI_TEST_UTIL_H_
