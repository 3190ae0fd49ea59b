// StrategyResult's derived values: the cost model (cli/results.h, docs/results.md).
#include "cli/results.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace credsim {
namespace {

TEST(StrategyResultCost, RateLimitedKvWritesAreCountedButNotBilled) {
  WorldConfig world;
  RunMetrics m(Time(), Time() + Duration::Hours(1), Duration::Minutes(1));
  m.kv_writes = 1000000;
  m.kv_writes_rate_limited = 500000;
  const nlohmann::json r =
      StrategyResult(StrategySpec{"kv", "kv", nlohmann::json::object()},
                     nlohmann::json::object(), m, world);
  // $5.00 per million accepted writes; the 429s only appear in the counters.
  EXPECT_DOUBLE_EQ(r["cost_usd"]["kv_writes"].get<double>(), 5.0);
  EXPECT_EQ(r["kv"]["writes_rate_limited"].get<uint64_t>(), 500000u);
}

}  // namespace
}  // namespace credsim
