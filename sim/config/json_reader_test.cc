#include "sim/config/json_reader.h"

#include <cstdint>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace credsim {
namespace {

using nlohmann::json;

// Reads `key` of `text` with GetInt; returns the value or the error message.
std::string Int(const char* text, int64_t min = std::numeric_limits<int64_t>::min(),
                int64_t max = std::numeric_limits<int64_t>::max()) {
  const json j = json::parse(text);
  JsonReader r(j, "s");
  const int64_t v = r.GetInt("v", -42, min, max);
  if (!r.ok()) return std::string(r.status().message());
  return std::to_string(v);
}

std::string Uint(const char* text, uint64_t min = 0,
                 uint64_t max = std::numeric_limits<uint64_t>::max()) {
  const json j = json::parse(text);
  JsonReader r(j, "s");
  const uint64_t v = r.GetUint64("v", 42, min, max);
  if (!r.ok()) return std::string(r.status().message());
  return std::to_string(v);
}

bool Rejected(const std::string& result) { return result.rfind("s.v: ", 0) == 0; }

TEST(JsonReaderTest, GetIntAcceptsIntegersAndIntegralFloats) {
  EXPECT_EQ(Int(R"({"v": 3})"), "3");
  EXPECT_EQ(Int(R"({"v": 3.0})"), "3");
  EXPECT_EQ(Int(R"({"v": -7})"), "-7");
  EXPECT_EQ(Int(R"({})"), "-42");
  EXPECT_EQ(Int(R"({"v": 9223372036854775807})"), "9223372036854775807");
  EXPECT_EQ(Int(R"({"v": -9223372036854775808})"), "-9223372036854775808");
  EXPECT_EQ(Int(R"({"v": -9223372036854775808.0})"), "-9223372036854775808");
  EXPECT_EQ(Int(R"({"v": 4611686018427387904.0})"), "4611686018427387904");  // 2^62
  EXPECT_EQ(Int(R"({"v": 3.5})", 0, 10), "s.v: expected an integer in [0, 10], got 3.5");
  EXPECT_EQ(Int(R"({"v": "3"})", 0, 10), "s.v: expected an integer in [0, 10], got string");
}

// Issue 10 item 7: the range check was done in double, so 2^63 passed a max of 2^63-1 (and a
// float seed >= 2^63 was cast to int64: undefined behaviour).
TEST(JsonReaderTest, GetIntComparesExactlyWithoutUndefinedBehaviour) {
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(Int(R"({"v": 9223372036854775808})", 0, kMax),
            "s.v: 9223372036854775808 is out of range; expected an integer in [0, "
            "9223372036854775807]");
  EXPECT_TRUE(Rejected(Int(R"({"v": 9223372036854775808.0})", 0, kMax)));
  EXPECT_TRUE(Rejected(Int(R"({"v": 18446744073709551615})", 0, kMax)));
  EXPECT_TRUE(Rejected(Int(R"({"v": 1e19})", 0, kMax)));
  EXPECT_TRUE(Rejected(Int(R"({"v": 1e300})")));
  EXPECT_TRUE(Rejected(Int(R"({"v": -1e300})")));
  EXPECT_TRUE(Rejected(Int(R"({"v": -9223372036854777856})")));  // -2^63 - 2048 (a float)
  // Exact bounds near 2^53, where double rounding used to blur the comparison.
  EXPECT_EQ(Int(R"({"v": 9007199254740993})", 0, 9007199254740993), "9007199254740993");
  EXPECT_TRUE(Rejected(Int(R"({"v": 9007199254740993})", 0, 9007199254740992)));
  EXPECT_TRUE(Rejected(Int(R"({"v": 10000001})", 1, 10000000)));
  EXPECT_TRUE(Rejected(Int(R"({"v": 0})", 1, 10)));
  EXPECT_TRUE(Rejected(Int(R"({"v": -2})", -1, 10)));
  // Non-finite values built in code (JSON text cannot hold them).
  for (double bad : {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
    json j = {{"v", bad}};
    JsonReader r(j, "s");
    r.GetInt("v", 0, 0, 10);
    EXPECT_FALSE(r.ok());
  }
}

TEST(JsonReaderTest, GetUint64CoversTheFullUnsignedRange) {
  EXPECT_EQ(Uint(R"({"v": 0})"), "0");
  EXPECT_EQ(Uint(R"({})"), "42");
  EXPECT_EQ(Uint(R"({"v": 9223372036854775808})"), "9223372036854775808");
  EXPECT_EQ(Uint(R"({"v": 18446744073709551615})"), "18446744073709551615");
  EXPECT_EQ(Uint(R"({"v": 9223372036854775808.0})"), "9223372036854775808");
  EXPECT_EQ(Uint(R"({"v": 7.0})"), "7");
  EXPECT_EQ(Uint(R"({"v": 18446744073709551616})"),
            "s.v: 1.8446744073709552e+19 is out of range; expected an integer in [0, "
            "18446744073709551615]");
  EXPECT_TRUE(Rejected(Uint(R"({"v": 18446744073709551616.0})")));
  EXPECT_TRUE(Rejected(Uint(R"({"v": -1})")));
  EXPECT_TRUE(Rejected(Uint(R"({"v": -0.5})")));
  EXPECT_TRUE(Rejected(Uint(R"({"v": 1.5})")));
  EXPECT_TRUE(Rejected(Uint(R"({"v": 11})", 0, 10)));
  EXPECT_TRUE(Rejected(Uint(R"({"v": 1})", 2, 10)));
}

TEST(JsonReaderTest, ExactConversions) {
  EXPECT_EQ(ExactInt64(json(5)), 5);
  EXPECT_EQ(ExactInt64(json(5u)), 5);
  EXPECT_EQ(ExactInt64(json(-0.0)), 0);
  EXPECT_FALSE(ExactInt64(json("5")).has_value());
  EXPECT_FALSE(ExactInt64(json(0x1p63)).has_value());
  EXPECT_EQ(ExactInt64(json(-0x1p63)), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(ExactUint64(json(0x1p63)), uint64_t{1} << 63);
  EXPECT_FALSE(ExactUint64(json(0x1p64)).has_value());
  EXPECT_FALSE(ExactUint64(json(-1)).has_value());
  EXPECT_FALSE(ExactUint64(json(nullptr)).has_value());
}

TEST(JsonReaderTest, ParseSeedAcceptsDigitsOnlyUpTo2To64Minus1) {
  EXPECT_EQ(*ParseSeed("0"), 0u);
  EXPECT_EQ(*ParseSeed("7"), 7u);
  EXPECT_EQ(*ParseSeed("007"), 7u);
  EXPECT_EQ(*ParseSeed("9223372036854775808"), uint64_t{1} << 63);
  EXPECT_EQ(*ParseSeed("18446744073709551615"), std::numeric_limits<uint64_t>::max());
  const std::string kRange = "expected an integer from 0 to 18446744073709551615 (decimal digits only)";
  auto overflow = ParseSeed("99999999999999999999999");
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.status().message(), "\"99999999999999999999999\" is out of range; " + kRange);
  EXPECT_FALSE(ParseSeed("18446744073709551616").ok());
  auto empty = ParseSeed("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "\"\" is empty; " + kRange);
  for (const char* bad : {"-1", "+1", " 1", "1 ", "1\n", "12x", "0x10", "1e3", "1.0", "-0", "\t"}) {
    auto s = ParseSeed(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_NE(std::string(s.status().message()).find(kRange), std::string::npos) << bad;
  }
  EXPECT_EQ(ParseSeed("-1").status().message(), "\"-1\" is not accepted; " + kRange);
  // Control characters are not echoed raw; long inputs are truncated.
  EXPECT_EQ(ParseSeed("1\n").status().message(), "\"1?\" is not accepted; " + kRange);
  EXPECT_LT(ParseSeed(std::string(1000, '9')).status().message().size(), 200u);
}

}  // namespace
}  // namespace credsim
