#include "strategies/l1_strategy.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "strategies/testing/fake_ports.h"

namespace credsim {
namespace {

constexpr CredentialKey kKey{3, 0};

std::unique_ptr<Strategy> Make(const nlohmann::json& j) {
  JsonReader r(j, "strategies[0].params");
  auto s = L1Strategy::Create(r);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

RequestOutcome One(FakeEnv& env, CredentialProvider& p, CredentialKey key = kKey) {
  RequestOutcome o;
  StartRequest(p, key, &o, env.clock);
  env.RunAll();
  return o;
}

TEST(L1Strategy, ParsesParamsAndReportsThem) {
  auto s = Make({{"variant", "v0"},
                 {"refresh_lead", "90s"},
                 {"revocation", {{"enabled", true}, {"poll_interval", "10s"}}}});
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->kind(), "l1");
  nlohmann::json p = s->params();
  EXPECT_EQ(p["variant"], "v0");
  EXPECT_EQ(p["refresh_lead"], "1m30s");
  EXPECT_EQ(p["min_serve"], "5s");
  EXPECT_EQ(p["claim_timeout"], "30s");
  EXPECT_EQ(p["v1_wait"], "waiter_promise");
  EXPECT_EQ(p["revocation"]["enabled"], true);
  EXPECT_EQ(p["revocation"]["poll_interval"], "10s");
  EXPECT_EQ(p["revocation"]["disconnect_threshold"], "5m");
}

TEST(L1Strategy, UnknownKeyIsAnErrorNamingThePath) {
  nlohmann::json j = {{"varient", "v1"}};
  JsonReader r(j, "strategies[0].params");
  auto s = L1Strategy::Create(r);
  ASSERT_FALSE(s.ok());
  const std::string msg(s.status().message());
  EXPECT_EQ(msg.rfind("strategies[0].params.varient: unknown key", 0), 0u) << msg;
  EXPECT_NE(msg.find("variant"), std::string::npos) << msg;
}

TEST(L1Strategy, UnknownRevocationKeyIsAnErrorNamingThePath) {
  nlohmann::json j = {{"revocation", {{"pol_interval", "1s"}}}};
  JsonReader r(j, "strategies[0].params");
  auto s = L1Strategy::Create(r);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(std::string(s.status().message())
                .rfind("strategies[0].params.revocation.pol_interval: unknown key", 0),
            0u)
      << s.status();
}

TEST(L1Strategy, SecondRequestIsAnL1Hit) {
  FakeEnv env;
  auto s = Make(nlohmann::json::object());
  IsolatePorts ports = env.Ports();
  auto p = s->NewProvider(ports);
  EXPECT_EQ(One(env, *p).result.source, Tier::kSts);
  RequestOutcome hit = One(env, *p);
  EXPECT_EQ(hit.result.source, Tier::kL1);
  EXPECT_EQ(env.sts.calls, 1);
  EXPECT_EQ(env.signer.calls, 1);
  // Another isolate has its own L1.
  auto p2 = s->NewProvider(ports);
  EXPECT_EQ(One(env, *p2).result.source, Tier::kSts);
  EXPECT_EQ(env.sts.calls, 2);
}

TEST(L1Strategy, V1OnWorkersCancelsWaitersThroughTheProvider) {
  FakeEnv env;
  auto s = Make({{"variant", "v1"}});
  IsolatePorts ports = env.Ports();
  auto p = s->NewProvider(ports);
  std::vector<RequestOutcome> out(80);
  for (auto& o : out) StartRequest(*p, kKey, &o, env.clock);
  env.RunAll();
  EXPECT_EQ(Count(out).runtime_cancelled, 79);
  EXPECT_EQ(env.sts.calls, 1);
}

TEST(L1Strategy, V1HolderPromiseOnWorkersServesWaitersThroughTheProvider) {
  FakeEnv env;
  auto s = Make({{"variant", "v1"}, {"v1_wait", "holder_promise"}});
  EXPECT_EQ(s->params()["v1_wait"], "holder_promise");
  IsolatePorts ports = env.Ports();
  auto p = s->NewProvider(ports);
  std::vector<RequestOutcome> out(80);
  for (auto& o : out) StartRequest(*p, kKey, &o, env.clock);
  env.RunAll();
  EXPECT_EQ(Count(out).ok, 80);
  EXPECT_EQ(env.sts.calls, 1);
}

TEST(L1Strategy, DropOn403ErasesTheRejectedCredential) {
  for (bool drop : {true, false}) {
    SCOPED_TRACE(drop ? "drop_on_403" : "keep");
    FakeEnv env;
    auto s = Make({{"revocation", {{"drop_on_403", drop}}}});
    IsolatePorts ports = env.Ports();
    auto p = s->NewProvider(ports);
    const Credentials c = One(env, *p).result.credentials;
    p->OnCredentialRejected(kKey, c);
    RequestOutcome next = One(env, *p);
    EXPECT_EQ(next.result.source, drop ? Tier::kSts : Tier::kL1);
    EXPECT_EQ(env.sts.calls, drop ? 2 : 1);
    // A rejection of the older credential does not drop the newer one.
    p->OnCredentialRejected(kKey, c);
    EXPECT_EQ(One(env, *p).result.source, Tier::kL1);
  }
}

}  // namespace
}  // namespace credsim
