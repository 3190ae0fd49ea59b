// Subprocess tests of the `credsim` binary: exit codes (0 ok, 1 failure/regression, 2 bad
// input), what each subcommand writes (and that bad input writes nothing), --help and
// --version, determinism of results.json across runs and thread counts, and `credsim check`
// against baselines (pass, regression, tolerance, improvements, coverage, --update, GitHub
// annotations, malformed files).
//
// The binary is $CREDSIM_BIN (set by ctest); otherwise `credsim` beside this test binary.
// If neither exists the tests are skipped with a message.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace credsim {
namespace {

namespace fs = std::filesystem;
using ::nlohmann::json;
using namespace ::credsim::testing_util;  // NOLINT: the fixture and its helpers
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;


// ---------------------------------------------------------------------------------------------
// --help, --version, usage errors.

TEST_F(CliTest, VersionPrintsTheProjectVersion) {
  for (const char* arg : {"--version", "version"}) {
    Outcome o = Run(arg);
    EXPECT_EQ(o.code, kOk);
    EXPECT_EQ(o.out, std::string("credsim ") + CREDSIM_VERSION + "\n");
    EXPECT_EQ(o.err, "");
  }
}

TEST_F(CliTest, HelpListsTheCommands) {
  for (const char* arg : {"--help", "-h", "help"}) {
    Outcome o = Run(arg);
    EXPECT_EQ(o.code, kOk) << arg;
    EXPECT_THAT(o.out, HasSubstr("Usage: credsim <command>"));
    for (const char* cmd : {"run SCENARIO", "validate SCENARIO", "compare RESULTS",
                            "report RESULTS", "check RESULTS"}) {
      EXPECT_THAT(o.out, HasSubstr(cmd));
    }
    EXPECT_THAT(o.out, HasSubstr("Exit codes: 0 success, 1 failure or regression, 2 bad input"));
  }
}

TEST_F(CliTest, EachSubcommandHasItsOwnHelp) {
  for (const char* cmd : {"run", "validate", "compare", "report", "check"}) {
    for (const char* flag : {"--help", "-h"}) {
      SCOPED_TRACE(std::string(cmd) + " " + flag);
      Outcome o = Run(std::string(cmd) + " " + flag);
      EXPECT_EQ(o.code, kOk);
      EXPECT_THAT(o.out, StartsWith(std::string("Usage: credsim ") + cmd + " "));
      EXPECT_EQ(o.err, "");
    }
  }
  EXPECT_THAT(Run("check --help").out, HasSubstr("--tolerance"));
  EXPECT_THAT(Run("check --help").out, HasSubstr("--update"));
  EXPECT_THAT(Run("check --help").out, HasSubstr("GITHUB_ACTIONS=true"));
  EXPECT_THAT(Run("run --help").out, HasSubstr("--strategies"));
  EXPECT_TRUE(Listing(work_).empty());
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  Outcome none = Run("");
  EXPECT_EQ(none.code, kBadInput);
  EXPECT_THAT(none.err, HasSubstr("Usage: credsim <command>"));

  Outcome unknown = Run("frobnicate");
  EXPECT_EQ(unknown.code, kBadInput);
  EXPECT_THAT(unknown.err, StartsWith("credsim: unknown command \"frobnicate\""));

  for (const char* cmd : {"run", "validate", "compare", "report", "check"}) {
    SCOPED_TRACE(cmd);
    Outcome bare = Run(cmd);
    EXPECT_EQ(bare.code, kBadInput);
    EXPECT_THAT(bare.err, StartsWith(std::string("Usage: credsim ") + cmd));
    Outcome bad_option = Run(std::string(cmd) + " x.json --frobnicate");
    EXPECT_EQ(bad_option.code, kBadInput);
    EXPECT_THAT(bad_option.err, StartsWith("credsim: unknown option --frobnicate"));
  }
  Outcome missing_value = Run("run x.json --out");
  EXPECT_EQ(missing_value.code, kBadInput);
  EXPECT_THAT(missing_value.err, StartsWith("credsim: --out needs a value"));
  EXPECT_TRUE(Listing(work_).empty());
}

// ---------------------------------------------------------------------------------------------
// validate

TEST_F(CliTest, ValidateAcceptsAGoodFileAndWritesNothing) {
  WriteScenario("tiny.json", TinyScenario());
  const auto before = Listing(work_);
  Outcome o = Run("validate tiny.json");
  EXPECT_EQ(o.code, kOk) << o.err;
  EXPECT_THAT(o.out, StartsWith("ok: tiny.json (scenario \"tiny\", 2 strategies; about "));
  EXPECT_THAT(o.out, EndsWith(" requests and 10.6k events per strategy x 2)\n"));
  EXPECT_EQ(Listing(work_), before);
}

TEST_F(CliTest, ValidateRejectsABadFileWithItsPathAndWritesNothing) {
  WriteScenario("tiny.json", TinyScenario());
  json bad = TinyScenario("bad");
  bad["world"]["sts"] = {{"latncy", "150ms"}};
  WriteScenario("bad.json", bad);
  WriteFile(Work("broken.json"), "{\"name\": ");
  const auto before = Listing(work_);

  Outcome o = Run("validate bad.json");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, StartsWith("credsim: bad.json: world.sts.latncy: unknown key; accepted: "));
  EXPECT_EQ(o.out, "");

