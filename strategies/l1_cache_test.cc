#include "strategies/l1_cache.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "strategies/testing/fake_ports.h"

namespace credsim {
namespace {

constexpr CredentialKey kKey{1, 7};

// A provider that is just an L1Cache over sign + STS (no revocation filter).
class CacheOnly final : public CredentialProvider {
 public:
  CacheOnly(const L1Config& c, FakeEnv& env)
      : source_(env.signer, env.sts), cache_(c, env.clock, env.runtime, source_, nullptr) {}
  Task<AuthResult> GetCredentials(AuthRequest r) override { return cache_.Get(r.key); }
  L1Cache& cache() { return cache_; }

 private:
  StsCredentialSource source_;
  L1Cache cache_;
};

L1Config Variant(L1Variant v) {
  L1Config c;
  c.variant = v;
  return c;
}

// Starts n requests for kKey at the current instant.
std::vector<RequestOutcome> Burst(FakeEnv& env, CredentialProvider& p, int n) {
  std::vector<RequestOutcome> out(n);
  for (auto& o : out) StartRequest(p, kKey, &o, env.clock);
  return out;
}

RequestOutcome One(FakeEnv& env, CredentialProvider& p) {
  RequestOutcome o;
  StartRequest(p, kKey, &o, env.clock);
  env.RunAll();
  return o;
}

TEST(L1CacheV0, ConcurrentColdMissesAllCallSts) {
  FakeEnv env;
  CacheOnly p(Variant(L1Variant::kV0), env);
  auto out = Burst(env, p, 80);
  env.RunAll();
  OutcomeCounts c = Count(out);
  EXPECT_EQ(env.sts.calls, 80);
  EXPECT_EQ(c.ok, 80);
  EXPECT_EQ(c.by_source[static_cast<int>(Tier::kSts)], 80);
  RequestOutcome later = One(env, p);
  EXPECT_EQ(later.result.source, Tier::kL1);
  EXPECT_EQ(env.sts.calls, 80);
}

TEST(L1CacheV0, InsideLeadEveryRequestCallsStsUntilAPutLands) {
  FakeEnv env;
  CacheOnly p(Variant(L1Variant::kV0), env);
  One(env, p);
  const Time e = p.cache().Peek(kKey)->expiration;
  env.RunUntil(e - Duration::Seconds(50));
  auto out = Burst(env, p, 10);
  env.RunAll();
  EXPECT_EQ(env.sts.calls, 11);
  EXPECT_EQ(Count(out).ok, 10);
}

TEST(L1CacheV1, WorkersCancelsWaitersOnColdHerd) {
  FakeEnv env;
  env.runtime.cancel_cross_request_waits = true;
  CacheOnly p(Variant(L1Variant::kV1), env);
  auto out = Burst(env, p, 80);
  env.RunAll();
  OutcomeCounts c = Count(out);
  EXPECT_EQ(env.sts.calls, 1);
  EXPECT_EQ(c.runtime_cancelled, 79);
  EXPECT_EQ(c.ok, 1);
  EXPECT_EQ(p.cache().stats().runtime_cancels, 79);
  EXPECT_FALSE(p.cache().locked(kKey));
  EXPECT_EQ(One(env, p).result.source, Tier::kL1);
}

TEST(L1CacheV1, NativeWaitersWaitThenHitTheCache) {
  FakeEnv env;
  env.runtime.cancel_cross_request_waits = false;
  CacheOnly p(Variant(L1Variant::kV1), env);
  auto out = Burst(env, p, 80);
  env.RunAll();
  OutcomeCounts c = Count(out);
  EXPECT_EQ(env.sts.calls, 1);
  EXPECT_EQ(c.ok, 80);
  EXPECT_EQ(c.by_source[static_cast<int>(Tier::kSts)], 1);
  EXPECT_EQ(c.by_source[static_cast<int>(Tier::kL1)], 79);
  EXPECT_EQ(p.cache().stats().lock_waits, 79);
}

TEST(L1CacheV1, NativeFailureReleasesLockAndNextWaiterFetches) {
  FakeEnv env;
  env.runtime.cancel_cross_request_waits = false;
  env.sts.next_errors = {StsError::kAccessDenied};
  CacheOnly p(Variant(L1Variant::kV1), env);
  auto out = Burst(env, p, 10);
  env.RunAll();
  OutcomeCounts c = Count(out);
  EXPECT_EQ(env.sts.calls, 2);
  EXPECT_EQ(c.failed, 1);
  EXPECT_EQ(out[0].result.status, FailureStatus::kForbidden);
  EXPECT_EQ(c.ok, 9);
}

// Issue 11 item 10: multistore v1's lock is a Rust guard, released when the cancelled
// holder's future is dropped, on Workers as natively (it used to stay pinned on Workers, so
// every later miss of the key in the isolate was a 500).
TEST(L1CacheV1, CancelledHolderReleasesTheLockOnEveryRuntime) {
  for (bool workers : {true, false}) {
    SCOPED_TRACE(workers ? "workers" : "native");
    FakeEnv env;
    env.runtime.cancel_cross_request_waits = workers;
    CacheOnly p(Variant(L1Variant::kV1), env);
    RequestOutcome holder;
    StartRequest(p, kKey, &holder, env.clock);
    env.RunFor(Duration::Millis(50));
    holder.cancel = true;
    env.RunAll();
    EXPECT_EQ(holder.kind, RequestOutcome::Kind::kRequestCancelled);
    EXPECT_FALSE(p.cache().locked(kKey));
    RequestOutcome later = One(env, p);
    EXPECT_TRUE(later.ok());
    EXPECT_EQ(later.result.source, Tier::kSts);
    EXPECT_EQ(env.sts.calls, 2);
    EXPECT_EQ(One(env, p).result.source, Tier::kL1);
  }
}

// The edge timeout shorter than the STS call: the holder's request is answered 503 by the
// edge and its cancellation reaches the lock when the abandoned STS call returns. Meanwhile
// misses on Workers are 500 (the lock is held); afterwards the next miss fetches.
TEST(L1CacheV1, EdgeTimedOutHolderFreesTheKeyWhenItsFetchReturns) {
  FakeEnv env;
  env.runtime.cancel_cross_request_waits = true;
  env.sts.latency = Duration::Seconds(10);
  CacheOnly p(Variant(L1Variant::kV1), env);
  RequestOutcome holder;
  StartRequest(p, kKey, &holder, env.clock);
  env.RunFor(Duration::Seconds(5));
  holder.cancel = true;  // the edge gave up on it
  RequestOutcome during;
  StartRequest(p, kKey, &during, env.clock);
  env.RunFor(Duration::Seconds(1));
  EXPECT_EQ(during.kind, RequestOutcome::Kind::kRuntimeCancelled);
  EXPECT_TRUE(p.cache().locked(kKey));
  env.RunFor(Duration::Seconds(5));  // the abandoned STS call returns at 10 s
  EXPECT_EQ(holder.kind, RequestOutcome::Kind::kRequestCancelled);
  EXPECT_FALSE(p.cache().locked(kKey));
  env.sts.latency = Duration::Millis(100);
  RequestOutcome after = One(env, p);
  EXPECT_TRUE(after.ok());
  EXPECT_EQ(env.sts.calls, 2);
}

// The cache is checked holding the lock: a native waiter woken by the holder's release
// acquires the lock and finds the holder's credential; a hit materializes no lock.
TEST(L1CacheV1, ChecksTheCacheAfterAcquiringTheLock) {
  FakeEnv env;
  env.runtime.cancel_cross_request_waits = false;
  CacheOnly p(Variant(L1Variant::kV1), env);
  auto out = Burst(env, p, 3);
  env.RunFor(Duration::Millis(1));
  EXPECT_TRUE(p.cache().locked(kKey));
  env.RunAll();
  EXPECT_EQ(Count(out).by_source[static_cast<int>(Tier::kL1)], 2);
  EXPECT_EQ(env.sts.calls, 1);
  EXPECT_FALSE(p.cache().locked(kKey));
  RequestOutcome hit;
  StartRequest(p, kKey, &hit, env.clock);
  EXPECT_FALSE(p.cache().locked(kKey));
  env.RunAll();
  EXPECT_EQ(hit.result.source, Tier::kL1);
}

L1Config V1(L1V1Wait wait) {
  L1Config c = Variant(L1Variant::kV1);
  c.v1_wait = wait;
  return c;
}

// docs/platform-conformance.md#v1-lock-herd (the #197 herd): 80 concurrent cold requests in one
// isolate, STS 1 s, on the Workers runtime.
TEST(L1CacheV1, HerdOnWorkersWaiterPromiseCancelsWaitersOnArrival) {
  FakeEnv env;
  env.runtime.cancel_cross_request_waits = true;
  env.sts.latency = Duration::Seconds(1);
  CacheOnly p(V1(L1V1Wait::kWaiterPromise), env);
  const Time t0 = env.clock.Now();
  auto out = Burst(env, p, 80);
  env.RunAll();
  OutcomeCounts c = Count(out);
  EXPECT_EQ(env.sts.calls, 1);
  EXPECT_EQ(c.ok, 1);
  EXPECT_EQ(c.runtime_cancelled, 79);
  EXPECT_TRUE(out[0].ok());
  for (int i = 1; i < 80; ++i) {
    EXPECT_EQ(out[i].kind, RequestOutcome::Kind::kRuntimeCancelled) << i;
    EXPECT_LE(out[i].finished - t0, Duration::Millis(100)) << i;  // runtime: within 0.1 s
  }
  EXPECT_EQ(p.cache().stats().lock_waits, 0);
  EXPECT_EQ(p.cache().stats().runtime_cancels, 79);
}

TEST(L1CacheV1, HerdOnWorkersHolderPromiseServesEveryone) {
  FakeEnv env;
  env.runtime.cancel_cross_request_waits = true;
  env.sts.latency = Duration::Seconds(1);
  CacheOnly p(V1(L1V1Wait::kHolderPromise), env);
  auto out = Burst(env, p, 80);
  env.RunAll();
  OutcomeCounts c = Count(out);
  EXPECT_EQ(env.sts.calls, 1);
  EXPECT_EQ(c.ok, 80);
  EXPECT_EQ(c.by_source[static_cast<int>(Tier::kSts)], 1);
  EXPECT_EQ(c.by_source[static_cast<int>(Tier::kL1)], 79);
  EXPECT_EQ(p.cache().stats().lock_waits, 79);
  EXPECT_EQ(p.cache().stats().runtime_cancels, 0);
  // Waiters are served when the holder's fetch lands, not before.
  for (const RequestOutcome& o : out) EXPECT_EQ(o.finished, out[0].finished);
  EXPECT_FALSE(p.cache().locked(kKey));
}

// The holder's request ends before it settles (cancelled through the fetch): its waiters fail
// at that instant ("a request that has since ended"), the lock stays pinned (no cleanup runs)
// and every later miss for the key fails at once; nothing calls STS again in this isolate.
TEST(L1CacheV1, HolderPromiseCancelledHolderFailsWaitersAndPinsTheLock) {
  FakeEnv env;
  env.runtime.cancel_cross_request_waits = true;
  CacheOnly p(V1(L1V1Wait::kHolderPromise), env);
  std::vector<RequestOutcome> out(6);
  StartRequest(p, kKey, &out[0], env.clock);
  env.RunFor(Duration::Millis(10));
  for (size_t i = 1; i < out.size(); ++i) StartRequest(p, kKey, &out[i], env.clock);
  env.RunFor(Duration::Millis(40));
  out[0].cancel = true;
  env.RunAll();
  EXPECT_EQ(out[0].kind, RequestOutcome::Kind::kRequestCancelled);
  for (size_t i = 1; i < out.size(); ++i) {
    EXPECT_EQ(out[i].kind, RequestOutcome::Kind::kRuntimeCancelled) << i;
    EXPECT_EQ(out[i].finished, out[0].finished) << i;
  }
  EXPECT_EQ(p.cache().stats().lock_waits, 5);
  EXPECT_EQ(p.cache().stats().runtime_cancels, 5);
  EXPECT_TRUE(p.cache().locked(kKey));
  env.RunFor(Duration::Minutes(5));
  RequestOutcome later;
  StartRequest(p, kKey, &later, env.clock);
  env.RunAll();
  EXPECT_EQ(later.kind, RequestOutcome::Kind::kRuntimeCancelled);
  EXPECT_EQ(later.finished, later.started);
  EXPECT_EQ(env.sts.calls, 1);
}

// A holder whose fetch fails (non-200) settles its promise while alive: the waiters re-check,
// one of them takes the lock and fetches, the rest are served from it.
TEST(L1CacheV1, HolderPromiseFailedFetchReleasesTheLock) {
  FakeEnv env;
  env.runtime.cancel_cross_request_waits = true;
  env.sts.next_errors = {StsError::kAccessDenied};
  CacheOnly p(V1(L1V1Wait::kHolderPromise), env);
  auto out = Burst(env, p, 10);
  env.RunAll();
  OutcomeCounts c = Count(out);
  EXPECT_EQ(env.sts.calls, 2);
  EXPECT_EQ(out[0].result.status, FailureStatus::kForbidden);
  EXPECT_EQ(c.failed, 1);
  EXPECT_EQ(c.ok, 9);
  EXPECT_EQ(c.runtime_cancelled, 0);
  EXPECT_FALSE(p.cache().locked(kKey));
}

// Natively the shape does not matter: both wait and are served.
TEST(L1CacheV1, NativeRuntimeIgnoresV1Wait) {
  for (L1V1Wait w : {L1V1Wait::kWaiterPromise, L1V1Wait::kHolderPromise}) {
    SCOPED_TRACE(std::string(L1V1WaitName(w)));
    FakeEnv env;
    env.runtime.cancel_cross_request_waits = false;
    CacheOnly p(V1(w), env);
    auto out = Burst(env, p, 80);
    env.RunAll();
    EXPECT_EQ(Count(out).ok, 80);
    EXPECT_EQ(env.sts.calls, 1);
    EXPECT_EQ(p.cache().stats().lock_waits, 79);
  }
}

// v1_wait has no effect on the other variants.
TEST(L1CacheV1, V1WaitDoesNotChangeV0OrV2) {
  for (L1Variant v : {L1Variant::kV0, L1Variant::kV2}) {
    SCOPED_TRACE(std::string(L1VariantName(v)));
    FakeEnv env;
    env.runtime.cancel_cross_request_waits = true;
    L1Config cfg = Variant(v);
    cfg.v1_wait = L1V1Wait::kHolderPromise;
    CacheOnly p(cfg, env);
    auto out = Burst(env, p, 20);
    env.RunAll();
    EXPECT_EQ(Count(out).ok, 20);
    EXPECT_EQ(env.sts.calls, 20);  // cold keys are single-flighted by neither
  }
}

TEST(L1CacheV2, RenewalInsideLeadMakesExactlyOneCallOthersServedOld) {
  FakeEnv env;
  CacheOnly p(Variant(L1Variant::kV2), env);
  RequestOutcome warm = One(env, p);
  const Credentials old = warm.result.credentials;
  env.RunUntil(old.expiration - Duration::Seconds(30));
  auto out = Burst(env, p, 80);
  env.RunAll();
  EXPECT_EQ(env.sts.calls, 2);
  OutcomeCounts c = Count(out);
  EXPECT_EQ(c.ok, 80);
  EXPECT_EQ(out[0].result.source, Tier::kSts);
  EXPECT_NE(out[0].result.credentials.id, old.id);
  for (int i = 1; i < 80; ++i) {
    EXPECT_EQ(out[i].result.source, Tier::kL1);
    EXPECT_EQ(out[i].result.credentials.id, old.id);
  }
  EXPECT_EQ(p.cache().stats().stale_hits, 79);
  EXPECT_EQ(p.cache().Peek(kKey)->id, out[0].result.credentials.id);
  EXPECT_FALSE(p.cache().claim(kKey).has_value());
}

TEST(L1CacheV2, ColdHerdIsNotSingleFlighted) {
  FakeEnv env;
  CacheOnly p(Variant(L1Variant::kV2), env);
  auto out = Burst(env, p, 80);
  env.RunAll();
  EXPECT_EQ(env.sts.calls, 80);
  EXPECT_EQ(Count(out).ok, 80);
}

TEST(L1CacheV2, InLastMinServeEveryoneFetches) {
  FakeEnv env;
  CacheOnly p(Variant(L1Variant::kV2), env);
  const Time e = One(env, p).result.credentials.expiration;
  env.RunUntil(e - Duration::Seconds(4));
  auto out = Burst(env, p, 10);
  env.RunAll();
  EXPECT_EQ(env.sts.calls, 11);
}

TEST(L1CacheV2, CancelledClaimantPinsClaimUntilTimeout) {
  FakeEnv env;
  CacheOnly p(Variant(L1Variant::kV2), env);
  const Credentials old = One(env, p).result.credentials;
  const Time claim_at = old.expiration - Duration::Seconds(55);
  env.RunUntil(claim_at);
  env.sts.next_latencies = {Duration::Seconds(10)};
  RequestOutcome claimant;
  StartRequest(p, kKey, &claimant, env.clock);
  env.RunFor(Duration::Seconds(1));
  claimant.cancel = true;
  env.RunFor(Duration::Seconds(10));
  EXPECT_EQ(claimant.kind, RequestOutcome::Kind::kRequestCancelled);
  EXPECT_EQ(p.cache().claim(kKey), claim_at);
  // Within CLAIM_TIMEOUT of the claim everyone is served the old credential.
  for (Duration at : {Duration::Seconds(15), Duration::Seconds(29)}) {
    env.RunUntil(claim_at + at);
    RequestOutcome o = One(env, p);
    EXPECT_EQ(o.result.source, Tier::kL1);
    EXPECT_EQ(o.result.credentials.id, old.id);
  }
  EXPECT_EQ(env.sts.calls, 2);
  // After the timeout the next request claims and renews.
  env.RunUntil(claim_at + Duration::Seconds(30));
  RequestOutcome renew = One(env, p);
  EXPECT_EQ(renew.result.source, Tier::kSts);
  EXPECT_EQ(env.sts.calls, 3);
}

TEST(L1CacheV2, FailureReleasesClaimAndFailsOnlyThatRequest) {
  FakeEnv env;
  CacheOnly p(Variant(L1Variant::kV2), env);
  const Credentials old = One(env, p).result.credentials;
  env.RunUntil(old.expiration - Duration::Seconds(50));
  env.sts.next_errors = {StsError::kThrottling};
  auto out = Burst(env, p, 10);
  env.RunAll();
  OutcomeCounts c = Count(out);
  EXPECT_EQ(out[0].result.status, FailureStatus::kBadGateway);
  EXPECT_EQ(c.failed, 1);
  EXPECT_EQ(c.ok, 9);
  EXPECT_EQ(c.by_source[static_cast<int>(Tier::kL1)], 9);
  EXPECT_FALSE(p.cache().claim(kKey).has_value());
  EXPECT_EQ(env.sts.calls, 2);
  // The claim was released: the next request renews at once.
  RequestOutcome next = One(env, p);
  EXPECT_EQ(next.result.source, Tier::kSts);
  EXPECT_EQ(env.sts.calls, 3);
}

TEST(L1CacheV2, ColdFailureCachesNothing) {
  FakeEnv env;
  env.sts.next_errors = {StsError::kTimeout};
  CacheOnly p(Variant(L1Variant::kV2), env);
  EXPECT_EQ(One(env, p).result.status, FailureStatus::kUnavailable);
  EXPECT_EQ(p.cache().size(), 0u);
  EXPECT_TRUE(One(env, p).ok());
  EXPECT_EQ(env.sts.calls, 2);
}

TEST(L1CacheTest, EraseIfIdKeepsNewerCredentials) {
  FakeEnv env;
  CacheOnly p(Variant(L1Variant::kV2), env);
  const Credentials c = One(env, p).result.credentials;
  EXPECT_FALSE(p.cache().EraseIfId(kKey, c.id + 1));
  EXPECT_TRUE(p.cache().EraseIfId(kKey, c.id));
  EXPECT_EQ(p.cache().size(), 0u);
}

TEST(L1ConfigTest, ParsesDefaultsAndValues) {
  nlohmann::json j = {{"variant", "v1"}, {"refresh_lead", "2m"}, {"min_serve", "10s"},
                      {"claim_timeout", "45s"}, {"v1_wait", "holder_promise"}};
  JsonReader r(j, "strategies[0].params");
  L1Config c;
  ASSERT_TRUE(ParseL1Config(r, &c).ok());
  ASSERT_TRUE(r.Finish().ok());
  EXPECT_EQ(c.variant, L1Variant::kV1);
  EXPECT_EQ(c.refresh_lead, Duration::Minutes(2));
  EXPECT_EQ(c.min_serve, Duration::Seconds(10));
  EXPECT_EQ(c.claim_timeout, Duration::Seconds(45));
  EXPECT_EQ(c.v1_wait, L1V1Wait::kHolderPromise);
  nlohmann::json back = nlohmann::json::object();
  L1ConfigToJson(c, &back);
  EXPECT_EQ(back["v1_wait"], "holder_promise");

  nlohmann::json empty = nlohmann::json::object();
  JsonReader r2(empty, "p");
  L1Config d;
  ASSERT_TRUE(ParseL1Config(r2, &d).ok());
  EXPECT_EQ(d.variant, L1Variant::kV2);
  EXPECT_EQ(d.refresh_lead, Duration::Seconds(60));
  EXPECT_EQ(d.min_serve, Duration::Seconds(5));
  EXPECT_EQ(d.claim_timeout, Duration::Seconds(30));
  EXPECT_EQ(d.v1_wait, L1V1Wait::kWaiterPromise);
}

TEST(L1ConfigTest, RejectsUnknownV1Wait) {
  nlohmann::json j = {{"variant", "v1"}, {"v1_wait", "shared"}};
  JsonReader r(j, "strategies[0].params");
  L1Config c;
  absl::Status s = ParseL1Config(r, &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("strategies[0].params.v1_wait"), std::string::npos)
      << s.message();
}

TEST(L1ConfigTest, RejectsUnknownVariant) {
  nlohmann::json j = {{"variant", "v3"}};
  JsonReader r(j, "strategies[0].params");
  L1Config c;
  absl::Status s = ParseL1Config(r, &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("strategies[0].params.variant"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace credsim
