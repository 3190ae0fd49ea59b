#include "sim/config/distribution_json.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace credsim {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Distribution has no printer; compare the descriptions too so that failures are readable.
#define EXPECT_DIST_EQ(a, b)                     \
  do {                                           \
    EXPECT_EQ((a).Describe(), (b).Describe());   \
    EXPECT_TRUE((a) == (b));                     \
  } while (0)

// ---------------------------------------------------------------------------------------------
// Parsing

constexpr char kPath[] = "scenario.sts.latency";

Distribution ParseOk(const char* text) {
  absl::StatusOr<Distribution> d = ParseDurationDistribution(json::parse(text), kPath);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status();
  return d.ok() ? *d : Distribution();
}

std::string ParseError(const json& j, bool numbers = false) {
  absl::StatusOr<Distribution> d =
      numbers ? ParseNumberDistribution(j, kPath) : ParseDurationDistribution(j, kPath);
  EXPECT_FALSE(d.ok()) << j.dump() << " parsed as " << d->Describe();
  if (d.ok()) return "";
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(d.status().message());
}

TEST(DistributionParseTest, AcceptedDurationForms) {
  EXPECT_DIST_EQ(ParseOk(R"("150ms")"), Distribution::Constant(0.15));
  EXPECT_DIST_EQ(ParseOk(R"({"constant": "1h30m"})"), Distribution::Constant(5400));
  EXPECT_DIST_EQ(ParseOk(R"({"uniform": {"min": "1ms", "max": "3ms"}})"),
            Distribution::Uniform(0.001, 0.003));
  EXPECT_DIST_EQ(ParseOk(R"({"exponential": {"mean": "10m"}})"), Distribution::Exponential(600));
  EXPECT_DIST_EQ(ParseOk(R"({"lognormal": {"median": "150ms", "p99": "1s"}})"),
            Distribution::LogNormal(0.15, 1));
  EXPECT_DIST_EQ(ParseOk(R"({"empirical": {"p0": "1ms", "p50": "20ms", "p99.9": "300ms",
                                     "p100": "1s"}})"),
            Distribution::Empirical({{0, 0.001}, {0.5, 0.02}, {0.999, 0.3}, {1, 1}}));
}

TEST(DistributionParseTest, AcceptedNumberFormsAndToJsonRoundTrip) {
  const char* forms[] = {
      "2.5",
      R"({"constant": -1})",
      R"({"uniform": {"min": 1, "max": 3}})",
      R"({"exponential": {"mean": 4}})",
      R"({"lognormal": {"median": 0.15, "p99": 1}})",
      R"({"empirical": {"p0": 1, "p50": 2, "p99": 3, "p100": 10}})",
  };
  for (const char* text : forms) {
    absl::StatusOr<Distribution> d = ParseNumberDistribution(json::parse(text), "x");
    ASSERT_TRUE(d.ok()) << text << ": " << d.status();
    absl::StatusOr<Distribution> again = ParseNumberDistribution(ToJson(*d), "x");
    ASSERT_TRUE(again.ok()) << ToJson(*d).dump() << ": " << again.status();
    EXPECT_DIST_EQ(*again, *d);
  }
  EXPECT_DIST_EQ(*ParseNumberDistribution(json::parse("2.5"), "x"), Distribution::Constant(2.5));
}