  // Every file is checked; one bad file makes the exit code 2.
  Outcome mixed = Run("validate tiny.json bad.json broken.json missing.json");
  EXPECT_EQ(mixed.code, kBadInput);
  EXPECT_THAT(mixed.out, StartsWith("ok: tiny.json (scenario \"tiny\", 2 strategies; about "));
  EXPECT_THAT(mixed.err, HasSubstr("credsim: bad.json: world.sts.latncy: unknown key"));
  EXPECT_THAT(mixed.err, HasSubstr("credsim: broken.json: not valid JSON"));
  EXPECT_THAT(mixed.err, HasSubstr("credsim: missing.json: cannot open file"));
  EXPECT_EQ(Listing(work_), before);
}

TEST_F(CliTest, ValidateAcceptsEveryLibraryScenario) {
  const fs::path dir = fs::path(CREDSIM_SOURCE_DIR) / "scenarios";
  std::vector<std::string> args = {"validate"};
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    // schema.json (JSON schema) and baselines.json (credsim check baseline) are not scenarios.
    if (e.path().extension() != ".json" || e.path().filename() == "schema.json" ||
        e.path().filename() == "baselines.json") {
      continue;
    }
    args.push_back(e.path().string());
    ++n;
  }
  ASSERT_GE(n, 9u);
  Outcome o = RunArgv(args);
  EXPECT_EQ(o.code, kOk) << o.err;
  size_t ok_lines = 0;
  for (size_t pos = 0; (pos = o.out.find("ok: ", pos)) != std::string::npos; ++pos) ++ok_lines;
  EXPECT_EQ(ok_lines, n) << o.out;
}

// ---------------------------------------------------------------------------------------------
// run

