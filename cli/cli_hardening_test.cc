// Regression tests of issue 10 ("no code execution, no writes outside --out, no unbounded
// runs, nothing lost"), through the `credsim` binary: each test failed before the fix.
#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
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
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class HardeningTest : public CliTest {
 protected:
  // Every file below the fixture's root (work dir and its parent): nothing may appear
  // outside --out.
  std::set<std::string> Everything() const {
    std::set<std::string> out;
    for (const std::string& f : Listing(root_)) {
      if (f.rfind("io", 0) != 0) out.insert(f);  // the fixture's own stdout/stderr captures
    }
    return out;
  }
};

// ---------------------------------------------------------------------------------------------
// Item 1: `credsim report` runs the script through an argument vector, never a shell.

TEST_F(HardeningTest, ReportPassesHostilePathsAsArgumentsAndRunsNoShell) {
  // A stand-in interpreter: answers the matplotlib probe and records its arguments.
  const fs::path fake = Work("fake-python");
  WriteFile(fake, "#!/bin/sh\n"
                  "if [ \"$1\" = -c ]; then exit 0; fi\n"
                  "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$CREDSIM_ARGV_LOG\"\n");
  fs::permissions(fake, fs::perms::owner_all);
  const std::string hostile = "it's x'; touch PWNED; '";
  fs::create_directories(Work(hostile));
  json results = {{"scenario", "s"}, {"strategies", json::array()}};
  WriteFile(Work(hostile + "/results.json"), results.dump());
  const std::string log = (root_ / "argv.log").string();
  Outcome o = RunArgv({"report", hostile + "/results.json", "--out", hostile + "/rep"},
                      {{"CREDSIM_PYTHON", fake.string()},
                       {"CREDSIM_REPORT_SCRIPT", "/nonexistent/credsim_report.py"},
                       {"CREDSIM_ARGV_LOG", log}});
  EXPECT_EQ(o.code, kOk) << o.err;
  EXPECT_FALSE(fs::exists(Work("PWNED")));
  EXPECT_THAT(o.err, Not(HasSubstr("sh:")));
  EXPECT_EQ(ReadFile(log), "-B\n/nonexistent/credsim_report.py\n--out\n" + hostile + "/rep\n--\n" +
                               hostile + "/results.json\n");
}

// ---------------------------------------------------------------------------------------------
// Item 2: scenario names are validated at load time; nothing escapes --out.

TEST_F(HardeningTest, UnsafeScenarioNamesAreRejectedAtLoadTimeAndNothingIsWritten) {
  const std::string long_name(300, 'a');
  const std::vector<std::string> bad = {"../../x", "/tmp/abs",      "", std::string("a\0b", 3),
                                        long_name, "it's",          ".hidden", "-flag",
                                        "a/b",     "caf\xc3\xa9"};
  for (const std::string& name : bad) {
    SCOPED_TRACE(json(name).dump());
    json sc = TinyScenario();
    sc["name"] = name;
    WriteScenario("bad.json", sc);
    const auto before = Everything();
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"validate", "bad.json"},
          std::vector<std::string>{"run", "bad.json", "--out", "out", "--quiet"}}) {
      Outcome o = RunArgv(args);
      EXPECT_EQ(o.code, kBadInput) << args[0];
      EXPECT_THAT(o.err, StartsWith("credsim: bad.json: name: ")) << args[0];
      EXPECT_THAT(o.err, HasSubstr("A-Z a-z 0-9 . _ -")) << args[0];
    }
    EXPECT_EQ(Everything(), before);
  }
  // A name taken from an unsafe file name says how to fix it.
  json unnamed = TinyScenario();
  unnamed.erase("name");
  WriteScenario("my scenario.json", unnamed);
  Outcome o = RunArgv({"validate", "my scenario.json"});
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, HasSubstr("taken from the file name: add a \"name\""));
}

// ---------------------------------------------------------------------------------------------
// Items 4-8: bad input is exit 2 with the file, the JSON path and what is accepted.

