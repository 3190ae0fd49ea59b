// The test-only example strategy of docs/adding-a-strategy.md (`stale_on_error`,
// strategies/testing/) run end to end through `credsim run`, exactly as the CLI runs a product
// strategy; and the page's code, which must be the example's files verbatim.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "strategies/registry.h"
#include "strategies/testing/stale_on_error_strategy.h"

namespace credsim {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "credsim_example_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

int RunCli(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return Main(static_cast<int>(args.size()), argv.data());
}

// Step 6 of the page: the example beside a product strategy on identical traffic (with an STS
// outage across the first renewals, minutes 58.5 to 61, so that its error path runs too).
TEST(ExampleStrategyTest, RunsThroughCredsimRunBesideTheProductStrategies) {
  const ScopedStrategyRegistration registration(
      {"stale_on_error", "L1 that serves the old credential when STS fails",
       &StaleOnErrorStrategy::Create});
  TempDir dir;
  const nlohmann::json scenario = nlohmann::json::parse(R"({
    "name": "example-strategy", "seed": 1, "duration": "65m", "warmup": "0s",
    "initial_state": "cold",
    "world": {"colos": {"count": 2},
              "sts": {"outages": [{"start": "58m30s", "end": "61m", "mode": "hang"}]}},
    "traffic": {"roles": 2, "rate": 5},
    "strategies": ["l1", {"kind": "stale_on_error", "params": {"min_remaining": "30s"}}]
  })");
  const fs::path file = dir.path() / "example-strategy.json";
  std::ofstream(file) << scenario.dump(2);
  ASSERT_EQ(RunCli({"credsim", "run", file.string(), "--out", (dir.path() / "out").string(),
                    "--threads", "1"}),
            0);

  const nlohmann::json results = nlohmann::json::parse(
      ReadFile(dir.path() / "out" / "example-strategy" / "results.json"));
  const nlohmann::json& strategies = results["strategies"];
  ASSERT_EQ(strategies.size(), 2u);
  const nlohmann::json& l1 = strategies[0];
  const nlohmann::json& example = strategies[1];
  EXPECT_EQ(l1["kind"], "l1");
  EXPECT_EQ(example["kind"], "stale_on_error");
  EXPECT_EQ(example["name"], "stale_on_error");
  EXPECT_EQ(example["params"], (nlohmann::json{{"min_remaining", "30s"}}));
  // Paired comparison: the same requests, served from the example's cache and from STS.
  EXPECT_GT(example["requests"].get<int64_t>(), 0);
  EXPECT_EQ(example["requests"], l1["requests"]);
  EXPECT_GT(example["sts_calls"].get<int64_t>(), 0);
  EXPECT_GT(example["served_by"]["l1"].get<int64_t>(), 0);
  EXPECT_GT(example["served_by"]["sts"].get<int64_t>(), 0);
}

// The kind exists only while its registration lives: the product list is unchanged.
TEST(ExampleStrategyTest, TheProductDoesNotKnowTheExample) {
  EXPECT_EQ(FindStrategy("stale_on_error"), nullptr);
  TempDir dir;
  const fs::path file = dir.path() / "s.json";
  std::ofstream(file) << R"({"duration": "1m", "strategies": ["stale_on_error"]})";
  EXPECT_EQ(RunCli({"credsim", "validate", file.string()}), 2);
}

// The first ```cpp block after the line "<!-- file: PATH -->".
std::string BlockFor(const std::string& doc, const std::string& path) {
  const std::string marker = "<!-- file: " + path + " -->\n";
  const size_t at = doc.find(marker);
  if (at == std::string::npos) return "(no " + marker + ")";
  const size_t open = doc.find("```cpp\n", at);
  const size_t close = doc.find("\n```\n", open);
  if (open == std::string::npos || close == std::string::npos) return "(no block)";
  return doc.substr(open + 7, close + 1 - (open + 7));
}

// The page shows the example's files in full; it cannot drift from what is compiled here.
TEST(ExampleStrategyTest, ThePageShowsTheExampleVerbatim) {
  const fs::path root = CREDSIM_SOURCE_DIR;
  const std::string doc = ReadFile(root / "docs" / "adding-a-strategy.md");
  for (const char* path : {"strategies/testing/stale_on_error_strategy.h",
                           "strategies/testing/stale_on_error_strategy.cc"}) {
    EXPECT_EQ(BlockFor(doc, path), ReadFile(root / path)) << path;
  }
  // The registration line of step 3 is this file's.
  const std::string block = BlockFor(doc, "cli/example_strategy_test.cc");
  EXPECT_NE(ReadFile(root / "cli" / "example_strategy_test.cc").find(block), std::string::npos)
      << block;
}

}  // namespace
}  // namespace credsim