TEST_F(CliTest, RunWritesResultsSummaryAndTimeseries) {
  WriteScenario("tiny.json", TinyScenario());
  Outcome o = Run("run tiny.json --out out --quiet");
  ASSERT_EQ(o.code, kOk) << o.err;
  EXPECT_EQ(Listing(Work("out")),
            (std::set<std::string>{"tiny", "tiny/results.json", "tiny/summary.md", "tiny/timeseries.csv"}));

  const json results = json::parse(ReadFile(Work("out/tiny/results.json")));
  EXPECT_EQ(results.at("scenario"), "tiny");
  EXPECT_EQ(results.at("credsim_version"), CREDSIM_VERSION);
  ASSERT_EQ(results.at("strategies").size(), 2u);
  EXPECT_EQ(results.at("strategies")[0].at("name"), "none");
  EXPECT_EQ(results.at("strategies")[1].at("name"), "l1");
  const uint64_t requests = results.at("strategies")[0].at("requests").get<uint64_t>();
  EXPECT_GT(requests, 900u);  // 2/s for 10 min ≈ 1,200
  EXPECT_EQ(results.at("strategies")[1].at("requests"), requests);
  EXPECT_LT(results.at("strategies")[1].at("sts_calls").get<uint64_t>(),
            results.at("strategies")[0].at("sts_calls").get<uint64_t>());

  EXPECT_THAT(ReadFile(Work("out/tiny/summary.md")), StartsWith("# credsim: tiny\n"));
  const std::string csv = ReadFile(Work("out/tiny/timeseries.csv"));
  EXPECT_THAT(csv, StartsWith("scenario,strategy,t_s,requests,sts_calls,errors,errors_403,"
                              "errors_429,errors_500,errors_502,errors_503\n"));
  // 10 one-minute intervals per strategy after the header.
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 * 10);

  EXPECT_THAT(o.out, HasSubstr("| strategy | requests | STS calls |"));
  EXPECT_THAT(o.out, HasSubstr("| none | "));
  EXPECT_THAT(o.out, HasSubstr("| l1 | "));
  EXPECT_THAT(o.out, HasSubstr("Wrote out/<scenario>/{results.json,summary.md,timeseries.csv}"));
  EXPECT_EQ(o.err, "");  // --quiet (and stderr is not a terminal anyway)
}

TEST_F(CliTest, RunIsDeterministicAcrossRunsAndThreadCounts) {
  json sc = TinyScenario();
  sc["strategies"] = {"none", "l1", "l1_l2", "kv", "do_singleflight"};
  WriteScenario("tiny.json", sc);
  ASSERT_EQ(Run("run tiny.json --out a --quiet").code, kOk);
  ASSERT_EQ(Run("run tiny.json --out b --quiet").code, kOk);
  ASSERT_EQ(Run("run tiny.json --out c --quiet --threads 1").code, kOk);
  ASSERT_EQ(Run("run tiny.json --out d --quiet --threads=4").code, kOk);
  const std::string a = ReadFile(Work("a/tiny/results.json"));
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, ReadFile(Work("b/tiny/results.json")));
  EXPECT_EQ(a, ReadFile(Work("c/tiny/results.json")));
  EXPECT_EQ(a, ReadFile(Work("d/tiny/results.json")));
  EXPECT_EQ(ReadFile(Work("a/tiny/timeseries.csv")), ReadFile(Work("c/tiny/timeseries.csv")));
  EXPECT_EQ(ReadFile(Work("a/tiny/summary.md")), ReadFile(Work("c/tiny/summary.md")));
}

TEST_F(CliTest, RunSeedAndStrategiesOverrides) {
  WriteScenario("tiny.json", TinyScenario());
  ASSERT_EQ(Run("run tiny.json --out a --quiet").code, kOk);
  ASSERT_EQ(Run("run tiny.json --out b --quiet --seed 7 --strategies l1,kv").code, kOk);
  const json a = json::parse(ReadFile(Work("a/tiny/results.json")));
  const json b = json::parse(ReadFile(Work("b/tiny/results.json")));
  EXPECT_EQ(a.at("seed"), 1);
  EXPECT_EQ(b.at("seed"), 7);
  ASSERT_EQ(b.at("strategies").size(), 2u);
  EXPECT_EQ(b.at("strategies")[0].at("name"), "l1");
  EXPECT_EQ(b.at("strategies")[1].at("name"), "kv");
  EXPECT_NE(a.at("strategies")[1].at("requests"), b.at("strategies")[0].at("requests"));
}

TEST_F(CliTest, RunOnABadFileWritesNoOutput) {
  WriteScenario("tiny.json", TinyScenario());
  json bad = TinyScenario("bad");
  bad["traffic"]["failovers"] = {{{"at", "1m"}, {"from", 0}, {"to", 5}}};
  WriteScenario("bad.json", bad);
  const auto before = Listing(work_);

  Outcome o = Run("run bad.json --out out");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, StartsWith("credsim: bad.json: traffic.failovers[0].to: colo 5 does not exist"));
  // The good scenario before the bad one is not run either: everything is validated first.
  o = Run("run tiny.json bad.json --out out");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, StartsWith("credsim: bad.json: traffic.failovers[0].to"));
  // Default output directory.
  o = Run("run tiny.json missing.json");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, StartsWith("credsim: missing.json: cannot open file"));
  EXPECT_EQ(Listing(work_), before);
  EXPECT_FALSE(fs::exists(Work("out")));
}