TEST_F(HardeningTest, DuplicateKeysAreRejectedWithBothLocations) {
  WriteFile(Work("dup.json"), "{\"duration\": \"10m\",\n \"world\": {\"colos\": {\"count\": 5, \"count\": 6}}}");
  Outcome o = Run("validate dup.json");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, StartsWith("credsim: dup.json: world.colos.count: duplicate key \"count\" at line 2, "
                                "column 34 (first at line 2, column 22)"));
}

TEST_F(HardeningTest, EveryBadFileIsReportedAndExitsTwo) {
  WriteScenario("tiny.json", TinyScenario());
  WriteFile(Work("huge.json"), "{\"seed\": 1e400}");
  fs::create_directories(Work("adir"));
  json overflow = TinyScenario("overflow");
  overflow["duration"] = "2562048h";
  WriteScenario("overflow.json", overflow);
  Outcome o = Run("validate huge.json adir tiny.json overflow.json /dev/zero");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, HasSubstr("credsim: huge.json: seed: the number 1e400 at line 1, column"));
  EXPECT_THAT(o.err, HasSubstr("credsim: adir: is a directory; expected a regular file"));
  EXPECT_THAT(o.err, HasSubstr("credsim: overflow.json: duration: "));
  EXPECT_THAT(o.err, HasSubstr("credsim: /dev/zero: is not a regular file"));
  EXPECT_THAT(o.out, HasSubstr("ok: tiny.json"));
  EXPECT_THAT(o.err, Not(HasSubstr("internal error")));
  for (const char* cmd : {"compare", "check", "report"}) {
    SCOPED_TRACE(cmd);
    std::vector<std::string> args = {cmd, "adir", "huge.json"};
    if (std::string(cmd) == "check") args = {cmd, "adir", "huge.json", "--baseline", "b.json"};
    if (std::string(cmd) == "report") args = {cmd, "adir"};
    Outcome c = RunArgv(args);
    EXPECT_EQ(c.code, kBadInput);
    EXPECT_THAT(c.err, HasSubstr("credsim: adir: is a directory"));
    if (std::string(cmd) != "report") {
      EXPECT_THAT(c.err, HasSubstr("credsim: huge.json: seed: the number"));
    }
  }
}

TEST_F(HardeningTest, SeedsOutsideTheRangeAreRejectedNotClamped) {
  WriteScenario("tiny.json", TinyScenario());
  for (const char* seed : {"99999999999999999999999", "18446744073709551616", "-1", "1e3", " 1"}) {
    Outcome o = RunArgv({"run", "tiny.json", "--seed", seed, "--out", "out"});
    EXPECT_EQ(o.code, kBadInput) << seed;
    EXPECT_THAT(o.err, StartsWith("credsim: --seed: ")) << seed;
    EXPECT_FALSE(fs::exists(Work("out"))) << seed;
  }
}

// ---------------------------------------------------------------------------------------------
// Item 9: work is estimated and bounded before running; free text is capped.

TEST_F(HardeningTest, RunsAboveTheRequestCeilingAreRefusedUnlessRaised) {
  json month = TinyScenario("month");
  month["duration"] = "719h";
  month["warmup"] = "0s";
  month["initial_state"] = "cold";
  month["traffic"]["rate"] = 1000000;
  WriteScenario("month.json", month);
  Outcome o = Run("run month.json --out out");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, HasSubstr("the run would simulate about 5.18T requests (2 strategies)"));
  EXPECT_THAT(o.err, HasSubstr("--max-requests"));
  EXPECT_FALSE(fs::exists(Work("out")));

  WriteScenario("tiny.json", TinyScenario());  // about 1,320 requests per strategy
  o = Run("run tiny.json --out out --max-requests 1000");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, HasSubstr("above the limit of 1000"));
  o = Run("run tiny.json --out out --max-requests 100000");
  EXPECT_EQ(o.code, kOk) << o.err;
  EXPECT_THAT(o.err, HasSubstr("credsim: tiny.json: about 1320 requests and"));
}