TEST(DistributionParseTest, Errors) {
  struct Case {
    const char* json;
    const char* starts_with;  // after kPath
    const char* contains;
  };
  const Case cases[] = {
      {R"({"gamma": {"k": 1}})", ": unknown distribution \"gamma\"",
       "expected one of constant, uniform, exponential, lognormal, empirical"},
      {R"({"constant": "1s", "uniform": {}})", ": expected exactly one distribution key",
       "got 2 keys"},
      {R"({})", ": expected exactly one distribution key", "got 0 keys"},
      {R"(5)", ": expected a duration string such as \"150ms\" or an object", "got 5"},
      {R"("abc")", ": \"abc\" is not a duration", "e.g. \"150ms\""},
      {R"({"constant": 5})", ".constant: expected a duration string", "got 5"},
      {R"({"lognormal": {"median": "150ms", "p99": "100ms"}})", ".lognormal.p99: ",
       "must be >= median (150ms)"},
      {R"({"lognormal": {"median": "abc", "p99": "1s"}})", ".lognormal.median: ",
       "\"abc\" is not a duration"},
      {R"({"lognormal": {"median": "0s", "p99": "1s"}})", ".lognormal.median: ", "must be > 0"},
      {R"({"lognormal": {"median": "1s", "p99": "2s", "mean": "1s"}})", ".lognormal.mean: ",
       "unknown key \"mean\"; lognormal accepts median, p99"},
      {R"({"lognormal": {"median": "1s"}})", ".lognormal: ",
       "missing key \"p99\"; lognormal requires median, p99"},
      {R"({"lognormal": "1s"})", ".lognormal: ", "expected an object with keys median, p99"},
      {R"({"uniform": {"min": "3ms", "max": "1ms"}})", ".uniform.max: ", "must be >= min (3ms)"},
      {R"({"exponential": {"mean": "0s"}})", ".exponential.mean: ", "must be > 0"},
      {R"({"exponential": {"mean": "-1s"}})", ".exponential.mean: ", "negative"},
      {R"({"empirical": {"p0": "1ms", "p50": "20ms"}})", ".empirical: ", "missing \"p100\""},
      {R"({"empirical": {"p50": "20ms", "p100": "1s"}})", ".empirical: ", "missing \"p0\""},
      {R"({"empirical": {"p0": "1ms", "q50": "2ms", "p100": "1s"}})", ".empirical.q50: ",
       "invalid key \"q50\""},
      {R"({"empirical": {"p0": "1ms", "p101": "2ms", "p100": "1s"}})", ".empirical.p101: ",
       "invalid key"},
      {R"({"empirical": {"p0": "1ms", "p50": "2s", "p99": "1s", "p100": "3s"}})",
       ".empirical.p99: ", "must be >= p50 (2s)"},
      {R"({"empirical": {"p0": "1ms", "p50": "2s", "p50.0": "2s", "p100": "3s"}})",
       ".empirical.p50.0: ", "same percentile as \"p50\""},
      {R"({"empirical": {"p0": "1ms", "p50": 3, "p100": "3s"}})", ".empirical.p50: ",
       "expected a duration string"},
      // Issue 10 item 4: values beyond int64 nanoseconds used to saturate silently.
      {R"("2562048h")", ": \"2562048h\" is too large", "at most 2562047h47m16.854775807s"},
      {R"({"exponential": {"mean": "3000000h"}})", ".exponential.mean: \"3000000h\" is too large",
       "at most 2562047h47m16.854775807s"},
      {R"({"empirical": {"p0": "1ms", "p100": "9999999h"}})", ".empirical.p100: ", "is too large"},
  };
  for (const Case& c : cases) {
    const std::string msg = ParseError(json::parse(c.json));
    EXPECT_THAT(msg, StartsWith(std::string(kPath) + c.starts_with)) << c.json;
    EXPECT_THAT(msg, HasSubstr(c.contains)) << c.json;
  }
  // Number syntax: durations are rejected, and checks use numbers.
  EXPECT_THAT(ParseError(json::parse(R"({"constant": "1s"})"), true),
              StartsWith(std::string(kPath) + ".constant: expected a number"));
  EXPECT_THAT(ParseError(json::parse(R"({"uniform": {"min": 3, "max": 1}})"), true),
              StartsWith(std::string(kPath) + ".uniform.max: must be >= min (3)"));
  EXPECT_THAT(ParseError(json::parse("true"), true), HasSubstr("expected a number or an object"));
}

}  // namespace
}  // namespace credsim