TEST_F(CliTest, RunRejectsBadOptionsAndWritesNoOutput) {
  WriteScenario("tiny.json", TinyScenario());
  WriteScenario("tiny_again.json", TinyScenario());
  const auto before = Listing(work_);
  struct Case {
    const char* args;
    const char* error;
  };
  const Case cases[] = {
      {"--threads 0", "credsim: --threads: \"0\" is not accepted; expected 1..256"},
      {"--threads many", "credsim: --threads: \"many\" is not accepted"},
      {"--seed -1", "credsim: --seed: \"-1\" is not accepted; expected an integer from 0 to 18446744073709551615"},
      {"--seed 12x", "credsim: --seed: \"12x\" is not accepted"},
      {"--strategies l1,nope", "credsim: --strategies: \"nope\" is neither"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    Outcome o = Run(std::string("run tiny.json --out out ") + c.args);
    EXPECT_EQ(o.code, kBadInput);
    EXPECT_THAT(o.err, StartsWith(c.error));
  }
  // Two files with the same scenario name would write the same directory.
  Outcome o = Run("run tiny.json tiny_again.json --out out");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, StartsWith("credsim: tiny_again.json: scenario name \"tiny\" is also used by tiny.json"));
  EXPECT_EQ(Listing(work_), before);
}

// ---------------------------------------------------------------------------------------------
// compare

TEST_F(CliTest, CompareTablesSeveralResultsFiles) {
  WriteScenario("tiny.json", TinyScenario());
  WriteScenario("other.json", TinyScenario("other"));
  ASSERT_EQ(Run("run tiny.json other.json --out out --quiet").code, kOk);

  Outcome o = Run("compare out/tiny/results.json out/other/results.json --out table.md");
  ASSERT_EQ(o.code, kOk) << o.err;
  EXPECT_THAT(o.out, StartsWith("| scenario | strategy | requests | STS calls |"));
  for (const char* row : {"| tiny | none | ", "| tiny | l1 | ", "| other | none | ", "| other | l1 | "}) {
    EXPECT_THAT(o.out, HasSubstr(row));
  }
  EXPECT_EQ(ReadFile(Work("table.md")), o.out);

  // One file: no scenario column.
  Outcome one = Run("compare out/tiny/results.json");
  EXPECT_EQ(one.code, kOk);
  EXPECT_THAT(one.out, StartsWith("| strategy | requests |"));
}

TEST_F(CliTest, CompareRejectsFilesThatAreNotResults) {
  WriteFile(Work("not_results.json"), R"({"name": "x"})");
  WriteFile(Work("broken.json"), "[1, 2");
  const auto before = Listing(work_);
  Outcome o = Run("compare not_results.json --out table.md");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, StartsWith("credsim: not_results.json: not a credsim results file"));
  o = Run("compare broken.json --out table.md");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, StartsWith("credsim: broken.json: not valid JSON"));
  o = Run("compare missing.json --out table.md");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, StartsWith("credsim: missing.json: cannot open file"));
  EXPECT_EQ(Listing(work_), before);
}

TEST_F(CliTest, ReportRejectsAMissingResultsFile) {
  Outcome o = Run("report missing.json --out rep");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, StartsWith("credsim: missing.json: cannot open file"));
  EXPECT_TRUE(Listing(work_).empty());
}

// ---------------------------------------------------------------------------------------------
// check

class CheckCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    WriteScenario("tiny.json", TinyScenario());
    Outcome o = Run("run tiny.json --out out --quiet");
    ASSERT_EQ(o.code, kOk) << o.err;
    results_ = json::parse(ReadFile(Work("out/tiny/results.json")));
    none_sts_ = results_.at("strategies")[0].at("sts_calls").get<uint64_t>();
    ASSERT_GT(none_sts_, 100u);
    // A baseline made from these very results.
    Outcome u = Run("check out/tiny/results.json --baseline base.json --update");
    ASSERT_EQ(u.code, kOk) << u.err;
    baseline_ = json::parse(ReadFile(Work("base.json")));
  }

  void WriteBaseline(const json& b) { WriteFile(Work("base.json"), b.dump(2)); }
  Outcome Check(const std::string& extra = "", const std::string& env = "") {
    return Run("check out/tiny/results.json --baseline base.json " + extra, env);
  }

  json results_, baseline_;
  uint64_t none_sts_ = 0;
};

TEST_F(CheckCliTest, UpdateCreatesTheBaselineFromTheResults) {
  EXPECT_EQ(baseline_.at("credsim_version"), CREDSIM_VERSION);
  ASSERT_EQ(baseline_.at("scenarios").size(), 1u);
  const json& tiny = baseline_.at("scenarios").at("tiny");
  ASSERT_EQ(tiny.size(), 2u);
  EXPECT_EQ(tiny.at("none").at("sts_calls"), none_sts_);
  EXPECT_EQ(tiny.at("l1").at("sts_calls"), results_.at("strategies")[1].at("sts_calls"));
  EXPECT_EQ(tiny.at("l1").at("auth_p99_ms"), results_.at("strategies")[1].at("auth_latency_ms").at("p99"));
  EXPECT_EQ(tiny.at("none").at("errors").size(), 4u);
}

TEST_F(CheckCliTest, PassesOnIdenticalResults) {
  Outcome o = Check();
  EXPECT_EQ(o.code, kOk) << o.out << o.err;
  EXPECT_EQ(o.out, "credsim check: 14 metrics compared, tolerance 0%: ok\n");
  EXPECT_EQ(o.err, "");
}

TEST_F(CheckCliTest, OneMoreStsCallFailsAtToleranceZero) {
  json b = baseline_;
  b["scenarios"]["tiny"]["none"]["sts_calls"] = none_sts_ - 1;
  WriteBaseline(b);
  const std::string line = "REGRESSION tiny / none: sts_calls baseline " + std::to_string(none_sts_ - 1) +
                           " now " + std::to_string(none_sts_) + " (";
  Outcome o = Check();
  EXPECT_EQ(o.code, kFailed);
  EXPECT_THAT(o.out, StartsWith(line));
  EXPECT_THAT(o.out, EndsWith("credsim check: 14 metrics compared, tolerance 0%: 1 failing\n"));
  EXPECT_THAT(o.out, Not(HasSubstr("::error")));  // only under GitHub Actions

  o = Check("--tolerance 0");
  EXPECT_EQ(o.code, kFailed);
  o = Check("--tolerance=0%");
  EXPECT_EQ(o.code, kFailed);
}

TEST_F(CheckCliTest, RespectsTolerance) {
  json b = baseline_;
  b["scenarios"]["tiny"]["none"]["sts_calls"] = none_sts_ - 1;  // +1 call: < 1 % of > 100
  WriteBaseline(b);
  for (const char* tol : {"--tolerance 2%", "--tolerance=1%", "--tolerance 0.05"}) {
    SCOPED_TRACE(tol);
    Outcome o = Check(tol);
    EXPECT_EQ(o.code, kOk) << o.out;
    EXPECT_THAT(o.out, Not(HasSubstr("REGRESSION")));
    EXPECT_THAT(o.out, HasSubstr(": ok\n"));
  }
  // +25 % is beyond 2 %.
  b["scenarios"]["tiny"]["none"]["sts_calls"] = none_sts_ * 4 / 5;
  WriteBaseline(b);
  Outcome o = Check("--tolerance 2%");
  EXPECT_EQ(o.code, kFailed);
  EXPECT_THAT(o.out, HasSubstr("REGRESSION tiny / none: sts_calls"));
  EXPECT_THAT(o.out, HasSubstr("tolerance 2%: 1 failing"));
}

