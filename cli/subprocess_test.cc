#include "cli/subprocess.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credsim {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(RunProcess, ArgumentsReachTheProgramVerbatimWithoutAShell) {
  const fs::path dir = fs::temp_directory_path() / ("credsim_spawn_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string hostile = "x'; touch PWNED; ' $(touch PWNED2) `touch PWNED3` \"q\"\n;";
  SpawnOptions opts;
  opts.cwd = dir.string();
  opts.stdout_path = (dir / "out").string();
  auto rc = RunProcess({"printf", "%s|", hostile, "it's"}, opts);
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_TRUE(rc->ok());
  EXPECT_EQ(Slurp(dir / "out"), hostile + "|it's|");
  for (const char* f : {"PWNED", "PWNED2", "PWNED3"}) EXPECT_FALSE(fs::exists(dir / f)) << f;
  fs::remove_all(dir);
}

TEST(RunProcess, ReportsExitCodesSignalsAndMissingPrograms) {
  SpawnOptions quiet;
  quiet.discard_output = true;
  EXPECT_EQ(RunProcess({"false"}, quiet)->code, 1);
  EXPECT_EQ(RunProcess({"true"}, quiet)->Describe(), "exit code 0");
  auto missing = RunProcess({"/nonexistent/credsim-no-such-program"}, quiet);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), ::testing::HasSubstr("cannot start /nonexistent/credsim-no-such-program"));
}

TEST(RunProcess, SetsAndRemovesEnvironmentVariables) {
  const fs::path out = fs::temp_directory_path() / ("credsim_env_" + std::to_string(::getpid()));
  ::setenv("CREDSIM_TEST_REMOVED", "1", 1);
  SpawnOptions opts;
  opts.stdout_path = out.string();
  opts.env = {{"CREDSIM_TEST_SET", "a b;c"}};
  opts.unset_env = {"CREDSIM_TEST_REMOVED"};
  ASSERT_TRUE(RunProcess({"env"}, opts).ok());
  const std::string env = Slurp(out);
  EXPECT_THAT(env, ::testing::HasSubstr("CREDSIM_TEST_SET=a b;c\n"));
  EXPECT_THAT(env, ::testing::Not(::testing::HasSubstr("CREDSIM_TEST_REMOVED")));
  fs::remove(out);
}

}  // namespace
}  // namespace credsim
