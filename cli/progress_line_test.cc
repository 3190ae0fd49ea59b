// The live progress line: units, ETA, the width limit, and the bytes ProgressLine writes.
#include "cli/progress_line.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credsim {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

ProgressSnapshot::Running Running(const std::string& scenario, const std::string& strategy, double sim,
                              double horizon, double arrivals, double expected) {
  ProgressSnapshot::Running r;
  r.scenario = scenario;
  r.strategy = strategy;
  r.sim_seconds = sim;
  r.horizon_seconds = horizon;
  r.arrivals = arrivals;
  r.expected = expected;
  return r;
}

TEST(FormatDuration, Units) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(-3), "0s");
  EXPECT_EQ(FormatDuration(0.9), "0s");
  EXPECT_EQ(FormatDuration(42.9), "42s");
  EXPECT_EQ(FormatDuration(60), "1m00s");
  EXPECT_EQ(FormatDuration(303), "5m03s");
  EXPECT_EQ(FormatDuration(3599), "59m59s");
  EXPECT_EQ(FormatDuration(3720), "1h02m");
  EXPECT_EQ(FormatDuration(86400), "24h00m");
  EXPECT_EQ(FormatDuration(100 * 3600 - 1), "99h59m");
  EXPECT_EQ(FormatDuration(100 * 3600), "4d04h");
  EXPECT_EQ(FormatDuration(1e300), "11574074074d01h");  // capped at 10^15 s
}

