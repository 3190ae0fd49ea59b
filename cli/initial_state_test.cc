// The scenario's initial_state (steady-state back-dating or a cold start) and the warnings
// results.json derives from the window.
#include <string>

#include "cli/results.h"
#include "cli/scenario.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace credsim {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

absl::StatusOr<Scenario> Parse(const std::string& text) {
  return ParseScenario(nlohmann::json::parse(text), "x", ".");
}

TEST(InitialState, ScenarioDefaultIsSteady) {
  auto sc = Parse(R"({"strategies": ["none"]})");
  ASSERT_TRUE(sc.ok()) << sc.status();
  EXPECT_EQ(sc->world.initial_state, InitialState::kSteady);
  // A WorldConfig built in C++ (tests, validation) starts cold.
  EXPECT_EQ(WorldConfig().initial_state, InitialState::kCold);
}

TEST(InitialState, ColdIsAccepted) {
  auto sc = Parse(R"({"initial_state": "cold", "warmup": "0s", "strategies": ["none"]})");
  ASSERT_TRUE(sc.ok()) << sc.status();
  EXPECT_EQ(sc->world.initial_state, InitialState::kCold);
}

TEST(InitialState, UnknownValueIsRejectedWithTheAcceptedOnes) {
  auto sc = Parse(R"({"initial_state": "warm", "strategies": ["none"]})");
  ASSERT_FALSE(sc.ok());
  EXPECT_THAT(std::string(sc.status().message()), HasSubstr("initial_state"));
  EXPECT_THAT(std::string(sc.status().message()), HasSubstr("steady"));
}

TEST(ScenarioWarnings, ShortWindowIsFlagged) {
  auto sc = Parse(R"({"duration": "30m", "strategies": ["none"]})");
  ASSERT_TRUE(sc.ok()) << sc.status();
  const auto w = ScenarioWarnings(*sc);
  ASSERT_THAT(w, SizeIs(1));
  EXPECT_THAT(w[0], HasSubstr("shorter than one credential lifetime"));
}

TEST(ScenarioWarnings, ColdStartWaveInsideTheWindowIsFlagged) {
  auto sc = Parse(R"({"initial_state": "cold", "duration": "2h", "strategies": ["none"]})");
  ASSERT_TRUE(sc.ok()) << sc.status();
  const auto w = ScenarioWarnings(*sc);
  ASSERT_THAT(w, SizeIs(1));
  EXPECT_THAT(w[0], HasSubstr("renews together"));
  // The same window with a steady start has nothing to warn about.
  auto steady = Parse(R"({"duration": "2h", "strategies": ["none"]})");
  ASSERT_TRUE(steady.ok());
  EXPECT_THAT(ScenarioWarnings(*steady), IsEmpty());
}

TEST(ScenarioWarnings, AreWrittenToResultsAndSummary) {
  auto sc = Parse(R"({"duration": "30m", "strategies": ["none"]})");
  ASSERT_TRUE(sc.ok()) << sc.status();
  const nlohmann::json j = ScenarioResult(*sc, {});
  EXPECT_EQ(j["initial_state"], "steady");
  ASSERT_EQ(j["warnings"].size(), 1u);
  EXPECT_THAT(SummaryMarkdown(j), HasSubstr("> **Warning:** The measured window (30m)"));
}

}  // namespace
}  // namespace credsim
