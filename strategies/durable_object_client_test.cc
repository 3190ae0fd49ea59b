#include "strategies/durable_object_client.h"

#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "strategies/testing/fake_ports.h"

namespace credsim {
namespace {

constexpr CredentialKey kKey{3, 0};

// An object whose answers come from `answer`; it records every request it gets.
class ScriptedObject final : public DurableObject {
 public:
  using Answer = std::function<DoResponse(const DoRequest&)>;
  ScriptedObject(Answer answer, std::vector<DoRequest>* seen)
      : answer_(std::move(answer)), seen_(seen) {}
  Task<DoResponse> Fetch(DoRequest request) override {
    seen_->push_back(request);
    co_return answer_(request);
  }

 private:
  Answer answer_;
  std::vector<DoRequest>* seen_;
};

DoResponse WithCredentials(uint64_t id, Time issued_at) {
  DoResponse r;
  r.credentials = Credentials{id, issued_at, issued_at + Duration::Hours(1)};
  return r;
}

struct Env {
  // The object answers with `answer`, or (if unset) mints id 100, 101, ... issued now.
  Env() {
    env.do_host.factory = [this](DurableObjectContext&) {
      return std::make_unique<ScriptedObject>(
          [this](const DoRequest& request) {
            return answer ? answer(request) : WithCredentials(++minted, env.Now());
          },
          &seen);
    };
  }
  ObjectAnswer Ask(const RevocationFilter* filter, uint32_t op, uint64_t stale_id) {
    ObjectAnswer out;
    bool done = false;
    Spawn(env.clock, Capture(AskDurableObject(env.colo(0).durable_objects, env.clock, filter,
                                              kKey, op, stale_id),
                             &out, &done));
    env.RunFor(Duration::Seconds(5));
    EXPECT_TRUE(done);
    return out;
  }
  static Task<void> Capture(Task<ObjectAnswer> task, ObjectAnswer* out, bool* done) {
    *out = co_await std::move(task);
    *done = true;
  }

