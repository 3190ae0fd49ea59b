#include "strategies/testing/fake_ports.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace credsim {
namespace {

constexpr CredentialKey kKey{1, 0};

TEST(FakeSts, ScriptsErrorsAndLatenciesAndCountsCalls) {
  FakeEnv env;
  env.sts.next_errors = {StsError::kThrottling};
  env.sts.next_latencies = {Duration::Seconds(2)};
  std::vector<StsResult> got;
  auto call = [&]() -> Task<void> {
    got.push_back(co_await env.sts.AssumeRoleWithWebIdentity(kKey));
  };
  Spawn(call());
  Spawn(call());
  EXPECT_EQ(env.sts.in_flight, 2);
  env.RunAll();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].ok());  // second call: default latency, finishes first
  EXPECT_EQ(got[0].credentials.id, 1u);
  EXPECT_EQ(got[0].credentials.expiration, Time() + Duration::Millis(100) + Duration::Hours(1));
  EXPECT_EQ(got[1].error, StsError::kThrottling);
  EXPECT_EQ(env.sts.calls, 2);
  EXPECT_EQ(env.sts.max_in_flight, 2);
  EXPECT_EQ(env.sts.in_flight, 0);
}

TEST(FakeKvStore, VisibilityRateLimitAndMinimumTtl) {
  FakeEnv env;
  const Credentials a{1, Time(), Time() + Duration::Hours(1)};
  std::vector<KvStatus> st;
  auto put = [&](int colo, Duration ttl) -> Task<void> {
    FakeKvView& kv = env.colo(colo).kv;
    st.push_back(co_await kv.Put(kKey, a, ttl));
  };
  Spawn(put(0, Duration::Seconds(59)));
  env.RunAll();
  Spawn(put(0, Duration::Minutes(10)));
  Spawn(put(1, Duration::Minutes(10)));
  env.RunAll();
  EXPECT_EQ(st, (std::vector<KvStatus>{KvStatus::kInvalidTtl, KvStatus::kOk,
                                       KvStatus::kRateLimited}));
  EXPECT_EQ(env.kv_store.Read(0, kKey).status, KvStatus::kOk);
  EXPECT_EQ(env.kv_store.Read(1, kKey).status, KvStatus::kNotFound);
  env.RunFor(Duration::Seconds(60));
  EXPECT_EQ(env.kv_store.Read(1, kKey).status, KvStatus::kOk);
  env.RunFor(Duration::Minutes(10));
  EXPECT_EQ(env.kv_store.Read(0, kKey).status, KvStatus::kNotFound);
}

// A Durable Object that counts fetches and re-arms its alarm twice.
class CountingObject final : public DurableObject {
 public:
  explicit CountingObject(DurableObjectContext& ctx) : ctx_(ctx) {}
  Task<DoResponse> Fetch(DoRequest request) override {
    co_await Sleep(ctx_.clock(), Duration::Millis(10));
    DoResponse r;
    r.credentials.id = ++fetches_;
    co_return r;
  }
  Task<bool> Alarm() override {
    ++alarms_;
    if (alarms_ < 3) ctx_.SetAlarm(ctx_.clock().Now() + Duration::Seconds(10));
    co_return true;
  }
  int alarms_ = 0;

 private:
  DurableObjectContext& ctx_;
  uint64_t fetches_ = 0;
};

TEST(FakeDurableObjects, FetchRunsAsItsOwnRootAndAlarmsFire) {
  FakeEnv env;
  env.do_host.factory = [](DurableObjectContext& ctx) {
    return std::make_unique<CountingObject>(ctx);
  };
  DurableObjectStub& stub = env.colo(0).durable_objects.Get(kKey);
  std::vector<DoResponse> got;
  bool cancelled_seen = false;
  auto call = [&]() -> Task<void> {
    try {
      got.push_back(co_await stub.Fetch(DoRequest{kKey, 0, 0}));
    } catch (const RequestCancelled&) {
      cancelled_seen = true;
    }
  };
  bool cancel = false;
  Spawn(call(), &cancel);
  env.RunFor(Duration::Millis(25));
  cancel = true;  // the caller goes away; the object still finishes its work
  env.RunAll();
  EXPECT_TRUE(cancelled_seen);
  Spawn(call());
  env.RunAll();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].credentials.id, 2u);
  EXPECT_EQ(env.do_host.fetches, 2);
  EXPECT_EQ(env.do_host.instances_created, 1);

  env.do_host.context(kKey).SetAlarm(env.Now() + Duration::Seconds(5));
  env.RunAll();
  auto& obj = static_cast<CountingObject&>(env.do_host.instance(kKey));
  EXPECT_EQ(obj.alarms_, 3);
  EXPECT_EQ(env.do_host.alarms_run, 3);
  EXPECT_FALSE(env.do_host.alarm(kKey).has_value());

  env.do_host.Evict(kKey);
  Spawn(call());
  env.RunAll();
  EXPECT_EQ(got.back().credentials.id, 1u);  // a new instance
  EXPECT_EQ(env.do_host.instances_created, 2);
}

TEST(FakeDurableObjects, OverloadedNamespaceDoesNotReachTheObject) {
  FakeEnv env;
  env.do_host.factory = [](DurableObjectContext& ctx) {
    return std::make_unique<CountingObject>(ctx);
  };
  env.colo(0).durable_objects.overloaded = true;
  DoResponse r;
  auto call = [&]() -> Task<void> {
    r = co_await env.colo(0).durable_objects.Get(kKey).Fetch(DoRequest{kKey, 0, 0});
  };
  Spawn(call());
  env.RunAll();
  EXPECT_TRUE(r.overloaded);
  EXPECT_EQ(env.do_host.fetches, 0);
}

}  // namespace
}  // namespace credsim
