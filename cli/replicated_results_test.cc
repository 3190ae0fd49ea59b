#include "cli/replicated_results.h"

#include "cli/cli_test_util.h"
#include "cli/fingerprint.h"
#include "cli/runner.h"
#include "cli/scenario.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credsim {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;

TEST(ScalarValues, NumericLeavesOutsideArraysAndParams) {
  const json entry = {{"name", "l1"},         {"params", {{"ttl", 5}}},
                      {"sts_calls", 12},      {"errors", {{"503", 2}, {"total", 3}}},
                      {"cdf", {{1, 0.5}}},    {"windows", {{"burst[0]", {{"requests", 9}}}}},
                      {"flag", true}};
  EXPECT_EQ(ScalarValues(entry), (json{{"sts_calls", 12}, {"errors.503", 2}, {"errors.total", 3},
                                       {"windows.burst[0].requests", 9}}));
}

TEST(Replicate, KeepsReplicationZeroAndAddsStats) {
  std::vector<json> entries = {{{"name", "a"}, {"sts_calls", 10}},
                               {{"name", "a"}, {"sts_calls", 14}},
                               {{"name", "a"}, {"sts_calls", 12}}};
  std::vector<json> values;
  for (const json& e : entries) values.push_back(ScalarValues(e));
  const json r = Replicate(entries[0], values, {5, 6, 7});
  EXPECT_EQ(r["sts_calls"], 10);
  EXPECT_EQ(r["stats"]["sts_calls"]["n"], 3);
  EXPECT_EQ(r["stats"]["sts_calls"]["mean"], 12);
  EXPECT_EQ(r["stats"]["sts_calls"]["sd"], 2);
  const double hw = RoundSignificant(StudentT975(2) * 2 / std::sqrt(3.0));
  EXPECT_EQ(r["stats"]["sts_calls"]["half_width"], hw);
  EXPECT_EQ(r["replications"][2], (json{{"seed", 7}, {"values", {{"sts_calls", 12}}}}));
  const json one = Replicate(entries[0], {values[0]}, {5});
  EXPECT_TRUE(one["stats"]["sts_calls"]["ci95"].is_null());
  EXPECT_TRUE(one["stats"]["sts_calls"]["sd"].is_null());
}

json Rep(const std::string& name, const std::vector<int>& xs) {
  std::vector<json> values;
  for (int x : xs) values.push_back({{"x", x}});
  return Replicate({{"name", name}, {"x", xs[0]}}, values, {1, 2, 3});
}

TEST(AddPairedComparisons, DifferencesPerSeed) {
  json doc = {{"strategies",
               {Rep("base", {10, 20, 30}),
                // Always exactly 1 more: distinguishable although the samples overlap.
                Rep("b", {11, 21, 31}),
                // Noise around the baseline: not distinguishable.
                Rep("c", {12, 18, 30})}}};
  ASSERT_TRUE(AddPairedComparisons(doc, "base").ok());
  EXPECT_FALSE(doc["strategies"][0].contains("vs_baseline"));
  const json& b = doc["strategies"][1]["vs_baseline"]["x"];
  EXPECT_EQ(b["mean_diff"], 1);
  EXPECT_EQ(b["distinguishable"], true);
  const json& c = doc["strategies"][2]["vs_baseline"]["x"];
  EXPECT_EQ(c["mean_diff"], 0);
  EXPECT_EQ(c["distinguishable"], false);
  EXPECT_EQ(doc["baseline_strategy"], "base");
  EXPECT_THAT(std::string(AddPairedComparisons(doc, "nobody").message()),
              HasSubstr("expected one of base, b, c"));
}

// Common random numbers: replication r of every strategy runs on seed + r, so two entries of
// the same strategy are paired exactly, and replication 0 is the unreplicated run.
TEST(RunScenario, ReplicationsUseSeedPlusR) {
  json j = testing_util::TinyScenario();
  j["strategies"] = {"l1", {{"name", "l1_again"}, {"kind", "l1"}}};
  j["replications"] = 3;
  j["seed"] = 40;
  absl::StatusOr<Scenario> sc = ParseScenario(j, "t", ".");
  ASSERT_TRUE(sc.ok()) << sc.status();
  absl::StatusOr<json> r = RunScenario(*sc, RunOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)["seeds"], json::array({40, 41, 42}));
  EXPECT_EQ((*r)["fingerprint"]["replications"], 3);
  EXPECT_EQ((*r)["fingerprint"]["scenario_sha256"].get<std::string>().size(), 64u);
  const json& a = (*r)["strategies"][0];
  const json& b = (*r)["strategies"][1];
  EXPECT_EQ(a["replications"], b["replications"]);  // same strategy, same seeds: identical
  EXPECT_NE(a["replications"][0]["values"], a["replications"][1]["values"]);  // seeds differ
  ASSERT_TRUE(AddPairedComparisons(*r, "l1").ok());
  EXPECT_EQ((*r)["strategies"][1]["vs_baseline"]["sts_calls"]["mean_diff"], 0);
  EXPECT_EQ((*r)["strategies"][1]["vs_baseline"]["sts_calls"]["distinguishable"], false);

  // The fingerprint's hash leaves out the seed (recorded beside it).
  json other = j;
  other["seed"] = 99;
  absl::StatusOr<Scenario> sc99 = ParseScenario(other, "t", ".");
  ASSERT_TRUE(sc99.ok());
  absl::StatusOr<std::string> h1 = ScenarioSha256(*sc), h99 = ScenarioSha256(*sc99);
  ASSERT_TRUE(h1.ok() && h99.ok());
  EXPECT_EQ(*h1, *h99);
  other["traffic"]["rate"] = 3;
  absl::StatusOr<Scenario> sc3 = ParseScenario(other, "t", ".");
  EXPECT_NE(*ScenarioSha256(*sc3), *h1);

  // Replication 0 equals the unreplicated run with the same seed.
  j["replications"] = 1;
  absl::StatusOr<Scenario> one = ParseScenario(j, "t", ".");
  absl::StatusOr<json> r1 = RunScenario(*one, RunOptions{});
  ASSERT_TRUE(r1.ok());
  json x = a, y = (*r1)["strategies"][0];
  for (json* e : {&x, &y}) {
    e->erase("stats");
    e->erase("replications");
  }
  EXPECT_EQ(x, y);
}

}  // namespace
}  // namespace credsim

