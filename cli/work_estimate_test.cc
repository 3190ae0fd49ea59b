#include "cli/work_estimate.h"

#include <cmath>

#include "cli/runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credsim {
namespace {

Scenario Parse(const nlohmann::json& j) {
  auto sc = ParseScenario(j, "t", ".");
  EXPECT_TRUE(sc.ok()) << sc.status();
  return *sc;
}

TEST(EstimateWork, MatchesTheSimulatedRequestCount) {
  const nlohmann::json j = {{"duration", "20m"},
                            {"warmup", "0s"},
                            {"initial_state", "cold"},
                            {"world", {{"colos", {{"count", 4}}}}},
                            {"traffic",
                             {{"rate", 20},
                              {"roles", 5},
                              {"bursts", {{{"start", "5m"}, {"duration", "1m"}, {"rate", 100}}}}}},
                            {"strategies", {"none"}}};
  const Scenario sc = Parse(j);
  const WorkEstimate w = EstimateWork(sc);
  EXPECT_NEAR(w.requests_per_strategy, 20 * 1200 + 100 * 60, 1e-6);
  EXPECT_EQ(w.strategies, 1u);
  auto results = RunScenario(sc, RunOptions{});
  ASSERT_TRUE(results.ok()) << results.status();
  const double simulated = results->at("strategies")[0].at("requests").get<double>();
  // Poisson: sd = sqrt(30,000) ≈ 173; 5 sd.
  EXPECT_NEAR(simulated, w.requests_per_strategy, 5 * std::sqrt(w.requests_per_strategy));
}

TEST(EstimateWork, DescribesItselfAndFormatsCounts) {
  EXPECT_EQ(FormatCount(950), "950");
  EXPECT_EQ(FormatCount(27000), "27k");
  EXPECT_EQ(FormatCount(3.37e6), "3.37M");
  EXPECT_EQ(FormatCount(5.18e12), "5.18T");
  WorkEstimate w{1000, 8000, 3};
  EXPECT_EQ(w.Describe(), "about 1000 requests and 8000 events per strategy x 3");
}

}  // namespace
}  // namespace credsim
