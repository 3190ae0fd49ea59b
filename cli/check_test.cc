// Tests of the CI regression check (cli/check.h): tolerance parsing, baseline extraction
// and validation, the comparison (regressions, improvements, tolerance, coverage in both
// directions), the human and GitHub-annotation lines, and baseline updates.
#include "cli/check.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace credsim {
namespace {

using ::nlohmann::json;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Kind = CheckFinding::Kind;

// Metrics compared per (scenario, strategy): sts_calls, sts_throttled, 4 error statuses,
// auth p99.
constexpr size_t kMetricsPerEntry = 7;

// One strategy entry of results.json, with the fields the check reads (and a few it ignores).
json ResultEntry(const std::string& name, uint64_t sts_calls, double p99 = 180.5) {
  return json{{"name", name},
              {"kind", name},
              {"requests", 1000},
              {"sts_calls", sts_calls},
              {"sts_throttled", 2},
              {"errors", {{"403", 1}, {"500", 0}, {"502", 3}, {"503", 4}, {"total", 8}}},
              {"auth_latency_ms", {{"p50", 1.5}, {"p99", p99}, {"p999", 900}}}};
}

json Results(const std::string& scenario, std::vector<json> strategies) {
  return json{{"credsim_version", "0.1.0"}, {"scenario", scenario}, {"strategies", strategies}};
}

// Baseline form of ResultEntry().
json BaselineEntry(double sts_calls, double p99 = 180.5) {
  return json{{"sts_calls", sts_calls},
              {"sts_throttled", 2},
              {"errors", {{"403", 1}, {"500", 0}, {"502", 3}, {"503", 4}}},
              {"auth_p99_ms", p99}};
}

json Baseline(json scenarios) { return json{{"credsim_version", "0.1.0"}, {"scenarios", scenarios}}; }

std::vector<Kind> Kinds(const CheckReport& r) {
  std::vector<Kind> out;
  for (const auto& f : r.findings) out.push_back(f.kind);
  return out;
}

// ---------------------------------------------------------------------------------------------
// ParseTolerance

TEST(ParseTolerance, AcceptsPercentagesAndFractions) {
  EXPECT_DOUBLE_EQ(*ParseTolerance("2%"), 0.02);
  EXPECT_DOUBLE_EQ(*ParseTolerance("0.5%"), 0.005);
  EXPECT_DOUBLE_EQ(*ParseTolerance("0"), 0.0);
  EXPECT_DOUBLE_EQ(*ParseTolerance("0%"), 0.0);
  EXPECT_DOUBLE_EQ(*ParseTolerance("0.02"), 0.02);
  EXPECT_DOUBLE_EQ(*ParseTolerance("150%"), 1.5);
}

TEST(ParseTolerance, ABareNumberAboveOneMustBeSpelledAsAPercentage) {
  // "--tolerance 2" used to mean 200 % (issue 10 item 12).
  for (const char* bad : {"2", "1.5", "100"}) {
    auto t = ParseTolerance(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("must be at most 1")) << bad;
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("%")) << bad;
  }
  EXPECT_DOUBLE_EQ(*ParseTolerance("1"), 1.0);
  EXPECT_DOUBLE_EQ(*ParseTolerance("200%"), 2.0);
}

TEST(ParseTolerance, RejectsEverythingElseNamingTheAcceptedForms) {
  for (const char* bad : {"", "%", "-1%", "-0.1", "abc", "2%%", "2 %", "nan", "inf", "1e999", "2x"}) {
    SCOPED_TRACE(bad);
    auto t = ParseTolerance(bad);
    ASSERT_FALSE(t.ok());
    const std::string msg(t.status().message());
    EXPECT_THAT(msg, StartsWith(std::string("--tolerance: \"") + bad + "\" is not accepted"));
    EXPECT_THAT(msg, HasSubstr("\"2%\""));
  }
}

// ---------------------------------------------------------------------------------------------
// BaselineFromResults