  FakeEnv env;
  ScriptedObject::Answer answer;
  std::vector<DoRequest> seen;
  uint64_t minted = 99;
};

TEST(AskDurableObjectTest, PassesOpAndStaleIdAndReturnsTheCredentials) {
  Env e;
  const ObjectAnswer a = e.Ask(nullptr, kDoOpInit, 42);
  EXPECT_EQ(a.kind, ObjectAnswer::Kind::kOk);
  EXPECT_EQ(a.status, FailureStatus::kOk);
  EXPECT_EQ(a.credentials.id, 100u);
  ASSERT_EQ(e.seen.size(), 1u);
  EXPECT_EQ(e.seen[0].key, kKey);
  EXPECT_EQ(e.seen[0].op, kDoOpInit);
  EXPECT_EQ(e.seen[0].stale_id, 42u);
}

TEST(AskDurableObjectTest, PlatformErrorsAreUnavailableAndNotRetried) {
  for (bool overloaded : {true, false}) {
    Env e;
    e.env.colo(0).durable_objects.overloaded = overloaded;
    e.env.colo(0).durable_objects.error = !overloaded;
    const ObjectAnswer a = e.Ask(nullptr, kDoOpGet, 0);
    EXPECT_EQ(a.kind, ObjectAnswer::Kind::kUnavailable);
    EXPECT_EQ(a.status, FailureStatus::kUnavailable);
    EXPECT_EQ(e.env.colo(0).durable_objects.calls, 1);
    EXPECT_TRUE(e.seen.empty());
  }
}

TEST(AskDurableObjectTest, ErrorStatusOrMissingCredentialsIsFailed) {
  Env e;
  e.answer = [](const DoRequest&) {
    DoResponse r;
    r.status = FailureStatus::kForbidden;
    return r;
  };
  ObjectAnswer a = e.Ask(nullptr, kDoOpGet, 0);
  EXPECT_EQ(a.kind, ObjectAnswer::Kind::kFailed);
  EXPECT_EQ(a.status, FailureStatus::kForbidden);
  e.answer = [](const DoRequest&) { return DoResponse(); };  // 200 without credentials
  a = e.Ask(nullptr, kDoOpGet, 0);
  EXPECT_EQ(a.kind, ObjectAnswer::Kind::kFailed);
  EXPECT_EQ(a.status, FailureStatus::kBadGateway);
}

// A filter that has not polled yet admits only credentials issued since its construction, so
// an object holding an older credential is asked once more with that credential as stale_id.
TEST(AskDurableObjectTest, RejectedByTheFilterAsksOnceMoreWithItsIdAsStale) {
  Env e;
  e.env.RunFor(Duration::Seconds(10));
  RevocationOptions options;
  options.enabled = true;
  RevocationFilter filter(options, &e.env.feed, e.env.clock);
  e.answer = [&e](const DoRequest& request) {
    return request.stale_id == 7 ? WithCredentials(8, e.env.Now()) : WithCredentials(7, Time());
  };
  ObjectAnswer a = e.Ask(&filter, kDoOpGet, 0);
  EXPECT_EQ(a.kind, ObjectAnswer::Kind::kOk);
  EXPECT_EQ(a.credentials.id, 8u);
  ASSERT_EQ(e.seen.size(), 2u);
  EXPECT_EQ(e.seen[1].stale_id, 7u);

  // The object hands back the old credential again: not admitted, and no third call.
  e.seen.clear();
  e.answer = [](const DoRequest&) { return WithCredentials(7, Time()); };
  a = e.Ask(&filter, kDoOpGet, 0);
  EXPECT_EQ(a.kind, ObjectAnswer::Kind::kNotAdmitted);
  EXPECT_EQ(a.status, FailureStatus::kForbidden);
  EXPECT_EQ(e.seen.size(), 2u);
}

TEST(RejectedCredentialsTest, RemembersTheLastRejectedIdPerKey) {
  RejectedCredentials rejected;
  EXPECT_EQ(rejected.Get(kKey), 0u);
  rejected.Note(kKey, 5);
  rejected.Note(kKey, 6);
  EXPECT_EQ(rejected.Get(kKey), 6u);
  EXPECT_EQ(rejected.Get(CredentialKey{4, 0}), 0u);
}

// The simplest tier: the object only; an unavailable platform answers 503 (a fallback).
class ObjectOnlyTier final : public ObjectTier {
 public:
  explicit ObjectOnlyTier(const ObjectTierContext& ctx) : ObjectTier(ctx) {}
  Task<AuthResult> Fetch(CredentialKey key) override {
    const std::optional<AuthResult> answer = co_await FetchFromObject(key, rejected().Get(key));
    if (answer) co_return *answer;
    CountFallback();
    co_return AuthResult{FailureStatus::kUnavailable, Credentials(), Tier::kNone};
  }
};

std::unique_ptr<DurableObjectProvider> NewProvider(FakeEnv& env, bool drop_on_403,
                                                   bool revocation = false) {
  RevocationOptions options;
  options.enabled = revocation;
  options.drop_on_403 = drop_on_403;
  return std::make_unique<DurableObjectProvider>(
      L1Config(), options, env.Ports(0), [](const ObjectTierContext& ctx) {
        return std::make_unique<ObjectOnlyTier>(ctx);
      });
}

AuthResult RunOne(FakeEnv& env, CredentialProvider& p) {
  RequestOutcome out;
  StartRequest(p, kKey, &out, env.clock);
  env.RunFor(Duration::Seconds(5));
  EXPECT_EQ(out.kind, RequestOutcome::Kind::kResult);
  return out.result;
}

TEST(DurableObjectProviderTest, L1FrontsTheTier) {
  Env e;
  auto p = NewProvider(e.env, false);
  EXPECT_EQ(RunOne(e.env, *p).source, Tier::kDurableObject);
  const AuthResult again = RunOne(e.env, *p);
  EXPECT_EQ(again.source, Tier::kL1);
  EXPECT_EQ(again.credentials.id, 100u);
  EXPECT_EQ(e.seen.size(), 1u);
  EXPECT_EQ(p->fallbacks(), 0);
}

TEST(DurableObjectProviderTest, Drop403ErasesL1AndPassesTheRejectedIdAsStale) {
  Env e;
  auto p = NewProvider(e.env, true);
  const AuthResult first = RunOne(e.env, *p);
  p->OnCredentialRejected(kKey, first.credentials);
  EXPECT_FALSE(p->l1().Peek(kKey).has_value());
  const AuthResult second = RunOne(e.env, *p);
  EXPECT_EQ(second.source, Tier::kDurableObject);
  EXPECT_EQ(second.credentials.id, 101u);
  ASSERT_EQ(e.seen.size(), 2u);
  EXPECT_EQ(e.seen[1].stale_id, first.credentials.id);
}

TEST(DurableObjectProviderTest, Without403DropARejectionChangesNothing) {
  Env e;
  auto p = NewProvider(e.env, false);
  const AuthResult first = RunOne(e.env, *p);
  p->OnCredentialRejected(kKey, first.credentials);
  EXPECT_EQ(RunOne(e.env, *p).source, Tier::kL1);
  EXPECT_EQ(e.seen.size(), 1u);
}

TEST(DurableObjectProviderTest, UnavailableObjectIsTheTiersFallback) {
  Env e;
  e.env.colo(0).durable_objects.overloaded = true;
  auto p = NewProvider(e.env, false);
  EXPECT_EQ(RunOne(e.env, *p).status, FailureStatus::kUnavailable);
  EXPECT_EQ(p->fallbacks(), 1);
  EXPECT_EQ(p->tier().fallbacks(), 1);
  EXPECT_EQ(e.env.sts.calls, 0);
}

// The object only holds a revoked credential: the tier mints in the isolate (source kSts).
TEST(DurableObjectProviderTest, NotAdmittedAnswerIsMintedFromSts) {
  Env e;
  e.env.RunFor(Duration::Seconds(10));
  e.env.feed.Publish(RevocationEvent{kKey.role, e.env.Now()});
  e.answer = [](const DoRequest&) { return WithCredentials(7, Time()); };
  auto p = NewProvider(e.env, false, /*revocation=*/true);
  const AuthResult r = RunOne(e.env, *p);
  EXPECT_EQ(r.status, FailureStatus::kOk);
  EXPECT_EQ(r.source, Tier::kSts);
  EXPECT_EQ(e.env.sts.calls, 1);
  EXPECT_EQ(e.seen.size(), 2u);
  EXPECT_EQ(p->fallbacks(), 0);
}

}  // namespace
}  // namespace credsim