TEST_F(HardeningTest, StrategyNamesAreShortLabelsWithoutControlCharacters) {
  for (const std::string& name : {std::string(65, 's'), std::string("a\nb"), std::string("a,b"), std::string()}) {
    json sc = TinyScenario();
    sc["strategies"] = json::array({{{"kind", "l1"}, {"name", name}}});
    WriteScenario("s.json", sc);
    Outcome o = Run("validate s.json");
    EXPECT_EQ(o.code, kBadInput) << json(name).dump();
    EXPECT_THAT(o.err, StartsWith("credsim: s.json: strategies[0].name: a ")) << json(name).dump();
  }
}

TEST_F(HardeningTest, FreeTextIsCapped) {
  json sc = TinyScenario();
  sc["description"] = std::string(5000, 'x');
  WriteScenario("long.json", sc);
  Outcome o = Run("validate long.json");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, StartsWith("credsim: long.json: description: 5000 bytes is too long; at most 4096"));
}

// ---------------------------------------------------------------------------------------------
// Items 10, 13: nothing lost on a failed write; unwritable --out fails before the run.

// Runs the binary with a file-size limit, so every write beyond `bytes` fails (EFBIG) the
// way a full disk does (ENOSPC).
class FullDiskTest : public HardeningTest {
 protected:
  Outcome RunWithFileSizeLimit(const std::vector<std::string>& args, rlim_t bytes) {
    signal(SIGXFSZ, SIG_IGN);  // inherited by the child: write() fails instead of killing it
    rlimit old{};
    getrlimit(RLIMIT_FSIZE, &old);
    rlimit limit = old;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
    Outcome o = RunArgv(args);
    setrlimit(RLIMIT_FSIZE, &old);
    return o;
  }
};

TEST_F(FullDiskTest, CheckUpdateKeepsTheGoodBaselineWhenTheWriteFails) {
  WriteScenario("tiny.json", TinyScenario());
  ASSERT_EQ(Run("run tiny.json --out out --quiet").code, kOk);
  ASSERT_EQ(Run("check out/tiny/results.json --baseline base.json --update").code, kOk);
  const std::string good = ReadFile(Work("base.json"));
  ASSERT_GT(good.size(), 200u);
  const auto before = Everything();
  Outcome o = RunWithFileSizeLimit({"check", "out/tiny/results.json", "--baseline", "base.json", "--update"}, 100);
  EXPECT_EQ(o.code, kFailed);
  EXPECT_THAT(o.err, StartsWith("credsim: cannot write base.json: File too large"));
  EXPECT_THAT(o.out, Not(HasSubstr("Updated")));
  EXPECT_EQ(ReadFile(Work("base.json")), good);
  EXPECT_EQ(Everything(), before);  // no temporary file left behind

  o = RunWithFileSizeLimit({"compare", "out/tiny/results.json", "--out", "table.md"}, 100);
  EXPECT_EQ(o.code, kFailed);
  EXPECT_THAT(o.err, StartsWith("credsim: cannot write table.md: File too large"));
  EXPECT_EQ(Everything(), before);
}

TEST_F(FullDiskTest, AFailedRunLeavesNoPartialOutput) {
  WriteScenario("tiny.json", TinyScenario());
  Outcome o = RunWithFileSizeLimit({"run", "tiny.json", "--out", "out", "--quiet"}, 100);
  EXPECT_EQ(o.code, kFailed);
  EXPECT_THAT(o.err, StartsWith("credsim: cannot write out/tiny/results.json: File too large"));
  ASSERT_TRUE(fs::exists(Work("out")));
  EXPECT_TRUE(fs::is_empty(Work("out"))) << ::testing::PrintToString(Listing(Work("out")));
}

TEST_F(HardeningTest, AnUnwritableOutIsReportedBeforeSimulating) {
  // About 60 M requests: minutes of simulation; the error must come at once.
  json big = TinyScenario("big");
  big["duration"] = "2h";
  big["traffic"]["rate"] = 8000;
  big["strategies"] = json::array({"none"});
  WriteScenario("big.json", big);
  WriteFile(Work("afile"), "x");
  const auto t0 = std::chrono::steady_clock::now();
  Outcome o = Run("run big.json --out afile/out --quiet");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(o.code, kFailed);
  EXPECT_THAT(o.err, StartsWith("credsim: cannot create the output directory afile/out: Not a directory"));
  EXPECT_LT(secs, 20.0);
}

