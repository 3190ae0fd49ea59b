#include "strategies/do_singleflight_strategy.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/config/json_reader.h"
#include "strategies/testing/fake_ports.h"

namespace credsim {
namespace {

constexpr CredentialKey kKey{7, 0};

std::unique_ptr<Strategy> Make(const nlohmann::json& params) {
  JsonReader r(params, "params");
  absl::StatusOr<std::unique_ptr<Strategy>> s = DoSingleflightStrategy::Create(r);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

std::string ParseError(const nlohmann::json& params) {
  JsonReader r(params, "params");
  absl::StatusOr<std::unique_ptr<Strategy>> s = DoSingleflightStrategy::Create(r);
  return s.ok() ? "ok" : std::string(s.status().message());
}

// A FakeEnv whose Durable Objects run the strategy's object code.
struct World {
  explicit World(const nlohmann::json& params) : strategy(Make(params)) {
    env.sts.latency = Duration::Millis(200);
    env.do_host.factory = [this](DurableObjectContext& ctx) {
      return strategy->NewDurableObject(ctx);
    };
  }
  std::unique_ptr<CredentialProvider> Isolate(int colo) {
    IsolatePorts ports = env.Ports(colo);
    return strategy->NewProvider(ports);
  }
  AuthResult RunOne(CredentialProvider& p) {
    RequestOutcome out;
    StartRequest(p, kKey, &out, env.clock);
    env.RunFor(Duration::Seconds(5));
    EXPECT_EQ(out.kind, RequestOutcome::Kind::kResult);
    return out.result;
  }

  FakeEnv env;
  std::unique_ptr<Strategy> strategy;
};

// Defining property: a herd of cold requests from many colos costs exactly one STS call.
TEST(DoSingleflightTest, ColdHerdFromManyColosMakesExactlyOneStsCall) {
  World w(nlohmann::json::object());
  constexpr int kColos = 8, kIsolatesPerColo = 2, kRequestsPerIsolate = 25;
  std::vector<std::unique_ptr<CredentialProvider>> isolates;
  for (int c = 0; c < kColos; ++c) {
    w.env.colo(c).durable_objects.rtt = Duration::Millis(10 * (c + 1));
    for (int i = 0; i < kIsolatesPerColo; ++i) isolates.push_back(w.Isolate(c));
  }
  std::vector<RequestOutcome> out(isolates.size() * kRequestsPerIsolate);
  size_t n = 0;
  for (auto& isolate : isolates) {
    for (int r = 0; r < kRequestsPerIsolate; ++r) StartRequest(*isolate, kKey, &out[n++], w.env.clock);
  }
  w.env.RunFor(Duration::Seconds(5));
  const OutcomeCounts counts = Count(out);
  EXPECT_EQ(counts.ok, static_cast<int>(out.size()));
  EXPECT_EQ(counts.by_source[static_cast<int>(Tier::kDurableObject)], static_cast<int>(out.size()));
  EXPECT_EQ(w.env.sts.calls, 1);
  EXPECT_EQ(w.env.signer.calls, 1);
  // L1 v2 does not single-flight cold keys: every request reached the object.
  EXPECT_EQ(w.env.do_host.fetches, static_cast<int>(out.size()));
  // Everyone got the same credential, and it is in storage.
  for (const RequestOutcome& o : out) EXPECT_EQ(o.result.credentials.id, 1u);
  ASSERT_TRUE(w.env.do_host.context(kKey).fake_storage().Peek(kKey).has_value());
  EXPECT_EQ(w.env.do_host.context(kKey).fake_storage().Peek(kKey)->id, 1u);

  // Warm isolates now serve from L1 without calling the object.
  const AuthResult again = w.RunOne(*isolates[3]);
  EXPECT_EQ(again.source, Tier::kL1);
  EXPECT_EQ(w.env.do_host.fetches, static_cast<int>(out.size()));
}

TEST(DoSingleflightTest, CancelledStarterDoesNotStopTheFetch) {
  World w(nlohmann::json::object());
  auto a = w.Isolate(0);
  auto b = w.Isolate(1);
  RequestOutcome first, joined;
  StartRequest(*a, kKey, &first, w.env.clock);
  w.env.RunFor(Duration::Millis(50));  // the object's fetch is in flight
  StartRequest(*b, kKey, &joined, w.env.clock);
  first.cancel = true;
  w.env.RunFor(Duration::Seconds(5));
  EXPECT_EQ(first.kind, RequestOutcome::Kind::kRequestCancelled);
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(joined.result.source, Tier::kDurableObject);
  EXPECT_EQ(w.env.sts.calls, 1);
  // The object kept the result: a fresh isolate is served without STS.
  auto c = w.Isolate(2);
  EXPECT_EQ(w.RunOne(*c).credentials.id, 1u);
  EXPECT_EQ(w.env.sts.calls, 1);
}

TEST(DoSingleflightTest, StsErrorReachesEveryJoinedCallerAndIsNotCached) {
  World w(nlohmann::json::object());
  w.env.sts.error = StsError::kAccessDenied;
  auto a = w.Isolate(0);
  auto b = w.Isolate(1);
  std::vector<RequestOutcome> out(10);
  for (int i = 0; i < 10; ++i) StartRequest(i % 2 ? *a : *b, kKey, &out[i], w.env.clock);
  w.env.RunFor(Duration::Seconds(5));
  for (const RequestOutcome& o : out) {
    ASSERT_EQ(o.kind, RequestOutcome::Kind::kResult);
    EXPECT_EQ(o.result.status, FailureStatus::kForbidden);
  }
  EXPECT_EQ(w.env.sts.calls, 1);
  w.env.sts.error = StsError::kNone;
  EXPECT_EQ(w.RunOne(*a).status, FailureStatus::kOk);
  EXPECT_EQ(w.env.sts.calls, 2);
}

TEST(DoSingleflightTest, OverloadFallbackFailAnswers503WithoutSts) {
  World w(nlohmann::json{{"overload_fallback", "fail"}});
  w.env.colo(0).durable_objects.overloaded = true;
  auto a = w.Isolate(0);
  const AuthResult r = w.RunOne(*a);
  EXPECT_EQ(r.status, FailureStatus::kUnavailable);
  EXPECT_EQ(w.env.sts.calls, 0);
  EXPECT_EQ(w.env.colo(0).durable_objects.calls, 1);  // not retried
  EXPECT_EQ(static_cast<DurableObjectProvider&>(*a).fallbacks(), 1);
}

TEST(DoSingleflightTest, OverloadFallbackStsCallsStsDirectly) {
  World w(nlohmann::json{{"overload_fallback", "sts"}});
  w.env.colo(0).durable_objects.overloaded = true;
  auto a = w.Isolate(0);
  const AuthResult r = w.RunOne(*a);
  EXPECT_EQ(r.status, FailureStatus::kOk);
  EXPECT_EQ(r.source, Tier::kSts);
  EXPECT_EQ(w.env.sts.calls, 1);
  EXPECT_EQ(w.env.colo(0).durable_objects.calls, 1);  // not retried
  EXPECT_EQ(w.env.do_host.fetches, 0);
  EXPECT_EQ(w.RunOne(*a).source, Tier::kL1);  // L1 kept the direct mint
}

TEST(DoSingleflightTest, PlatformErrorFollowsTheSameFallback) {
  World w(nlohmann::json{{"overload_fallback", "fail"}});
  w.env.colo(0).durable_objects.error = true;
  auto a = w.Isolate(0);
  EXPECT_EQ(w.RunOne(*a).status, FailureStatus::kUnavailable);
  EXPECT_EQ(w.env.sts.calls, 0);
}

TEST(DoSingleflightTest, FreshInstanceReadsStorageInsteadOfCallingSts) {
  World w(nlohmann::json::object());
  auto a = w.Isolate(0);
  ASSERT_EQ(w.RunOne(*a).credentials.id, 1u);
  w.env.do_host.Evict(kKey);  // memory lost (hibernation)
  auto b = w.Isolate(1);
  const AuthResult r = w.RunOne(*b);
  EXPECT_EQ(r.status, FailureStatus::kOk);
  EXPECT_EQ(r.source, Tier::kDurableObject);
  EXPECT_EQ(r.credentials.id, 1u);
  EXPECT_EQ(w.env.sts.calls, 1);
  EXPECT_EQ(w.env.do_host.instances_created, 2);
  FakeDurableStorage& storage = w.env.do_host.context(kKey).fake_storage();
  EXPECT_EQ(storage.gets, 2);  // one per instance
  EXPECT_EQ(storage.puts, 1);
}

TEST(DoSingleflightTest, ObjectRefetchesInsideItsRefreshLead) {
  World w(nlohmann::json{{"do_refresh_lead", "5m"}});
  auto a = w.Isolate(0);
  ASSERT_EQ(w.RunOne(*a).credentials.id, 1u);  // expires at ~1h
  w.env.RunUntil(Time() + Duration::Minutes(54));
  auto b = w.Isolate(1);
  EXPECT_EQ(w.RunOne(*b).credentials.id, 1u);  // ~6 min left: served
  EXPECT_EQ(w.env.sts.calls, 1);
  w.env.RunUntil(Time() + Duration::Minutes(56));
  auto c = w.Isolate(2);
  EXPECT_EQ(w.RunOne(*c).credentials.id, 2u);  // ~4 min left: fetched again
  EXPECT_EQ(w.env.sts.calls, 2);
}

TEST(DoSingleflightTest, RevocationAppliesToTheObjectsAnswer) {
  World w(nlohmann::json{{"revocation", {{"enabled", true}, {"poll_interval", "1s"}}}});
  auto a = w.Isolate(0);
  ASSERT_EQ(w.RunOne(*a).credentials.id, 1u);
  w.env.feed.Publish(RevocationEvent{kKey.role, w.env.Now()});
  w.env.RunFor(Duration::Seconds(5));
  // The isolate polls, drops its L1 entry, rejects the object's cached credential and asks
  // the object to replace it.
  const AuthResult r = w.RunOne(*a);
  EXPECT_EQ(r.status, FailureStatus::kOk);
  EXPECT_EQ(r.source, Tier::kDurableObject);
  EXPECT_EQ(r.credentials.id, 2u);
  EXPECT_EQ(w.env.sts.calls, 2);
  // Another isolate gets the replacement from the object.
  auto b = w.Isolate(1);
  EXPECT_EQ(w.RunOne(*b).credentials.id, 2u);
  EXPECT_EQ(w.env.sts.calls, 2);
}

TEST(DoSingleflightTest, WithoutRevocationTheRevokedCredentialIsStillServed) {
  World w(nlohmann::json::object());  // the same scenario with the option off
  auto a = w.Isolate(0);
  ASSERT_EQ(w.RunOne(*a).credentials.id, 1u);
  w.env.feed.Publish(RevocationEvent{kKey.role, w.env.Now()});
  w.env.RunFor(Duration::Seconds(5));
  EXPECT_EQ(w.RunOne(*a).credentials.id, 1u);
  EXPECT_EQ(w.env.sts.calls, 1);
}

TEST(DoSingleflightTest, RejectedCredentialIsReplacedByTheObjectWhenDropOn403) {
  World w(nlohmann::json{{"revocation", {{"drop_on_403", true}}}});
  auto a = w.Isolate(0);
  const AuthResult first = w.RunOne(*a);
  ASSERT_EQ(first.credentials.id, 1u);
  a->OnCredentialRejected(kKey, first.credentials);
  const AuthResult r = w.RunOne(*a);
  EXPECT_EQ(r.source, Tier::kDurableObject);
  EXPECT_EQ(r.credentials.id, 2u);
  EXPECT_EQ(w.env.sts.calls, 2);
}

TEST(DoSingleflightTest, ParsesAndRoundTripsParams) {
  auto s = Make({{"variant", "v0"},
                 {"do_refresh_lead", "7m"},
                 {"overload_fallback", "fail"},
                 {"revocation", {{"enabled", true}}}});
  ASSERT_NE(s, nullptr);
  const nlohmann::json p = s->params();
  EXPECT_EQ(p["variant"], "v0");
  EXPECT_EQ(p["do_refresh_lead"], "7m");
  EXPECT_EQ(p["overload_fallback"], "fail");
  EXPECT_EQ(p["revocation"]["enabled"], true);
  EXPECT_EQ(s->kind(), "do_singleflight");
  EXPECT_FALSE(s->prewarm_durable_objects());
  auto again = Make(p);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->params(), p);
  const nlohmann::json defaults = Make(nlohmann::json::object())->params();
  EXPECT_EQ(defaults["variant"], "v2");
  EXPECT_EQ(defaults["do_refresh_lead"], "5m");
  EXPECT_EQ(defaults["overload_fallback"], "sts");
}

TEST(DoSingleflightTest, ParseErrorsNameThePath) {
  EXPECT_NE(ParseError({{"overload_fallback", "retry"}}).find("params.overload_fallback"),
            std::string::npos);
  EXPECT_NE(ParseError({{"do_refresh_lead", 5}}).find("params.do_refresh_lead"),
            std::string::npos);
  EXPECT_NE(ParseError({{"variant", "v9"}}).find("params.variant"), std::string::npos);
  EXPECT_NE(ParseError({{"revocation", {{"enabled", "yes"}}}}).find("params.revocation.enabled"),
            std::string::npos);
  const std::string unknown = ParseError({{"refresh_leed", "1m"}});
  EXPECT_NE(unknown.find("params.refresh_leed: unknown key"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("do_refresh_lead"), std::string::npos) << unknown;
}

}  // namespace
}  // namespace credsim