TEST(BaselineFromResults, ExtractsTheCheckedMetricsPerScenarioAndStrategy) {
  auto b = BaselineFromResults({Results("s1", {ResultEntry("none", 500), ResultEntry("l1", 40, 99.25)}),
                                Results("s2", {ResultEntry("kv", 7)})},
                               {"a.json", "b.json"});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(b->at("credsim_version").is_string());
  const json expected_scenarios = {
      {"s1", {{"none", BaselineEntry(500)}, {"l1", BaselineEntry(40, 99.25)}}},
      {"s2", {{"kv", BaselineEntry(7)}}}};
  EXPECT_EQ(b->at("scenarios"), expected_scenarios);
  // "total" is derived, not compared.
  EXPECT_FALSE(b->at("scenarios").at("s1").at("none").at("errors").contains("total"));
  EXPECT_TRUE(ValidateBaseline(*b, "x").ok());
}

TEST(BaselineFromResults, TwoResultsForOneScenarioAreAnInputError) {
  // The last one used to win, so the verdict depended on argument order (issue 10 item 12).
  auto b = BaselineFromResults({Results("s1", {ResultEntry("l1", 1)}), Results("s1", {ResultEntry("l1", 2)})},
                               {"a.json", "b.json"});
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(std::string(b.status().message()), StartsWith("b.json: scenario \"s1\" is also in a.json"));
  auto twice = BaselineFromResults({Results("s1", {ResultEntry("l1", 1), ResultEntry("l1", 2)})}, {"a.json"});
  ASSERT_FALSE(twice.ok());
  EXPECT_THAT(std::string(twice.status().message()), HasSubstr("strategies[1].name: strategy \"l1\" appears twice"));
}

TEST(BaselineFromResults, ErrorsNameTheFileAndPath) {
  struct Case {
    json doc;
    std::string error;
  };
  json no_name = ResultEntry("l1", 1);
  no_name.erase("name");
  json no_p99 = ResultEntry("l1", 1);
  no_p99["auth_latency_ms"].erase("p99");
  json no_sts = ResultEntry("l1", 1);
  no_sts.erase("sts_calls");
  json negative = ResultEntry("l1", 1);
  negative["sts_throttled"] = -1;
  json no_errors = ResultEntry("l1", 1);
  no_errors.erase("errors");
  json no_503 = ResultEntry("l1", 1);
  no_503["errors"].erase("503");
  const Case cases[] = {
      {json::array(), "r.json: not a credsim results file"},
      {json{{"scenario", "s"}}, "r.json: not a credsim results file"},
      {json{{"scenario", 3}, {"strategies", json::array()}}, "r.json: not a credsim results file"},
      {Results("s", {ResultEntry("ok", 1), no_name}), "r.json: strategies[1].name: missing"},
      {Results("s", {no_p99}), "r.json: strategies[0].auth_latency_ms.p99: missing"},
      {Results("s", {no_sts}), "r.json: strategies[0].sts_calls: expected a number >= 0"},
      {Results("s", {negative}), "r.json: strategies[0].sts_throttled: expected a number >= 0"},
      {Results("s", {no_errors}), "r.json: strategies[0].errors: expected an object"},
      {Results("s", {no_503}), "r.json: strategies[0].errors.503: missing"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.doc.dump());
    auto b = BaselineFromResults({Results("fine", {ResultEntry("l1", 1)}), c.doc}, {"ok.json", "r.json"});
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(b.status().message()), StartsWith(c.error));
  }
}

// ---------------------------------------------------------------------------------------------
// ValidateBaseline

TEST(ValidateBaseline, AcceptsAnEmptyAndAFullBaseline) {
  EXPECT_TRUE(ValidateBaseline(Baseline(json::object()), "b.json").ok());
  EXPECT_TRUE(ValidateBaseline(Baseline({{"s", {{"l1", BaselineEntry(3)}}}}), "b.json").ok());
}

