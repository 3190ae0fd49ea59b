#include "sim/engine/time.h"

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

TEST(TimeTest, RejectsDurationsThatDoNotFitInInt64Nanoseconds) {
  // Issue 10 item 4: "2562048h" used to saturate silently to 2^63-1 ns (and overflow later).
  for (const char* big : {"2562048h", "2562047h47m16.854775808s", "1000000000h", "10000000000s"}) {
    auto d = ParseDuration(big);
    ASSERT_FALSE(d.ok()) << big;
    const std::string msg(d.status().message());
    EXPECT_NE(msg.find(std::string("\"") + big + "\" is too large"), std::string::npos) << msg;
    EXPECT_NE(msg.find("at most 2562047h47m16.854775807s"), std::string::npos) << msg;
  }
  auto max = ParseDuration("2562047h47m16.854775807s");
  ASSERT_TRUE(max.ok()) << max.status();
  EXPECT_EQ(*max, kMaxDuration);
  EXPECT_EQ(*ParseDuration("2562047h"), Duration::Hours(2562047));
}

TEST(TimeTest, CheckedArithmeticDetectsOverflow) {
  EXPECT_EQ(CheckedAdd(Duration::Hours(1), Duration::Minutes(5)), Duration::Minutes(65));
  EXPECT_EQ(CheckedAdd(kMaxDuration, Duration()), kMaxDuration);
  EXPECT_FALSE(CheckedAdd(kMaxDuration, Duration::Nanos(1)).has_value());
  EXPECT_FALSE(CheckedAdd(Duration::Hours(2562047), Duration::Hours(1)).has_value());
  EXPECT_FALSE(CheckedAdd(-kMaxDuration, Duration::Nanos(-2)).has_value());
  EXPECT_EQ(CheckedAdd(-kMaxDuration, Duration::Nanos(-1)), Duration::Nanos(INT64_MIN));
  EXPECT_EQ(CheckedMul(Duration::Minutes(1), 60), Duration::Hours(1));
  EXPECT_FALSE(CheckedMul(Duration::Hours(1000000), 3).has_value());
  EXPECT_FALSE(CheckedMul(Duration::Nanos(INT64_MIN), -1).has_value());
  EXPECT_EQ(CheckedAdd(Time() + Duration::Seconds(1), Duration::Seconds(2)),
            Time() + Duration::Seconds(3));
  EXPECT_FALSE(CheckedAdd(Time() + Duration::Hours(720), kMaxDuration).has_value());
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