TEST_F(HardeningTest, RunRefusesToReplaceADirectoryItDidNotWrite) {
  WriteScenario("tiny.json", TinyScenario());
  fs::create_directories(Work("out/tiny"));
  WriteFile(Work("out/tiny/precious.txt"), "mine");
  Outcome o = Run("run tiny.json --out out --quiet");
  EXPECT_EQ(o.code, kFailed);
  EXPECT_THAT(o.err, HasSubstr("out/tiny holds precious.txt, which credsim did not write"));
  EXPECT_EQ(ReadFile(Work("out/tiny/precious.txt")), "mine");
}

// ---------------------------------------------------------------------------------------------
// Item 11: concurrent runs into one --out never corrupt or mix a scenario's files.

TEST_F(HardeningTest, ConcurrentRunsIntoOneOutLeaveOneCompleteSet) {
  // Fine time series make the files large, so writes of the two runs overlap often.
  json sc = TinyScenario();
  sc["duration"] = "2h";
  sc["timeseries_interval"] = "1s";
  WriteScenario("tiny.json", sc);
  // Reference sets for the two seeds, written serially.
  ASSERT_EQ(Run("run tiny.json --out ref1 --quiet --seed 1").code, kOk);
  ASSERT_EQ(Run("run tiny.json --out ref2 --quiet --seed 2").code, kOk);
  auto set_of = [&](const std::string& dir) {
    std::string all;
    for (const char* f : {"results.json", "summary.md", "timeseries.csv"}) all += ReadFile(Work(dir + "/tiny/" + f));
    return all;
  };
  const std::string ref1 = set_of("ref1"), ref2 = set_of("ref2");
  ASSERT_NE(ref1, ref2);
  for (int pair = 0; pair < 25; ++pair) {
    auto launch = [&](const char* seed, const char* log) {
      SpawnOptions opts;
      opts.cwd = work_.string();
      opts.stdout_path = (root_ / "io" / log).string();
      opts.stderr_path = opts.stdout_path + ".err";
      auto rc = RunProcess({bin_, "run", "tiny.json", "--out", "shared", "--quiet", "--seed", seed}, opts);
      return rc.ok() ? rc->code : -1;
    };
    int a = -1, b = -1;
    std::thread ta([&] { a = launch("1", "a"); });
    std::thread tb([&] { b = launch("2", "b"); });
    ta.join();
    tb.join();
    EXPECT_EQ(a, kOk) << ReadFile(root_ / "io" / "a.err");
    EXPECT_EQ(b, kOk) << ReadFile(root_ / "io" / "b.err");
    const std::string got = set_of("shared");
    EXPECT_TRUE(got == ref1 || got == ref2) << "pair " << pair << ": a mixed or corrupt set";
    EXPECT_EQ(Listing(Work("shared")), (std::set<std::string>{"tiny", "tiny/results.json", "tiny/summary.md",
                                                              "tiny/timeseries.csv"}));
  }
}

// ---------------------------------------------------------------------------------------------
// Item 12: check's verdict does not depend on argument order; tolerance spelled clearly.

TEST_F(HardeningTest, CheckRejectsTwoResultsForOneScenarioAndABareToleranceAboveOne) {
  WriteScenario("tiny.json", TinyScenario());
  ASSERT_EQ(Run("run tiny.json --out a --quiet").code, kOk);
  ASSERT_EQ(Run("run tiny.json --out b --quiet --seed 9").code, kOk);
  ASSERT_EQ(Run("check a/tiny/results.json --baseline base.json --update").code, kOk);
  Outcome o = Run("check a/tiny/results.json b/tiny/results.json --baseline base.json");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, StartsWith("credsim: b/tiny/results.json: scenario \"tiny\" is also in a/tiny/results.json"));
  o = Run("check a/tiny/results.json --baseline base.json --tolerance 2");
  EXPECT_EQ(o.code, kBadInput);
  EXPECT_THAT(o.err, HasSubstr("write \"200%\""));
}

}  // namespace
}  // namespace credsim
