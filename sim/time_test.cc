#include "sim/time.h"

#include "gtest/gtest.h"

namespace credsim {
namespace {

TEST(TimeTest, ParsesHumanDurations) {
  EXPECT_EQ(*ParseDuration("150ms"), Duration::Millis(150));
  EXPECT_EQ(*ParseDuration("10s"), Duration::Seconds(10));
  EXPECT_EQ(*ParseDuration("1h30m"), Duration::Minutes(90));
  EXPECT_EQ(*ParseDuration("1.5h"), Duration::Minutes(90));
  EXPECT_EQ(*ParseDuration("0"), Duration());
  EXPECT_EQ(*ParseDuration("250us"), Duration::Micros(250));
}

TEST(TimeTest, RejectsBadDurationsWithClearMessages) {
  for (const char* bad : {"", "abc", "10", "5 s", "1x", "inf", "1h-"}) {
    auto d = ParseDuration(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_NE(d.status().message().find("is not a duration"), std::string::npos) << bad;
    EXPECT_NE(d.status().message().find("e.g. \"150ms\""), std::string::npos);
  }
  auto neg = ParseDuration("-5s");
  ASSERT_FALSE(neg.ok());
  EXPECT_NE(neg.status().message().find("negative"), std::string::npos);
}

TEST(TimeTest, ArithmeticAndFormatting) {
  Time t = Time() + Duration::Seconds(3);
  EXPECT_EQ(t - Time(), Duration::Seconds(3));
  EXPECT_EQ((t + Duration::Millis(500)).nanos(), 3500000000);
  EXPECT_EQ(FormatDuration(Duration::Minutes(90)), "1h30m");
  EXPECT_EQ(Duration::FromSecondsF(0.15), Duration::Millis(150));
  EXPECT_LT(Duration::Millis(1), Duration::Seconds(1));
}

}  // namespace
}  // namespace credsim