namespace credsim {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using testing_util::CliTest;
using testing_util::ReadFile;
namespace fs = std::filesystem;

TEST_F(CliTest, RunReplicationsAndBaselineEndToEnd) {
  json sc = testing_util::TinyScenario("reps");
  sc["strategies"] = {"none", "l1", {{"name", "l1_copy"}, {"kind", "l1"}}};
  WriteScenario("reps.json", sc);
  auto o = Run("run reps.json --replications 4 --baseline l1 --out out --quiet");
  ASSERT_EQ(o.code, 0) << o.err;
  const json r = json::parse(ReadFile(Work("out/reps/results.json")));
  EXPECT_EQ(r["replications"], 4);
  EXPECT_EQ(r["seeds"], json::array({1, 2, 3, 4}));
  EXPECT_EQ(r["baseline_strategy"], "l1");
  EXPECT_EQ(r["strategies"][0]["stats"]["sts_calls"]["n"], 4);
  // l1_copy is l1 on the same seeds: every difference is exactly 0.
  EXPECT_EQ(r["strategies"][2]["vs_baseline"]["sts_calls"]["mean_diff"], 0);
  EXPECT_EQ(r["strategies"][2]["vs_baseline"]["sts_calls"]["distinguishable"], false);
  // none calls STS on every request, l1 rarely: a difference.
  EXPECT_EQ(r["strategies"][0]["vs_baseline"]["sts_calls"]["distinguishable"], true);
  const std::string summary = ReadFile(Work("out/reps/summary.md"));
  EXPECT_THAT(summary, HasSubstr("4 replications (seeds 1 to 4"));
  EXPECT_THAT(summary, HasSubstr(" ± "));
  EXPECT_THAT(summary, HasSubstr("| l1_copy | sts_calls | 0 | [0, 0] | not distinguishable |"));
  EXPECT_THAT(o.out, HasSubstr("Paired differences from `l1`"));

  // compare --baseline on the written file gives the same table.
  auto c = Run("compare out/reps/results.json --baseline l1");
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_THAT(c.out, HasSubstr("| none | sts_calls |"));

  // Bad input: exit 2, nothing written.
  for (const char* bad : {"run reps.json --replications 0 --out bad", "run reps.json --replications 1001 --out bad",
                          "run reps.json --baseline nobody --out bad"}) {
    auto b = Run(bad);
    EXPECT_EQ(b.code, 2) << bad;
    EXPECT_FALSE(fs::exists(Work("bad"))) << bad;
  }
  EXPECT_THAT(Run("run reps.json --baseline nobody --out bad").err,
              HasSubstr("no strategy is named \"nobody\"; expected one of none, l1, l1_copy"));
  EXPECT_EQ(Run("compare out/reps/results.json --baseline nobody").code, 2);

  // Statistical check: the new mean must come from as many replications as the baseline's.
  ASSERT_EQ(Run("check out/reps/results.json --baseline base.json --update").code, 0);
  ASSERT_EQ(Run("check out/reps/results.json --baseline base.json --mode statistical").code, 0);
  ASSERT_EQ(Run("run reps.json --replications 2 --out out2 --quiet").code, 0);
  auto changed = Run("check out2/reps/results.json --baseline base.json --mode statistical");
  EXPECT_EQ(changed.code, 1) << changed.out << changed.err;  // the fingerprint says so first
  EXPECT_THAT(changed.out, HasSubstr("scenario changed: reps (replications 4 → 2)"));
  json old_style = json::parse(ReadFile(Work("base.json")));
  old_style.erase("fingerprints");  // a baseline from before fingerprints
  WriteScenario("base-old.json", old_style);
  auto mismatch = Run("check out2/reps/results.json --baseline base-old.json --mode statistical");
  EXPECT_EQ(mismatch.code, 2) << mismatch.out << mismatch.err;
  EXPECT_THAT(mismatch.err, HasSubstr("from 4 replications, the results from 2"));

  // A hand-edited file with malformed replications is bad input (exit 2), not a crash.
  json edited = r;
  edited["strategies"][1]["replications"][0].erase("seed");
  WriteScenario("edited.json", edited);
  auto e = Run("compare edited.json --baseline l1");
  EXPECT_EQ(e.code, 2) << e.err;
  EXPECT_THAT(e.err, HasSubstr("strategies[1].replications"));
  edited = r;
  edited["strategies"][0]["stats"]["requests"].erase("half_width");
  WriteScenario("edited2.json", edited);
  EXPECT_EQ(Run("compare edited2.json").code, 0);
}

}  // namespace
}  // namespace credsim