TEST(ValidateBaseline, RejectsMalformedBaselinesNamingFileAndPath) {
  json no_503 = BaselineEntry(1);
  no_503["errors"].erase("503");
  json string_calls = BaselineEntry(1);
  string_calls["sts_calls"] = "12";
  json no_p99 = BaselineEntry(1);
  no_p99.erase("auth_p99_ms");
  struct Case {
    json doc;
    std::string error;
  };
  const Case cases[] = {
      {json::array(), "b.json: not a credsim baseline"},
      {json{{"credsim_version", "0.1.0"}}, "b.json: not a credsim baseline"},
      {json{{"scenarios", json::array()}}, "b.json: not a credsim baseline"},
      {Baseline({{"s", 5}}), "b.json: scenarios.s: expected an object"},
      {Baseline({{"s", {{"l1", 5}}}}), "b.json: scenarios.s.l1: expected an object"},
      {Baseline({{"s", {{"l1", no_503}}}}), "b.json: scenarios.s.l1.errors.503: missing"},
      {Baseline({{"s", {{"l1", string_calls}}}}), "b.json: scenarios.s.l1.sts_calls: expected a number >= 0"},
      {Baseline({{"s", {{"l1", no_p99}}}}), "b.json: scenarios.s.l1.auth_p99_ms: missing"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.doc.dump());
    absl::Status s = ValidateBaseline(c.doc, "b.json");
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(std::string(s.message()), StartsWith(c.error));
  }
}

// ---------------------------------------------------------------------------------------------
// Compare

TEST(Compare, IdenticalResultsPass) {
  const json b = Baseline({{"s1", {{"none", BaselineEntry(500)}, {"l1", BaselineEntry(40)}}},
                           {"s2", {{"kv", BaselineEntry(7)}}}});
  const CheckReport r = Compare(b, b, 0);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(r.compared, 3 * kMetricsPerEntry);
  EXPECT_FALSE(r.failed());
}

TEST(Compare, OneMoreStsCallFailsAtToleranceZero) {
  const json b = Baseline({{"s", {{"l1", BaselineEntry(40)}, {"kv", BaselineEntry(9)}}}});
  const json now = Baseline({{"s", {{"l1", BaselineEntry(41)}, {"kv", BaselineEntry(9)}}}});
  const CheckReport r = Compare(b, now, 0);
  ASSERT_EQ(r.findings.size(), 1u);
  const CheckFinding& f = r.findings[0];
  EXPECT_EQ(f.kind, Kind::kRegression);
  EXPECT_EQ(f.scenario, "s");
  EXPECT_EQ(f.strategy, "l1");
  EXPECT_EQ(f.metric, "sts_calls");
  EXPECT_EQ(f.baseline, 40);
  EXPECT_EQ(f.now, 41);
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.compared, 2 * kMetricsPerEntry);
  EXPECT_EQ(f.Line(), "REGRESSION s / l1: sts_calls baseline 40 now 41 (+2.50%)");
}

TEST(Compare, EveryMetricCanRegress) {
  json base = BaselineEntry(10);
  const std::vector<std::pair<std::string, json::json_pointer>> metrics = {
      {"sts_calls", json::json_pointer("/sts_calls")},
      {"sts_throttled", json::json_pointer("/sts_throttled")},
      {"errors.403", json::json_pointer("/errors/403")},
      {"errors.500", json::json_pointer("/errors/500")},
      {"errors.502", json::json_pointer("/errors/502")},
      {"errors.503", json::json_pointer("/errors/503")},
      {"auth_p99_ms", json::json_pointer("/auth_p99_ms")},
  };
  ASSERT_EQ(metrics.size(), kMetricsPerEntry);
  for (const auto& [name, ptr] : metrics) {
    SCOPED_TRACE(name);
    json now = base;
    now[ptr] = now[ptr].get<double>() + 1;
    const CheckReport r = Compare(Baseline({{"s", {{"x", base}}}}), Baseline({{"s", {{"x", now}}}}), 0);
    ASSERT_EQ(r.findings.size(), 1u);
    EXPECT_EQ(r.findings[0].kind, Kind::kRegression);
    EXPECT_EQ(r.findings[0].metric, name);
    EXPECT_TRUE(r.failed());
  }
}

