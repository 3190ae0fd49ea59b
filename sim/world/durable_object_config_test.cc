#include "sim/world/durable_object_config.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace credsim {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

absl::Status Parse(const std::string& text, DurableObjectConfig* out, ParamLog* log = nullptr) {
  const json j = json::parse(text);
  JsonReader r(j, "scenario.durable_objects", log);
  absl::Status s = ParseDurableObjectConfig(r, out);
  if (!s.ok()) return s;
  return r.Finish();
}

TEST(DurableObjectConfigTest, EmptyObjectKeepsTheDocumentedDefaults) {
  DurableObjectConfig c;
  ASSERT_TRUE(Parse("{}", &c).ok());
  EXPECT_EQ(c.placement, DurableObjectPlacement::kFirstCaller);
  EXPECT_EQ(c.location_colo, 0u);
  EXPECT_TRUE(c.service_time == Distribution::Constant(0.001));
  EXPECT_TRUE(c.storage_latency == Distribution::Constant(0.001));
  EXPECT_EQ(c.soft_limit_rps, 1000);
  EXPECT_EQ(c.max_queue, 100);
  EXPECT_EQ(c.evict_after_idle, Duration::Seconds(10));
  EXPECT_EQ(c.alarm_retry.initial, Duration::Seconds(2));
  EXPECT_EQ(c.alarm_retry.max_retries, 6);
  EXPECT_EQ(c.alarm_retry.factor, 2);
  EXPECT_TRUE(c.alarm_retry.set_alarm_cancels_retry);
  EXPECT_EQ(c.alarm_retry.jitter, 0);
}

TEST(DurableObjectConfigTest, ReadsEveryField) {
  DurableObjectConfig c;
  ParamLog log;
  ASSERT_TRUE(Parse(R"({"placement": "hint", "location_colo": 12,
                        "service_time": {"uniform": {"min": "1ms", "max": "3ms"}},
                        "storage_latency": "5ms", "soft_limit_rps": 500, "max_queue": 7,
                        "evict_after_idle": "70s",
                        "alarm_retry": {"initial": "1s", "max_retries": 3, "factor": 3,
                                        "set_alarm_cancels_retry": false, "jitter": 0.25}})",
                    &c, &log)
                  .ok());
  EXPECT_EQ(c.placement, DurableObjectPlacement::kHint);
  EXPECT_EQ(c.location_colo, 12u);
  EXPECT_TRUE(c.service_time == Distribution::Uniform(0.001, 0.003));
  EXPECT_TRUE(c.storage_latency == Distribution::Constant(0.005));
  EXPECT_EQ(c.soft_limit_rps, 500);
  EXPECT_EQ(c.max_queue, 7);
  EXPECT_EQ(c.evict_after_idle, Duration::Seconds(70));
  EXPECT_EQ(c.alarm_retry.initial, Duration::Seconds(1));
  EXPECT_EQ(c.alarm_retry.max_retries, 3);
  EXPECT_EQ(c.alarm_retry.factor, 3);
  EXPECT_FALSE(c.alarm_retry.set_alarm_cancels_retry);
  EXPECT_EQ(c.alarm_retry.jitter, 0.25);
  EXPECT_EQ(log.size(), 13u);
  EXPECT_EQ(log.count("scenario.durable_objects.alarm_retry.max_retries"), 1u);
}

TEST(DurableObjectConfigTest, ErrorsNameThePathAndWhatIsAccepted) {
  DurableObjectConfig c;
  absl::Status s = Parse(R"({"placement": "nearest"})", &c);
  EXPECT_EQ(c.placement, DurableObjectPlacement::kFirstCaller);
  EXPECT_THAT(std::string(s.message()), StartsWith("scenario.durable_objects.placement: "));
  EXPECT_THAT(std::string(s.message()), HasSubstr("first_caller, hint"));

  s = Parse(R"({"alarm_retry": {"intial": "2s"}})", &c);
  EXPECT_THAT(std::string(s.message()),
              StartsWith("scenario.durable_objects.alarm_retry.intial: unknown key"));

  s = Parse(R"({"alarm_retry": {"jitter": 1.5}})", &c);
  EXPECT_THAT(std::string(s.message()),
              StartsWith("scenario.durable_objects.alarm_retry.jitter: "));

  s = Parse(R"({"service_time": {"lognormal": {"median": "5ms", "p99": "1ms"}}})", &c);
  EXPECT_THAT(std::string(s.message()),
              StartsWith("scenario.durable_objects.service_time.lognormal.p99: "));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("service_time: scenario")));

  s = Parse(R"({"evict_after_idle": "0s"})", &c);
  EXPECT_THAT(std::string(s.message()),
              StartsWith("scenario.durable_objects.evict_after_idle: must be positive"));
  EXPECT_EQ(c.evict_after_idle, Duration::Seconds(10));  // invalid values are not stored

  s = Parse(R"({"max_queue": -1})", &c);
  EXPECT_THAT(std::string(s.message()), StartsWith("scenario.durable_objects.max_queue: "));

  s = Parse(R"({"soft_limit_rps": 1000, "typo": 1})", &c);
  EXPECT_THAT(std::string(s.message()),
              StartsWith("scenario.durable_objects.typo: unknown key"));
}

}  // namespace
}  // namespace credsim
