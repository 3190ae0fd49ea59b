#include "strategies/testing/stale_on_error_strategy.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/config/json_reader.h"
#include "strategies/testing/fake_ports.h"

namespace credsim {
namespace {

constexpr CredentialKey kKey{1, 0};

std::unique_ptr<Strategy> Make(const nlohmann::json& params) {
  JsonReader r(params, "params");
  absl::StatusOr<std::unique_ptr<Strategy>> s = StaleOnErrorStrategy::Create(r);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

AuthResult RunOne(FakeEnv& env, CredentialProvider& p) {
  RequestOutcome out;
  StartRequest(p, kKey, &out, env.clock);
  env.RunFor(Duration::Seconds(5));
  EXPECT_EQ(out.kind, RequestOutcome::Kind::kResult);
  return out.result;
}

// Defining property: STS fails once during renewal → the request is served the old credential
// and STS is called once.
TEST(StaleOnErrorTest, FailedRenewalServesTheOldCredentialWithOneStsCall) {
  FakeEnv env;
  std::unique_ptr<Strategy> strategy = Make(nlohmann::json::object());
  IsolatePorts ports = env.Ports();
  std::unique_ptr<CredentialProvider> p = strategy->NewProvider(ports);
  const AuthResult first = RunOne(env, *p);
  ASSERT_EQ(first.status, FailureStatus::kOk);
  EXPECT_EQ(first.source, Tier::kSts);
  EXPECT_EQ(RunOne(env, *p).source, Tier::kL1);  // fresh hit
  EXPECT_EQ(env.sts.calls, 1);

  env.RunUntil(first.credentials.expiration - Duration::Seconds(30));  // inside the 60 s lead
  env.sts.next_errors.push_back(StsError::kThrottling);
  const AuthResult renewal = RunOne(env, *p);
  EXPECT_EQ(renewal.status, FailureStatus::kOk);
  EXPECT_EQ(renewal.source, Tier::kL1);
  EXPECT_EQ(renewal.credentials.id, first.credentials.id);
  EXPECT_EQ(env.sts.calls, 2);  // the renewal called STS once

  // The next request renews successfully.
  const AuthResult renewed = RunOne(env, *p);
  EXPECT_EQ(renewed.source, Tier::kSts);
  EXPECT_NE(renewed.credentials.id, first.credentials.id);
}

TEST(StaleOnErrorTest, TooLittleLifeLeftAnswersTheStsError) {
  FakeEnv env;
  std::unique_ptr<Strategy> strategy = Make(nlohmann::json{{"min_remaining", "30s"}});
  IsolatePorts ports = env.Ports();
  std::unique_ptr<CredentialProvider> p = strategy->NewProvider(ports);
  const AuthResult first = RunOne(env, *p);
  env.RunUntil(first.credentials.expiration - Duration::Seconds(20));  // < min_remaining left
  env.sts.error = StsError::kAccessDenied;
  const AuthResult r = RunOne(env, *p);
  EXPECT_EQ(r.status, FailureStatus::kForbidden);
  EXPECT_EQ(r.source, Tier::kSts);
}

TEST(StaleOnErrorTest, ParamsRoundTripAndUnknownKeysNameThePath) {
  EXPECT_EQ(Make(nlohmann::json::object())->params(), (nlohmann::json{{"min_remaining", "5s"}}));
  EXPECT_EQ(Make(nlohmann::json{{"min_remaining", "30s"}})->params(),
            (nlohmann::json{{"min_remaining", "30s"}}));
  const nlohmann::json typo = {{"min_remaning", "30s"}};
  JsonReader r(typo, "params");
  absl::StatusOr<std::unique_ptr<Strategy>> s = StaleOnErrorStrategy::Create(r);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(std::string(s.status().message()).rfind("params.min_remaning: unknown key", 0), 0u)
      << s.status();
}

}  // namespace
}  // namespace credsim