TEST(Compare, RespectsTolerance) {
  const json b = Baseline({{"s", {{"l1", BaselineEntry(1000)}}}});
  auto now = [](double sts_calls) { return Baseline({{"s", {{"l1", BaselineEntry(sts_calls)}}}}); };
  // +1.9 % is within 2 %; +2.1 % is not.
  EXPECT_TRUE(Compare(b, now(1019), 0.02).findings.empty());
  const CheckReport over = Compare(b, now(1021), 0.02);
  ASSERT_EQ(Kinds(over), std::vector<Kind>{Kind::kRegression});
  EXPECT_TRUE(over.failed());
  // The same +1.9 % fails at tolerance 1 % and at 0.
  EXPECT_TRUE(Compare(b, now(1019), 0.01).failed());
  EXPECT_TRUE(Compare(b, now(1001), 0).failed());
  // Decreases within tolerance are not reported either; beyond it they are improvements.
  EXPECT_TRUE(Compare(b, now(981), 0.02).findings.empty());
  EXPECT_EQ(Kinds(Compare(b, now(979), 0.02)), std::vector<Kind>{Kind::kImprovement});
  // Tolerance is relative to the baseline: p99 180.5 ms -> 184 ms is +1.94 %.
  const json pb = Baseline({{"s", {{"l1", BaselineEntry(100, 180.5)}}}});
  EXPECT_TRUE(Compare(pb, Baseline({{"s", {{"l1", BaselineEntry(100, 184)}}}}), 0.02).findings.empty());
  EXPECT_TRUE(Compare(pb, Baseline({{"s", {{"l1", BaselineEntry(100, 185)}}}}), 0.02).failed());
}

TEST(Compare, AnIncreaseFromZeroIsARegressionAtAnyTolerance) {
  json base = BaselineEntry(10);
  base["errors"]["500"] = 0;
  json now = base;
  now["errors"]["500"] = 1;
  const CheckReport r = Compare(Baseline({{"s", {{"x", base}}}}), Baseline({{"s", {{"x", now}}}}), 0.5);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].metric, "errors.500");
  EXPECT_EQ(r.findings[0].Line(), "REGRESSION s / x: errors.500 baseline 0 now 1 (+inf%)");
}

TEST(Compare, ReportsImprovementsWithoutFailing) {
  const json b = Baseline({{"s", {{"l1", BaselineEntry(100, 200)}}}});
  const CheckReport r = Compare(b, Baseline({{"s", {{"l1", BaselineEntry(90, 150.5)}}}}), 0.02);
  ASSERT_EQ(Kinds(r), (std::vector<Kind>{Kind::kImprovement, Kind::kImprovement}));
  EXPECT_FALSE(r.failed());
  EXPECT_EQ(r.findings[0].metric, "sts_calls");
  EXPECT_EQ(r.findings[0].Line(), "improved   s / l1: sts_calls baseline 100 now 90 (-10.00%)");
  EXPECT_EQ(r.findings[1].metric, "auth_p99_ms");
  EXPECT_EQ(r.findings[1].Line(), "improved   s / l1: auth_p99_ms baseline 200 now 150.5 (-24.75%)");
}

TEST(Compare, ARegressionAndAnImprovementTogetherFail) {
  json now = BaselineEntry(90);
  now["sts_throttled"] = 3;
  const CheckReport r = Compare(Baseline({{"s", {{"l1", BaselineEntry(100)}}}}), Baseline({{"s", {{"l1", now}}}}), 0);
  EXPECT_EQ(Kinds(r), (std::vector<Kind>{Kind::kImprovement, Kind::kRegression}));
  EXPECT_TRUE(r.failed());
}

TEST(Compare, StrategyMissingFromResultsFails) {
  const json b = Baseline({{"s", {{"l1", BaselineEntry(40)}, {"kv", BaselineEntry(9)}}}});
  const CheckReport r = Compare(b, Baseline({{"s", {{"l1", BaselineEntry(40)}}}}), 0);
  ASSERT_EQ(Kinds(r), std::vector<Kind>{Kind::kMissingFromResults});
  EXPECT_EQ(r.findings[0].scenario, "s");
  EXPECT_EQ(r.findings[0].strategy, "kv");
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.findings[0].Line(),
            "MISSING    s / kv: in the baseline but not in the results (run it, or remove it with "
            "--update)");
}