TEST_F(CheckCliTest, ReportsImprovementsAndPasses) {
  json b = baseline_;
  b["scenarios"]["tiny"]["none"]["sts_calls"] = none_sts_ + 10;
  WriteBaseline(b);
  Outcome o = Check();
  EXPECT_EQ(o.code, kOk);
  EXPECT_THAT(o.out, StartsWith("improved   tiny / none: sts_calls baseline " +
                                std::to_string(none_sts_ + 10) + " now " + std::to_string(none_sts_)));
  EXPECT_THAT(o.out, HasSubstr(": ok\n"));
  o = Check("", "GITHUB_ACTIONS=true");
  EXPECT_EQ(o.code, kOk);
  EXPECT_THAT(o.out, HasSubstr("::notice file=tiny.json,title=credsim change::improved   tiny / none: sts_calls"));
  EXPECT_THAT(o.out, Not(HasSubstr("::error")));
}

TEST_F(CheckCliTest, GithubActionsGetsErrorAnnotations) {
  json b = baseline_;
  b["scenarios"]["tiny"]["none"]["sts_calls"] = none_sts_ - 1;
  WriteBaseline(b);
  Outcome o = Check("", "GITHUB_ACTIONS=true");
  EXPECT_EQ(o.code, kFailed);
  EXPECT_THAT(o.out, HasSubstr("\n::error file=tiny.json,title=credsim regression::REGRESSION tiny / none: sts_calls baseline " +
                               std::to_string(none_sts_ - 1)));
  // Any other value is not GitHub Actions.
  o = Check("", "GITHUB_ACTIONS=false");
  EXPECT_EQ(o.code, kFailed);
  EXPECT_THAT(o.out, Not(HasSubstr("::error")));
}

TEST_F(CheckCliTest, StrategyOrScenarioMissingFromResultsFails) {
  json b = baseline_;
  b["scenarios"]["tiny"]["kv"] = b["scenarios"]["tiny"]["l1"];
  WriteBaseline(b);
  Outcome o = Check("", "GITHUB_ACTIONS=true");
  EXPECT_EQ(o.code, kFailed);
  EXPECT_THAT(o.out, StartsWith("MISSING    tiny / kv: in the baseline but not in the results"));
  EXPECT_THAT(o.out, HasSubstr("::error file=tiny.json,title=credsim regression::MISSING    tiny / kv"));
  EXPECT_THAT(o.out, HasSubstr(": 1 failing\n"));

  b = baseline_;
  b["scenarios"]["gone"] = b["scenarios"]["tiny"];
  WriteBaseline(b);
  o = Check();
  EXPECT_EQ(o.code, kFailed);
  EXPECT_THAT(o.out, HasSubstr("MISSING    gone / l1: in the baseline but not in the results"));
  EXPECT_THAT(o.out, HasSubstr("MISSING    gone / none: in the baseline but not in the results"));
  EXPECT_THAT(o.out, HasSubstr(": 2 failing\n"));
}

TEST_F(CheckCliTest, StrategyOrScenarioMissingFromBaselineIsReportedAsNew) {
  json b = baseline_;
  b["scenarios"]["tiny"].erase("l1");
  WriteBaseline(b);
  Outcome o = Check();
  EXPECT_EQ(o.code, kOk);
  EXPECT_EQ(o.out,
            "new        tiny / l1: not in the baseline (add it with --update)\n"
            "credsim check: 7 metrics compared, tolerance 0%: ok\n");

  b["scenarios"] = json::object();
  WriteBaseline(b);
  o = Check();
  EXPECT_EQ(o.code, kOk);
  EXPECT_THAT(o.out, HasSubstr("new        tiny / l1: not in the baseline"));
  EXPECT_THAT(o.out, HasSubstr("new        tiny / none: not in the baseline"));
  EXPECT_THAT(o.out, HasSubstr("0 metrics compared"));
}

