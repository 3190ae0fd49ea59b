#include "strategies/kv_strategy.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "strategies/testing/fake_ports.h"

namespace credsim {
namespace {

constexpr CredentialKey kKey{8, 0};

class KvTest : public ::testing::Test {
 protected:
  void Make(const nlohmann::json& j) {
    JsonReader r(j, "strategies[0].params");
    auto s = KvStrategy::Create(r);
    ASSERT_TRUE(s.ok()) << s.status();
    strategy_ = std::move(*s);
  }
  void SetUp() override { Make(nlohmann::json::object()); }
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
  Credentials Fresh(uint64_t id, Duration life) {
    return Credentials{id, env_.Now(), env_.Now() + life};
  }
  FakeEnv env_;
  std::unique_ptr<Strategy> strategy_;
};

TEST_F(KvTest, ParamsHaveDefaultsAndRejectUnknownKeys) {
  nlohmann::json p = strategy_->params();
  EXPECT_EQ(strategy_->kind(), "kv");
  EXPECT_EQ(p["cache_ttl"], "1m");
  EXPECT_EQ(p["kv_margin"], "5m");
  EXPECT_EQ(p["min_expiration_ttl"], "1m");
  nlohmann::json j = {{"kv_margn", "1m"}};
  JsonReader r(j, "strategies[2].params");
  auto s = KvStrategy::Create(r);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(std::string(s.status().message()).rfind("strategies[2].params.kv_margn", 0), 0u)
      << s.status();
}

TEST_F(KvTest, MissCallsStsAndWritesWithTtlMinusMargin) {
  auto a = Isolate(0);
  RequestOutcome o = One(*a);
  EXPECT_EQ(o.result.source, Tier::kSts);
  EXPECT_EQ(env_.kv_store.gets, 1);
  EXPECT_EQ(env_.kv_store.last_cache_ttl, Duration::Seconds(60));
  EXPECT_EQ(env_.kv_store.writes, 1);
  EXPECT_EQ(env_.kv_store.last_expiration_ttl, Duration::Hours(1) - Duration::Minutes(5));
  // A second isolate in the same colo reads it from KV.
  auto b = Isolate(0);
  RequestOutcome ob = One(*b);
  EXPECT_EQ(ob.result.source, Tier::kKv);
  EXPECT_EQ(ob.result.credentials.id, o.result.credentials.id);
  EXPECT_EQ(env_.sts.calls, 1);
  EXPECT_EQ(One(*b).result.source, Tier::kL1);
  EXPECT_EQ(env_.kv_store.gets, 2);
}

TEST_F(KvTest, OtherColoReadsOldValueUntilPropagation) {
  env_.kv_store.Write(0, kKey, Fresh(101, Duration::Hours(1)), Duration::Minutes(55));
  env_.RunFor(Duration::Seconds(70));  // 101 is visible everywhere now
  env_.kv_store.Write(0, kKey, Fresh(102, Duration::Hours(1)), Duration::Minutes(55));
  env_.RunFor(Duration::Seconds(10));
  auto in_colo1 = Isolate(1);
  RequestOutcome stale = One(*in_colo1);
  EXPECT_EQ(stale.result.source, Tier::kKv);
  EXPECT_EQ(stale.result.credentials.id, 101u);
  auto in_colo0 = Isolate(0);
  EXPECT_EQ(One(*in_colo0).result.credentials.id, 102u);  // the writer's colo sees it at once
  env_.RunFor(Duration::Seconds(60));
  auto in_colo2 = Isolate(2);
  EXPECT_EQ(One(*in_colo2).result.credentials.id, 102u);
  EXPECT_EQ(env_.sts.calls, 0);
}

TEST_F(KvTest, NotYetPropagatedWriteMeansAnotherStsCall) {
  auto a = Isolate(0);
  auto b = Isolate(1);
  One(*a);
  env_.RunFor(Duration::Seconds(5));
  RequestOutcome ob = One(*b);
  EXPECT_EQ(ob.result.source, Tier::kSts);
  EXPECT_EQ(env_.sts.calls, 2);
  EXPECT_EQ(env_.kv_store.writes, 2);
}

TEST_F(KvTest, ValueWithoutMarginIsNotUsed) {
  env_.kv_store.Write(0, kKey, Fresh(7, Duration::Minutes(4)), Duration::Minutes(3));
  auto a = Isolate(0);
  RequestOutcome o = One(*a);
  EXPECT_EQ(o.result.source, Tier::kSts);
  EXPECT_NE(o.result.credentials.id, 7u);
}

TEST_F(KvTest, WriteSkippedWhenTtlBelowSixtySeconds) {
  env_.sts.lifetime = Duration::Minutes(5) + Duration::Seconds(30);
  auto a = Isolate(0);
  EXPECT_TRUE(One(*a).ok());
  EXPECT_EQ(env_.kv_store.puts, 0);
}

TEST_F(KvTest, ManyWritersOfOneKeyGet429sButRequestsSucceed) {
  std::vector<std::unique_ptr<CredentialProvider>> isolates;
  for (int colo = 0; colo < 20; ++colo) isolates.push_back(Isolate(colo));
  std::vector<RequestOutcome> out(20);
  for (int i = 0; i < 20; ++i) StartRequest(*isolates[i], kKey, &out[i], env_.clock);
  env_.RunAll();
  OutcomeCounts c = Count(out);
  EXPECT_EQ(c.ok, 20);
  EXPECT_EQ(c.by_source[static_cast<int>(Tier::kSts)], 20);
  EXPECT_EQ(env_.kv_store.puts, 20);
  EXPECT_EQ(env_.kv_store.writes, 1);
  EXPECT_EQ(env_.kv_store.rate_limited, 19);
}

TEST_F(KvTest, ReadErrorsAreMisses) {
  env_.kv_store.Write(0, kKey, Fresh(7, Duration::Hours(1)), Duration::Minutes(55));
  env_.kv_store.get_error = true;
  auto a = Isolate(0);
  RequestOutcome o = One(*a);
  EXPECT_TRUE(o.ok());
  EXPECT_EQ(o.result.source, Tier::kSts);
}

TEST_F(KvTest, StsErrorsFailTheRequestAndWriteNothing) {
  env_.sts.next_errors = {StsError::kIdpCommunication};
  auto a = Isolate(0);
  EXPECT_EQ(One(*a).result.status, FailureStatus::kBadGateway);
  EXPECT_EQ(env_.kv_store.puts, 0);
}

TEST_F(KvTest, RevokedKvValueIsAMiss) {
  Make({{"revocation", {{"enabled", true}}}});
  env_.kv_store.Write(0, kKey, Fresh(7, Duration::Hours(1)), Duration::Minutes(55));
  env_.RunFor(Duration::Seconds(1));
  env_.feed.Publish({RevocationEvent::kAllRoles, env_.Now()});
  auto a = Isolate(0);
  RequestOutcome o = One(*a);
  EXPECT_EQ(o.result.source, Tier::kSts);
}

}  // namespace
}  // namespace credsim