TEST(Compare, ScenarioMissingFromResultsFailsForEachOfItsStrategies) {
  const json b = Baseline({{"s", {{"l1", BaselineEntry(40)}}},
                           {"gone", {{"none", BaselineEntry(1)}, {"l1", BaselineEntry(2)}}}});
  const CheckReport r = Compare(b, Baseline({{"s", {{"l1", BaselineEntry(40)}}}}), 0);
  ASSERT_EQ(Kinds(r), (std::vector<Kind>{Kind::kMissingFromResults, Kind::kMissingFromResults}));
  EXPECT_EQ(r.findings[0].scenario, "gone");
  EXPECT_EQ(r.findings[1].scenario, "gone");
  EXPECT_EQ(std::set<std::string>({r.findings[0].strategy, r.findings[1].strategy}),
            std::set<std::string>({"none", "l1"}));
  EXPECT_TRUE(r.failed());
}

TEST(Compare, StrategyOrScenarioMissingFromBaselineIsNewNotAFailure) {
  const json b = Baseline({{"s", {{"l1", BaselineEntry(40)}}}});
  const json now = Baseline({{"s", {{"l1", BaselineEntry(40)}, {"kv", BaselineEntry(9)}}},
                             {"fresh", {{"none", BaselineEntry(3)}}}});
  const CheckReport r = Compare(b, now, 0);
  ASSERT_EQ(Kinds(r), (std::vector<Kind>{Kind::kMissingFromBaseline, Kind::kMissingFromBaseline}));
  EXPECT_FALSE(r.failed());
  EXPECT_EQ(r.compared, kMetricsPerEntry);
  EXPECT_EQ(r.findings[0].Line(), "new        fresh / none: not in the baseline (add it with --update)");
  EXPECT_EQ(r.findings[1].Line(), "new        s / kv: not in the baseline (add it with --update)");
}

TEST(CheckFinding, GithubAnnotationsEscapeWorkflowCommandsAndPointAtTheScenarioFile) {
  // A scenario or strategy name cannot start a new workflow command (issue 10 item 3): %,
  // CR and LF are escaped in the message, and also : and , in properties.
  CheckFinding evil{Kind::kRegression, "s\n::warning::pwned", "l1\r\n::add-mask::x", "sts_calls", 1, 2,
                    "scen,arios/a:b%.json"};
  const std::string a = evil.GithubAnnotation();
  EXPECT_EQ(a.find('\n'), std::string::npos) << a;
  EXPECT_EQ(a.find('\r'), std::string::npos) << a;
  EXPECT_THAT(a, StartsWith("::error file=scen%2Carios/a%3Ab%25.json,title=credsim regression::"));
  EXPECT_THAT(a, HasSubstr("REGRESSION s%0A::warning::pwned / l1%0D%0A::add-mask::x: sts_calls"));
  EXPECT_THAT(a, EndsWith("(+100.00%25)"));
  EXPECT_EQ(EscapeWorkflowData("100% a\r\nb"), "100%25 a%0D%0Ab");
  EXPECT_EQ(EscapeWorkflowProperty("a:b,c%"), "a%3Ab%2Cc%25");
}

TEST(CheckFinding, GithubAnnotationsAreErrorsForFailuresAndNoticesOtherwise) {
  CheckFinding regression{Kind::kRegression, "s", "l1", "sts_calls", 40, 41, ""};
  EXPECT_EQ(regression.GithubAnnotation(),
            "::error title=credsim regression::REGRESSION s / l1: sts_calls baseline 40 now 41 "
            "(+2.50%25)");
  CheckFinding missing{Kind::kMissingFromResults, "s", "kv", "", 0, 0, ""};
  EXPECT_THAT(missing.GithubAnnotation(), StartsWith("::error title=credsim regression::MISSING    s / kv"));
  CheckFinding improved{Kind::kImprovement, "s", "l1", "sts_calls", 40, 30, ""};
  EXPECT_THAT(improved.GithubAnnotation(), StartsWith("::notice title=credsim change::improved   s / l1"));
  CheckFinding fresh{Kind::kMissingFromBaseline, "s", "kv", "", 0, 0, ""};
  EXPECT_THAT(fresh.GithubAnnotation(), StartsWith("::notice title=credsim change::new        s / kv"));
}

