#include "strategies/l1_l2_strategy.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "strategies/testing/fake_ports.h"

namespace credsim {
namespace {

constexpr CredentialKey kKey{4, 2};

class L1L2Test : public ::testing::Test {
 protected:
  void Make(const nlohmann::json& j) {
    JsonReader r(j, "strategies[0].params");
    auto s = L1L2Strategy::Create(r);
    ASSERT_TRUE(s.ok()) << s.status();
    strategy_ = std::move(*s);
  }
  void SetUp() override {
    Make(nlohmann::json::object());
    env_.sts.latency = Duration::Millis(100);
  }
  std::unique_ptr<CredentialProvider> Isolate(int colo) {
    IsolatePorts ports = env_.Ports(colo);
    return strategy_->NewProvider(ports);
  }
  RequestOutcome One(CredentialProvider& p) {
    RequestOutcome o;
    StartRequest(p, kKey, &o, env_.clock);
    env_.RunAll();
    return o;
  }
  FakeEnv env_;
  std::unique_ptr<Strategy> strategy_;
};

TEST_F(L1L2Test, ParamsHaveDefaults) {
  nlohmann::json p = strategy_->params();
  EXPECT_EQ(strategy_->kind(), "l1_l2");
  EXPECT_EQ(p["l2_ttl_lead"], "5m");
  EXPECT_EQ(p["variant"], "v2");
}

TEST_F(L1L2Test, UnknownKeyIsAnErrorNamingThePath) {
  nlohmann::json j = {{"l2_ttl_laed", "1m"}};
  JsonReader r(j, "strategies[0].params");
  auto s = L1L2Strategy::Create(r);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(std::string(s.status().message()).rfind("strategies[0].params.l2_ttl_laed", 0), 0u)
      << s.status();
}

TEST_F(L1L2Test, PutsWithTtlExpirationMinusNowMinusLead) {
  auto a = Isolate(0);
  RequestOutcome o = One(*a);
  EXPECT_EQ(o.result.source, Tier::kSts);
  FakeColoCache& cache = env_.colo(0).cache;
  EXPECT_EQ(cache.puts, 1);
  // Issued at the response instant with a 1 h lifetime; the put follows immediately.
  EXPECT_EQ(cache.last_put_ttl, Duration::Hours(1) - Duration::Seconds(300));
  // The put is awaited inline: the request finishes after the put latency.
  EXPECT_EQ(o.finished - o.started,
            Duration::Millis(100) + cache.match_latency + cache.put_latency);
}

TEST_F(L1L2Test, NothingCachedWhenTtlNotPositiveOrOnStsErrors) {
  auto a = Isolate(0);
  env_.sts.next_errors = {StsError::kAccessDenied};
  EXPECT_EQ(One(*a).result.status, FailureStatus::kForbidden);
  EXPECT_EQ(env_.colo(0).cache.puts, 0);
  env_.sts.lifetime = Duration::Seconds(300);  // TTL = 0
  EXPECT_TRUE(One(*a).ok());
  EXPECT_EQ(env_.colo(0).cache.puts, 0);
  EXPECT_EQ(env_.sts.calls, 2);
}

TEST_F(L1L2Test, SecondIsolateInTheColoHitsL2AndStillSigns) {
  auto a = Isolate(0);
  auto b = Isolate(0);
  auto c = Isolate(1);
  const Credentials first = One(*a).result.credentials;
  EXPECT_EQ(env_.signer.calls, 1);
  RequestOutcome ob = One(*b);
  EXPECT_EQ(ob.result.source, Tier::kL2);
  EXPECT_EQ(ob.result.credentials.id, first.id);
  EXPECT_EQ(env_.sts.calls, 1);
  EXPECT_EQ(env_.signer.calls, 2);  // the JWT is signed even on an L2 hit
  // L1 hit in b: no signing, no cache match.
  const int matches = env_.colo(0).cache.matches;
  EXPECT_EQ(One(*b).result.source, Tier::kL1);
  EXPECT_EQ(env_.colo(0).cache.matches, matches);
  EXPECT_EQ(env_.signer.calls, 2);
  // Another colo has its own Cache API.
  EXPECT_EQ(One(*c).result.source, Tier::kSts);
  EXPECT_EQ(env_.sts.calls, 2);
}

TEST_F(L1L2Test, ReadErrorsCountAsMisses) {
  auto a = Isolate(0);
  env_.colo(0).cache.Insert(kKey, Credentials{99, env_.Now(), env_.Now() + Duration::Hours(1)},
                            Duration::Minutes(55));
  env_.colo(0).cache.read_error = true;
  RequestOutcome o = One(*a);
  EXPECT_TRUE(o.ok());
  EXPECT_EQ(o.result.source, Tier::kSts);
  EXPECT_EQ(env_.sts.calls, 1);
}

TEST_F(L1L2Test, ColdHerdInOneColoIsNotSingleFlighted) {
  auto a = Isolate(0);
  auto b = Isolate(0);
  std::vector<RequestOutcome> out(20);
  for (int i = 0; i < 20; ++i) StartRequest(i % 2 ? *a : *b, kKey, &out[i], env_.clock);
  env_.RunAll();
  EXPECT_EQ(Count(out).ok, 20);
  EXPECT_EQ(env_.sts.calls, 20);
}

TEST_F(L1L2Test, RevokedL2EntryIsAMiss) {
  Make({{"revocation", {{"enabled", true}}}});
  auto a = Isolate(0);
  env_.colo(0).cache.Insert(kKey, Credentials{99, env_.Now(), env_.Now() + Duration::Hours(1)},
                            Duration::Minutes(55));
  env_.RunFor(Duration::Seconds(1));
  env_.feed.Publish({kKey.role, env_.Now()});
  RequestOutcome o = One(*a);
  EXPECT_EQ(o.result.source, Tier::kSts);
  EXPECT_NE(o.result.credentials.id, 99u);
}

}  // namespace
}  // namespace credsim
