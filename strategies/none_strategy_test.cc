#include "strategies/none_strategy.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "strategies/testing/fake_ports.h"

namespace credsim {
namespace {

std::unique_ptr<Strategy> Make(const nlohmann::json& j) {
  JsonReader r(j, "strategies[0].params");
  auto s = NoneStrategy::Create(r);
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(*s);
}

TEST(NoneStrategy, EveryRequestSignsAndCallsStsOnce) {
  FakeEnv env;
  auto strategy = Make(nlohmann::json::object());
  EXPECT_EQ(strategy->kind(), "none");
  IsolatePorts ports = env.Ports();
  auto provider = strategy->NewProvider(ports);
  std::vector<RequestOutcome> out(5);
  for (auto& o : out) StartRequest(*provider, CredentialKey{1, 0}, &o, env.clock);
  env.RunAll();
  std::vector<RequestOutcome> seq(3);
  for (auto& o : seq) {
    StartRequest(*provider, CredentialKey{1, 0}, &o, env.clock);
    env.RunAll();
  }
  EXPECT_EQ(env.sts.calls, 8);
  EXPECT_EQ(env.signer.calls, 8);
  OutcomeCounts c = Count(out);
  EXPECT_EQ(c.ok, 5);
  EXPECT_EQ(c.by_source[static_cast<int>(Tier::kSts)], 5);
  EXPECT_EQ(Count(seq).by_source[static_cast<int>(Tier::kSts)], 3);
}

TEST(NoneStrategy, StsErrorsMapToStatuses) {
  FakeEnv env;
  auto strategy = Make(nlohmann::json::object());
  IsolatePorts ports = env.Ports();
  auto provider = strategy->NewProvider(ports);
  env.sts.next_errors = {StsError::kAccessDenied, StsError::kThrottling, StsError::kTimeout};
  std::vector<RequestOutcome> out(3);
  for (auto& o : out) {
    StartRequest(*provider, CredentialKey{1, 0}, &o, env.clock);
    env.RunAll();
  }
  EXPECT_EQ(out[0].result.status, FailureStatus::kForbidden);
  EXPECT_EQ(out[1].result.status, FailureStatus::kBadGateway);
  EXPECT_EQ(out[2].result.status, FailureStatus::kUnavailable);
}

TEST(NoneStrategy, UnknownKeyIsAnErrorNamingThePath) {
  nlohmann::json j = {{"varient", "v1"}};
  JsonReader r(j, "strategies[0].params");
  auto s = NoneStrategy::Create(r);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(std::string(s.status().message()).rfind("strategies[0].params.varient", 0), 0u)
      << s.status();
}

}  // namespace
}  // namespace credsim
