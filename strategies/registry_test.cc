#include "strategies/registry.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "strategies/none_strategy.h"

namespace credsim {
namespace {

std::vector<std::string> Kinds() {
  std::vector<std::string> kinds;
  for (const StrategyRegistration& r : RegisteredStrategies()) kinds.emplace_back(r.kind);
  return kinds;
}

// Every registered kind builds with default parameters and names itself.
TEST(RegistryTest, EveryKindBuildsWithDefaults) {
  ASSERT_FALSE(Kinds().empty());
  EXPECT_EQ(Kinds().front(), "none");  // the baseline comes first in reports
  for (const std::string& kind : Kinds()) {
    const StrategyRegistration* r = FindStrategy(kind);
    ASSERT_NE(r, nullptr) << kind;
    EXPECT_EQ(r->kind, kind);
    EXPECT_FALSE(r->summary.empty());
    nlohmann::json params = nlohmann::json::object();
    JsonReader reader(params, "params");
    absl::StatusOr<std::unique_ptr<Strategy>> s = r->create(reader);
    ASSERT_TRUE(s.ok()) << kind << ": " << s.status();
    EXPECT_EQ((*s)->kind(), kind);
  }
  EXPECT_EQ(FindStrategy("nope"), nullptr);
}

TEST(RegistryTest, ScopedRegistrationAddsAfterTheProductListUntilItEnds) {
  const std::vector<std::string> product = Kinds();
  {
    ScopedStrategyRegistration a({"test_a", "a test-only strategy", &NoneStrategy::Create});
    ScopedStrategyRegistration b({"test_b", "another one", &NoneStrategy::Create});
    std::vector<std::string> want = product;
    want.push_back("test_a");
    want.push_back("test_b");
    EXPECT_EQ(Kinds(), want);
    ASSERT_NE(FindStrategy("test_b"), nullptr);
    EXPECT_EQ(FindStrategy("test_b")->summary, "another one");
  }
  EXPECT_EQ(Kinds(), product);
  EXPECT_EQ(FindStrategy("test_a"), nullptr);
}

TEST(RegistryDeathTest, RegisteringAKnownKindAborts) {
  EXPECT_DEATH(ScopedStrategyRegistration({"l1", "again", &NoneStrategy::Create}),
               "strategy kind \"l1\" is already registered");
}

}  // namespace
}  // namespace credsim
