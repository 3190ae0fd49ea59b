// Coroutine ports take their small arguments by value (sim/task.h): a Task starts lazily, so
// a `const T&` parameter would still refer to the caller's object when the task first runs,
// after the caller changed it or it died. Each test changes the argument after creating the
// task and before it runs; the reference version would see the change (or, under ASan, a
// dead temporary).
#include <type_traits>

#include "gtest/gtest.h"
#include "strategies/testing/fake_ports.h"
#include "strategies/l1_strategy.h"

namespace credsim {
namespace {

// The interfaces themselves (every adapter and strategy overrides these signatures).
static_assert(std::is_same_v<decltype(&ColoCache::Put),
                             Task<void> (ColoCache::*)(CredentialKey, Credentials, Duration)>);
static_assert(std::is_same_v<decltype(&KvNamespace::Put),
                             Task<KvStatus> (KvNamespace::*)(CredentialKey, Credentials, Duration)>);
static_assert(std::is_same_v<decltype(&DurableStorage::Put),
                             Task<void> (DurableStorage::*)(CredentialKey, Credentials)>);
static_assert(std::is_same_v<decltype(&DurableObjectStub::Fetch),
                             Task<DoResponse> (DurableObjectStub::*)(DoRequest)>);
static_assert(std::is_same_v<decltype(&DurableObject::Fetch),
                             Task<DoResponse> (DurableObject::*)(DoRequest)>);
static_assert(std::is_same_v<decltype(&CredentialProvider::GetCredentials),
                             Task<AuthResult> (CredentialProvider::*)(AuthRequest)>);

Credentials Creds(uint64_t id, Time now) {
  return Credentials{.id = id, .issued_at = now, .expiration = now + Duration::Hours(1)};
}

template <typename T>
Task<void> Store(Task<T> t, T* out) {
  *out = co_await std::move(t);
}

TEST(PortArguments, ColoCachePutKeepsItsOwnCopy) {
  FakeEnv env;
  FakeColoCache& cache = env.colo(0).cache;
  Task<void> put;
  {
    Credentials c = Creds(7, env.Now());
    put = cache.Put(CredentialKey{1, 0}, c, Duration::Minutes(5));
    c.id = 99;
  }
  Spawn(std::move(put));
  env.RunAll();
  ASSERT_TRUE(cache.Peek(CredentialKey{1, 0}).has_value());
  EXPECT_EQ(cache.Peek(CredentialKey{1, 0})->id, 7u);
}

TEST(PortArguments, KvPutKeepsItsOwnCopy) {
  FakeEnv env;
  KvNamespace& kv = env.colo(0).kv;
  Task<KvStatus> put;
  {
    Credentials c = Creds(8, env.Now());
    put = kv.Put(CredentialKey{1, 0}, c, Duration::Minutes(5));
    c.id = 99;
  }
  KvStatus status = KvStatus::kError;
  Spawn(Store(std::move(put), &status));
  env.RunAll();
  EXPECT_EQ(status, KvStatus::kOk);
  KvRead read;
  Spawn(Store(kv.Get(CredentialKey{1, 0}, Duration::Seconds(60)), &read));
  env.RunAll();
  ASSERT_TRUE(read.value.has_value());
  EXPECT_EQ(read.value->id, 8u);
}

// An object that answers with the request it received.
class EchoObject final : public DurableObject {
 public:
  explicit EchoObject(DurableObjectContext& ctx) : ctx_(ctx) {}
  Task<DoResponse> Fetch(DoRequest request) override {
    co_await Sleep(ctx_.clock(), Duration::Millis(3));
    DoResponse r;
    r.credentials.id = request.stale_id * 100 + request.op;
    co_return r;
  }

 private:
  DurableObjectContext& ctx_;
};

TEST(PortArguments, DurableObjectFetchKeepsItsOwnRequest) {
  FakeEnv env;
  env.do_host.factory = [](DurableObjectContext& ctx) { return std::make_unique<EchoObject>(ctx); };
  DurableObjectStub& stub = env.colo(0).durable_objects.Get(CredentialKey{1, 0});
  Task<DoResponse> fetch;
  {
    DoRequest req;
    req.key = CredentialKey{1, 0};
    req.op = 4;
    req.stale_id = 5;
    fetch = stub.Fetch(req);
    req.op = 0;
    req.stale_id = 0;
  }
  DoResponse response;
  Spawn(Store(std::move(fetch), &response));
  env.RunAll();
  EXPECT_EQ(response.credentials.id, 504u);
}

TEST(PortArguments, GetCredentialsKeepsItsOwnRequest) {
  FakeEnv env;
  nlohmann::json params = nlohmann::json::object();
  JsonReader r(params, "p");
  auto strategy = L1Strategy::Create(r);
  ASSERT_TRUE(strategy.ok()) << strategy.status();
  IsolatePorts ports = env.Ports();
  auto provider = (*strategy)->NewProvider(ports);
  Task<AuthResult> get;
  {
    AuthRequest req{CredentialKey{3, 0}};
    get = provider->GetCredentials(req);
    req.key = CredentialKey{4, 0};
  }
  AuthResult result;
  Spawn(Store(std::move(get), &result));
  env.RunAll();
  ASSERT_EQ(result.status, FailureStatus::kOk);
  // The STS call was made for role 3: a second request for role 3 is an L1 hit.
  AuthResult again;
  Spawn(Store(provider->GetCredentials(AuthRequest{CredentialKey{3, 0}}), &again));
  env.RunAll();
  EXPECT_EQ(again.source, Tier::kL1);
  EXPECT_EQ(again.credentials.id, result.credentials.id);
  EXPECT_EQ(env.sts.calls, 1);
}

}  // namespace
}  // namespace credsim