TEST(FormatRate, TwoOrThreeSignificantDigits) {
  EXPECT_EQ(FormatRate(0), "0");
  EXPECT_EQ(FormatRate(7.4), "7");
  EXPECT_EQ(FormatRate(950), "950");
  EXPECT_EQ(FormatRate(999.6), "1.0k");
  EXPECT_EQ(FormatRate(9500), "9.5k");
  EXPECT_EQ(FormatRate(9960), "10k");
  EXPECT_EQ(FormatRate(950'000), "950k");
  EXPECT_EQ(FormatRate(1.2e6), "1.2M");
  EXPECT_EQ(FormatRate(12.3e6), "12M");
  EXPECT_EQ(FormatRate(3.4e9), "3.4G");
}

TEST(FormatProgressLine, RunsRateEtaAndTheRunningRuns) {
  ProgressSnapshot s;
  s.runs_total = 4;
  s.runs_done = 1;
  s.done_arrivals = 1e6;
  s.done_expected = 1e6;
  s.total_expected = 4e6;
  s.running = {Running("steady", "l1", 3600, 7200, 5e5, 1e6), Running("steady", "kv", 1800, 7200, 5e5, 1e6)};
  // 2M requests in 2 s: 1.0M req/s; 2M of the 4M expected are left: 2 s.
  EXPECT_EQ(FormatProgressLine(s, 2.0), "[1/4] 1.0M req/s, ETA 2s | steady 2h00m: l1 1h00m, kv 30m00s");
}

TEST(FormatProgressLine, ReplicationsScenarioGroupsAndAGivenRate) {
  ProgressSnapshot s;
  s.runs_total = 12;
  s.total_expected = 12e6;
  ProgressSnapshot::Running a = Running("a", "none", 300, 7200, 2e5, 1e6);
  a.replication = 2;
  a.replications = 3;
  s.running = {a, Running("b", "l1", 65, 3600, 1e5, 1e6)};
  // 300k requests of 12M in 60 s: 5k/s on average, ETA (12M - 300k) / 5k/s = 2340 s.
  EXPECT_EQ(FormatProgressLine(s, 60.0), "[0/12] 5.0k req/s, ETA 39m00s | a 2h00m: none#2 5m00s; b 1h00m: l1 1m05s");
  // The current rate, when given, is shown and extrapolated instead.
  s.rate = 10'000;
  EXPECT_EQ(FormatProgressLine(s, 60.0), "[0/12] 10k req/s, ETA 19m30s | a 2h00m: none#2 5m00s; b 1h00m: l1 1m05s");
}

TEST(FormatProgressLine, EtaIsUnknownBeforeAnyWorkAndWhenTheEstimateIsExhausted) {
  ProgressSnapshot s;
  s.runs_total = 2;
  s.total_expected = 2e6;
  EXPECT_EQ(FormatProgressLine(s, 0.0), "[0/2] 0 req/s, ETA --");
  s.running = {Running("x", "l1", 10, 100, 0, 1e6)};
  EXPECT_EQ(FormatProgressLine(s, 5.0), "[0/2] 0 req/s, ETA -- | x 1m40s: l1 10s");
  // A run past its estimate counts as its estimate: nothing left to estimate from.
  s.runs_done = 1;
  s.done_expected = 1e6;
  s.done_arrivals = 1.1e6;
  s.running = {Running("x", "kv", 10, 100, 1.3e6, 1e6)};
  EXPECT_EQ(FormatProgressLine(s, 1.0), "[1/2] 2.4M req/s, ETA -- | x 1m40s: kv 10s");
}

TEST(FormatProgressLine, AtMostWidthMinusOneColumns) {
  ProgressSnapshot s;
  s.runs_total = 600;
  s.runs_done = 17;
  s.done_expected = 17e9;
  s.done_arrivals = 17e9;
  s.total_expected = 600e9;
  for (int k = 0; k < 12; ++k) {
    s.running.push_back(Running("long-tail", "kv" + std::to_string(k), 3600.0 * k + 59, 86400 * 3, 1e6, 1e9));
  }
  EXPECT_EQ(FormatProgressLine(s, 3725.0, 80), "[17/600] 4.6M req/s, ETA 35h27m | long-tail 72h00m: kv0 59s, kv1 1h00m +10");
  for (size_t k = 1; k < s.running.size(); k += 2) s.running[k].scenario = "global-diurnal-with-a-rather-long-name";
  for (size_t width : {80u, 60u, 40u, 20u, 2u}) {
    const std::string line = FormatProgressLine(s, 3725.0, width);
    EXPECT_LE(line.size(), width - 1) << line;
    EXPECT_THAT(line, StartsWith(std::string("[17/600] 4.6M req/s").substr(0, width - 1))) << width;
  }
  EXPECT_EQ(FormatProgressLine(s, 3725.0, 80), "[17/600] 4.6M req/s, ETA 35h27m | long-tail 72h00m: kv0 59s +11");

  // A first run too long for the line is cut ("~") and the rest counted.
  ProgressSnapshot one = s;
  one.running.resize(2);
  one.running[0].scenario = std::string(90, 's');
  const std::string cut = FormatProgressLine(one, 3725.0, 80);
  EXPECT_EQ(cut.size(), 79u) << cut;
  EXPECT_THAT(cut, StartsWith("[17/600] 4.6M req/s, ETA 35h28m | sssss")) << cut;
  EXPECT_THAT(cut, EndsWith("s~ +1")) << cut;
}

TEST(FormatProgressLine, CountsCodePointsAndReplacesControlCharacters) {
  ProgressSnapshot s;
  s.runs_total = 1;
  s.running = {Running("caf\xc3\xa9-\xe2\x82\xac", "l1\x1b[2J", 1, 2, 0, 1)};
  const std::string line = FormatProgressLine(s, 0.5);
  EXPECT_EQ(line, "[0/1] 0 req/s, ETA -- | caf\xc3\xa9-\xe2\x82\xac 2s: l1?[2J 1s");

  s.running[0].scenario = "";
  for (int k = 0; k < 60; ++k) s.running[0].scenario += "\xc3\xa9";  // 60 two-byte code points
  const std::string wide = FormatProgressLine(s, 0.5, 80);
  EXPECT_EQ(CodePoints(wide), 79u) << wide;
  EXPECT_GT(wide.size(), 79u);
}

TEST(RateWindow, TheRateOverAboutTheLastWindow) {
  RateWindow w(5);
  EXPECT_DOUBLE_EQ(w.Add(1, 100), 100);       // since (0, 0)
  EXPECT_DOUBLE_EQ(w.Add(2, 300), 150);       // since (0, 0)
  EXPECT_DOUBLE_EQ(w.Add(10, 1300), 125);     // since (2, 300): the newest sample >= 5 s old
  EXPECT_DOUBLE_EQ(w.Add(11, 1400), 1100.0 / 9);
  EXPECT_DOUBLE_EQ(w.Add(16, 1500), 20);      // since (11, 1400), exactly 5 s old
  EXPECT_DOUBLE_EQ(w.Add(16, 1500), 20);      // no time passed, no change
}

// What ProgressLine writes, byte for byte.
class ProgressLineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = open_memstream(&buf_, &len_);
    ASSERT_NE(out_, nullptr);
  }
  void TearDown() override {
    if (out_ != nullptr) std::fclose(out_);
    std::free(buf_);
  }
  std::string Written() {
    std::fflush(out_);
    return std::string(buf_, len_);
  }
  char* buf_ = nullptr;
  size_t len_ = 0;
  std::FILE* out_ = nullptr;
};

TEST_F(ProgressLineTest, DrawPrintErase) {
  {
    ProgressLine line(out_);
    line.Print("before");  // nothing drawn: a plain line
    line.Draw("status 1");
    line.Draw("status 2");
    line.Print("done x");  // erased, printed, drawn again
    line.Erase();
    line.Erase();  // nothing drawn: nothing written
    line.Draw("status 3");
  }  // the destructor erases
  EXPECT_EQ(Written(),
            "before\n"
            "\rstatus 1\x1b[K"
            "\rstatus 2\x1b[K"
            "\r\x1b[K" "done x\n" "status 2\x1b[K"
            "\r\x1b[K"
            "\rstatus 3\x1b[K"
            "\r\x1b[K");
}

TEST_F(ProgressLineTest, PrintWithoutDrawingIsPlainLines) {
  {
    ProgressLine line(out_);
    line.Print("a");
    line.Print("b");
  }
  EXPECT_EQ(Written(), "a\nb\n");
}

}  // namespace
}  // namespace credsim
