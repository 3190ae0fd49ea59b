// RunScenario turns a failed simulation (an exception escaping a coroutine root) into an
// error naming the strategy, instead of terminating the process.
#include "cli/runner.h"

#include <memory>
#include <stdexcept>

#include "gtest/gtest.h"
#include "strategies/registry.h"

namespace credsim {
namespace {

Scenario SmallScenario() {
  const nlohmann::json j = nlohmann::json::parse(R"({
    "name": "runner-test", "seed": 1, "duration": "10m", "warmup": "0s", "initial_state": "cold",
    "world": {"colos": {"count": 3}},
    "traffic": {"roles": 2, "rate": 5},
    "strategies": [{"name": "l1_v1", "kind": "l1", "params": {"variant": "v1"}},
                   {"name": "none", "kind": "none"}]
  })");
  absl::StatusOr<Scenario> sc = ParseScenario(j, "runner-test", CREDSIM_SOURCE_DIR);
  EXPECT_TRUE(sc.ok()) << sc.status();
  return *sc;
}

// Wraps a registered strategy; its providers throw on the first request after a suspension.
class ExplodingStrategy final : public Strategy {
 public:
  explicit ExplodingStrategy(std::unique_ptr<Strategy> inner) : inner_(std::move(inner)) {}
  std::string_view kind() const override { return inner_->kind(); }
  nlohmann::json params() const override { return inner_->params(); }
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override {
    return std::make_unique<Provider>(ports.clock);
  }

 private:
  class Provider final : public CredentialProvider {
   public:
    explicit Provider(Clock& clock) : clock_(clock) {}
    Task<AuthResult> GetCredentials(AuthRequest request) override {
      co_await Sleep(clock_, Duration::Millis(10));
      throw std::runtime_error("credential cache corrupted");
    }

   private:
    Clock& clock_;
  };
  std::unique_ptr<Strategy> inner_;
};

RunOptions ExplodingOptions(const std::string& which) {
  RunOptions o;
  o.threads = 2;
  o.create_strategy = [which](const StrategySpec& spec, JsonReader& params)
      -> absl::StatusOr<std::unique_ptr<Strategy>> {
    auto s = FindStrategy(spec.kind)->create(params);
    if (!s.ok() || spec.name != which) return s;
    return std::unique_ptr<Strategy>(std::make_unique<ExplodingStrategy>(std::move(*s)));
  };
  return o;
}

TEST(RunnerTest, AFailedRunIsAnErrorNamingTheStrategy) {
  absl::StatusOr<nlohmann::json> r = RunScenario(SmallScenario(), ExplodingOptions("l1_v1"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(r.status().message(), "strategy l1_v1: credential cache corrupted");
}

TEST(RunnerTest, InjectedFactoryThatChangesNothingRunsNormally) {
  absl::StatusOr<nlohmann::json> r = RunScenario(SmallScenario(), ExplodingOptions("nobody"));
  ASSERT_TRUE(r.ok()) << r.status();
  absl::StatusOr<nlohmann::json> plain = RunScenario(SmallScenario(), RunOptions{});
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(r->dump(), plain->dump());
}

}  // namespace
}  // namespace credsim
