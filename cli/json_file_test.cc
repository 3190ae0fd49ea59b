#include "cli/json_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credsim {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(ParseJsonText, ParsesLikeNlohmann) {
  const std::string text = R"({"a": [1, 2.5, "x", null, true, {"b": {}}], "c": -3, "d": 18446744073709551615})";
  auto j = ParseJsonText(text, "f.json");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(*j, nlohmann::json::parse(text));
  EXPECT_EQ(ParseJsonText("[]", "f").value(), nlohmann::json::array());
  EXPECT_EQ(ParseJsonText("7", "f").value(), nlohmann::json(7));
}

TEST(ParseJsonText, RejectsDuplicateKeysNamingBothLocationsAndThePath) {
  auto j = ParseJsonText("{\"a\": {\"k\": 1,\n  \"k\": 2}}", "f.json");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(std::string(j.status().message()),
            "f.json: a.k: duplicate key \"k\" at line 2, column 3 (first at line 1, column 8); each "
            "key may appear once per object");
  // In an array element, and with escaped quotes inside the key.
  j = ParseJsonText(R"({"s": [{}, {"x\"y": 1, "x\"y": 2}]})", "g.json");
  ASSERT_FALSE(j.ok());
  EXPECT_THAT(std::string(j.status().message()), StartsWith("g.json: s[1].x\"y: duplicate key \"x\"y\" at line 1, column 24 "
                                               "(first at line 1, column 13)"));
  // The same key in different objects is fine.
  EXPECT_TRUE(ParseJsonText(R"({"a": {"k": 1}, "b": {"k": 1}, "k": 0})", "f").ok());
}

TEST(ParseJsonText, RejectsNumbersThatDoNotFitADouble) {
  for (const char* text : {R"({"seed": 1e400})", R"({"seed": -1e400})"}) {
    auto j = ParseJsonText(text, "f.json");
    ASSERT_FALSE(j.ok()) << text;
    EXPECT_THAT(std::string(j.status().message()), StartsWith("f.json: seed: the number ")) << text;
    EXPECT_THAT(std::string(j.status().message()), HasSubstr("does not fit a double")) << text;
  }
}

TEST(ParseJsonText, SyntaxErrorsGiveTheLocationAndDeepNestingIsRefused) {
  auto j = ParseJsonText("{\n  \"a\": [1,\n", "f.json");
  ASSERT_FALSE(j.ok());
  EXPECT_THAT(std::string(j.status().message()), StartsWith("f.json: not valid JSON at line 3, column 1: "));
  EXPECT_TRUE(ParseJsonText(std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']'), "f").ok());
  j = ParseJsonText(std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']'), "f");
  ASSERT_FALSE(j.ok());
  EXPECT_THAT(std::string(j.status().message()), HasSubstr("nested deeper than 64 levels"));
  // Deep enough to overflow a recursive reader's stack: still a clean error.
  j = ParseJsonText(std::string(1000000, '['), "f");
  ASSERT_FALSE(j.ok());
}

class ReadFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "credsim_json_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ReadFileTest, AcceptsOnlyRegularFilesWithinTheLimit) {
  const std::string file = (dir_ / "a.json").string();
  std::ofstream(file) << R"({"x": 1})";
  EXPECT_EQ(ReadJsonFile(file, 100).value(), nlohmann::json::parse(R"({"x": 1})"));
  auto small = ReadJsonFile(file, 3);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(std::string(small.status().message()), file + ": 8 bytes is too large; the limit is 3 bytes");

  auto dir = ReadJsonFile(dir_.string(), 100);
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(std::string(dir.status().message()), dir_.string() + ": is a directory; expected a regular file");
  auto dev = ReadJsonFile("/dev/zero", 100);
  ASSERT_FALSE(dev.ok());
  EXPECT_EQ(std::string(dev.status().message()), "/dev/zero: is not a regular file; expected a regular file");
  // A FIFO with no writer must not block.
  const std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto f = ReadJsonFile(fifo, 100);
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(std::string(f.status().message()), HasSubstr("is not a regular file"));
  auto missing = ReadJsonFile((dir_ / "nope.json").string(), 100);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("nope.json: cannot open file: No such file or directory"));
}

}  // namespace
}  // namespace credsim