TEST_F(CheckCliTest, UpdateRewritesTheBaseline) {
  json b = baseline_;
  b["scenarios"]["tiny"]["none"]["sts_calls"] = none_sts_ - 1;  // a regression...
  b["scenarios"]["tiny"]["kv"] = b["scenarios"]["tiny"]["l1"];  // ...and a vanished strategy
  b["scenarios"]["other"] = baseline_["scenarios"]["tiny"];     // a scenario not run now
  b["credsim_version"] = "0.0.0";
  WriteBaseline(b);
  ASSERT_EQ(Check().code, kFailed);

  Outcome u = Check("--update");
  EXPECT_EQ(u.code, kOk) << u.err;
  EXPECT_EQ(u.out, "Updated base.json (2 scenarios)\n");
  const json updated = json::parse(ReadFile(Work("base.json")));
  EXPECT_EQ(updated.at("credsim_version"), CREDSIM_VERSION);
  EXPECT_EQ(updated.at("scenarios").at("tiny"), baseline_.at("scenarios").at("tiny"));
  EXPECT_EQ(updated.at("scenarios").at("other"), baseline_.at("scenarios").at("tiny"));

  // Without the unrelated scenario the updated baseline passes again.
  WriteBaseline(baseline_);
  EXPECT_EQ(Check().code, kOk);
}

TEST_F(CheckCliTest, RejectsMalformedInputWithExitTwoAndLeavesTheBaselineAlone) {
  json no_503 = baseline_;
  no_503["scenarios"]["tiny"]["l1"]["errors"].erase("503");
  WriteFile(Work("not_results.json"), R"({"scenario": "x"})");
  WriteFile(Work("broken_results.json"), "{");
  struct Case {
    const char* label;
    std::string baseline;  // content of base.json
    std::string args;      // after `check`
    std::string error;     // stderr prefix
  };
  const std::string R = "out/tiny/results.json ";
  const Case cases[] = {
      {"baseline not JSON", "{\"scenarios\": ", R + "--baseline base.json",
       "credsim: base.json: not valid JSON"},
      {"baseline not an object", "[]", R + "--baseline base.json",
       "credsim: base.json: not a credsim baseline"},
      {"baseline without scenarios", R"({"credsim_version": "0.1.0"})", R + "--baseline base.json",
       "credsim: base.json: not a credsim baseline"},
      {"baseline entry incomplete", no_503.dump(), R + "--baseline base.json",
       "credsim: base.json: scenarios.tiny.l1.errors.503: missing"},
      {"baseline incomplete with --update", no_503.dump(), R + "--baseline base.json --update",
       "credsim: base.json: scenarios.tiny.l1.errors.503: missing"},
      {"baseline missing", "", R + "--baseline nowhere.json", "credsim: nowhere.json: cannot open file"},
      {"results not results", baseline_.dump(), "not_results.json --baseline base.json",
       "credsim: not_results.json: not a credsim results file"},
      {"results not JSON", baseline_.dump(), "broken_results.json --baseline base.json",
       "credsim: broken_results.json: not valid JSON"},
      {"results missing", baseline_.dump(), "nothing.json --baseline base.json",
       "credsim: nothing.json: cannot open file"},
      {"results not results with --update", baseline_.dump(),
       "not_results.json --baseline base.json --update",
       "credsim: not_results.json: not a credsim results file"},
      {"bad tolerance", baseline_.dump(), R + "--baseline base.json --tolerance 2pc",
       "credsim: --tolerance: \"2pc\" is not accepted"},
      {"negative tolerance", baseline_.dump(), R + "--baseline base.json --tolerance=-1%",
       "credsim: --tolerance: \"-1%\" is not accepted"},
      {"no baseline option", baseline_.dump(), R, "Usage: credsim check"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    WriteFile(Work("base.json"), c.baseline);
    const auto before = Listing(work_);
    Outcome o = Run("check " + c.args);
    EXPECT_EQ(o.code, kBadInput);
    EXPECT_THAT(o.err, StartsWith(c.error));
    EXPECT_EQ(ReadFile(Work("base.json")), c.baseline);
    EXPECT_EQ(Listing(work_), before);
  }
}

}  // namespace
}  // namespace credsim