TEST(CheckReport, FailedOnlyForRegressionsAndMissingResults) {
  CheckReport r;
  EXPECT_FALSE(r.failed());
  r.findings.push_back({Kind::kImprovement, "s", "a", "sts_calls", 2, 1, ""});
  r.findings.push_back({Kind::kMissingFromBaseline, "s", "b", "", 0, 0, ""});
  EXPECT_FALSE(r.failed());
  r.findings.push_back({Kind::kMissingFromResults, "s", "c", "", 0, 0, ""});
  EXPECT_TRUE(r.failed());
}

// ---------------------------------------------------------------------------------------------
// UpdateBaseline

TEST(UpdateBaseline, ReplacesTheRunScenariosAndKeepsTheOthers) {
  const json b = Baseline({{"s", {{"l1", BaselineEntry(40)}, {"kv", BaselineEntry(9)}}},
                           {"other", {{"none", BaselineEntry(3)}}}});
  json old = b;
  old["credsim_version"] = "0.0.1";
  const json now = Baseline({{"s", {{"l1", BaselineEntry(41)}}}, {"fresh", {{"none", BaselineEntry(5)}}}});
  const json u = UpdateBaseline(old, now);
  EXPECT_EQ(u.at("credsim_version"), now.at("credsim_version"));
  EXPECT_NE(u.at("credsim_version"), "0.0.1");
  // "s" is replaced as a whole (its kv entry goes), "other" stays, "fresh" is added.
  const json expected = {{"s", {{"l1", BaselineEntry(41)}}},
                         {"other", {{"none", BaselineEntry(3)}}},
                         {"fresh", {{"none", BaselineEntry(5)}}}};
  EXPECT_EQ(u.at("scenarios"), expected);
  EXPECT_TRUE(ValidateBaseline(u, "u").ok());
  // Against the results it was made from, only the kept scenario that was not run is missing.
  const CheckReport r = Compare(u, now, 0);
  ASSERT_EQ(Kinds(r), std::vector<Kind>{Kind::kMissingFromResults});
  EXPECT_EQ(r.findings[0].scenario, "other");
  EXPECT_EQ(r.compared, 2 * kMetricsPerEntry);
}

TEST(UpdateBaseline, CreatesABaselineFromNothing) {
  const json now = Baseline({{"s", {{"l1", BaselineEntry(41)}}}});
  const json u = UpdateBaseline(json::object(), now);
  EXPECT_EQ(u.at("scenarios"), now.at("scenarios"));
  EXPECT_TRUE(ValidateBaseline(u, "u").ok());
}

TEST(CheckRoundTrip, ResultsAgainstTheirOwnBaselinePass) {
  const std::vector<json> results = {Results("s1", {ResultEntry("none", 500), ResultEntry("l1", 40)})};
  auto current = BaselineFromResults(results, {"r.json"});
  ASSERT_TRUE(current.ok());
  const json baseline = UpdateBaseline(json::object(), *current);
  const CheckReport same = Compare(baseline, *current, 0);
  EXPECT_TRUE(same.findings.empty());
  EXPECT_EQ(same.compared, 2 * kMetricsPerEntry);
  // One more STS call in the results file is caught.
  auto worse = BaselineFromResults({Results("s1", {ResultEntry("none", 501), ResultEntry("l1", 40)})},
                                   {"r.json"});
  ASSERT_TRUE(worse.ok());
  EXPECT_TRUE(Compare(baseline, *worse, 0).failed());
}

TEST(CommittedBaseline, IsValidAndCoversOnlyLibraryScenarios) {
  const std::filesystem::path dir = std::filesystem::path(CREDSIM_SOURCE_DIR) / "scenarios";
  std::ifstream in(dir / "baselines.json");
  if (!in) GTEST_SKIP() << "no scenarios/baselines.json";
  const json b = json::parse(in, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(b.is_discarded()) << "scenarios/baselines.json is not valid JSON";
  absl::Status s = ValidateBaseline(b, "scenarios/baselines.json");
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_FALSE(b.at("scenarios").empty());
  for (const auto& [name, strategies] : b.at("scenarios").items()) {
    EXPECT_TRUE(std::filesystem::exists(dir / (name + ".json"))) << name;
    EXPECT_FALSE(strategies.empty()) << name;
  }
}

}  // namespace
}  // namespace credsim
