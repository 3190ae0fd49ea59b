#include "strategies/revocation_filter.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "strategies/testing/fake_ports.h"
#include "strategies/kv_strategy.h"
#include "strategies/l1_strategy.h"

namespace credsim {
namespace {

Credentials Issued(uint64_t id, Time at) {
  return Credentials{id, at, at + Duration::Hours(1)};
}

Task<void> Poll(RevocationFilter* f) { co_await f->MaybePoll(); }

RevocationOptions Enabled() {
  RevocationOptions o;
  o.enabled = true;
  return o;
}

TEST(RevocationFilter, DisabledOrWithoutFeedAdmitsEverythingAndNeverPolls) {
  FakeEnv env;
  env.feed.Publish({RevocationEvent::kAllRoles, Time::Infinite()});
  RevocationFilter disabled(RevocationOptions{}, &env.feed, env.clock);
  RevocationFilter no_feed(Enabled(), nullptr, env.clock);
  for (RevocationFilter* f : {&disabled, &no_feed}) {
    EXPECT_FALSE(f->active());
    EXPECT_FALSE(f->poll_due());
    Spawn(Poll(f));
    env.RunAll();
    EXPECT_TRUE(f->Admit(CredentialKey{1, 0}, Issued(1, Time())));
  }
  env.RunFor(Duration::Hours(1));
  EXPECT_TRUE(disabled.Admit(CredentialKey{1, 0}, Issued(1, Time())));
  EXPECT_EQ(env.feed.polls, 0);
}

TEST(RevocationFilter, EventsCoverTheirRoleOrAllRolesBeforeTheCutoff) {
  FakeEnv env;
  RevocationFilter f(Enabled(), &env.feed, env.clock);
  env.RunFor(Duration::Seconds(100));
  const Time t0 = Time() + Duration::Seconds(10);
  const Time t1 = Time() + Duration::Seconds(20);
  env.feed.Publish({5, t1});
  Spawn(Poll(&f));
  env.RunAll();
  EXPECT_EQ(f.polls(), 1);
  EXPECT_FALSE(f.Admit(CredentialKey{5, 0}, Issued(1, t0)));
  EXPECT_FALSE(f.Admit(CredentialKey{5, 9}, Issued(1, t0)));
  EXPECT_TRUE(f.Admit(CredentialKey{5, 0}, Issued(2, t1)));  // issued at the cutoff
  EXPECT_TRUE(f.Admit(CredentialKey{6, 0}, Issued(3, t0)));
  // Not due again until poll_interval has passed.
  EXPECT_FALSE(f.poll_due());
  env.feed.Publish({RevocationEvent::kAllRoles, t0 + Duration::Seconds(1)});
  env.RunFor(Duration::Seconds(30));
  EXPECT_TRUE(f.poll_due());
  Spawn(Poll(&f));
  env.RunAll();
  EXPECT_FALSE(f.Admit(CredentialKey{6, 0}, Issued(3, t0)));
  EXPECT_TRUE(f.Admit(CredentialKey{6, 0}, Issued(3, t0 + Duration::Seconds(1))));
}

TEST(RevocationFilter, FailsClosedPastTheDisconnectThreshold) {
  FakeEnv env;
  RevocationFilter f(Enabled(), &env.feed, env.clock);
  const Credentials c = Issued(1, Time());
  Spawn(Poll(&f));
  env.RunAll();
  const Time last_ok = env.Now();
  env.feed.reachable = false;
  for (int i = 0; i < 12; ++i) {  // polls keep failing every 30 s
    env.RunFor(Duration::Seconds(30));
    Spawn(Poll(&f));
    env.RunAll();
  }
  EXPECT_EQ(f.failed_polls(), 12);
  EXPECT_GT(env.Now() - last_ok, Duration::Minutes(5));
  EXPECT_FALSE(f.Admit(CredentialKey{1, 0}, c));
  env.feed.reachable = true;
  env.RunFor(Duration::Seconds(30));
  Spawn(Poll(&f));
  env.RunAll();
  EXPECT_TRUE(f.Admit(CredentialKey{1, 0}, c));
}

// Issue 11 item 3: construction is not a successful poll. A filter born while the feed is
// down has no feed position: it refuses credentials issued before its birth (what an older
// shared tier holds), admits only credentials issued since, and only until
// disconnect_threshold after its birth.
TEST(RevocationFilter, FilterBornDuringAnOutageFailsClosed) {
  FakeEnv env;
  const Credentials old_entry = Issued(1, env.Now());
  env.RunFor(Duration::Minutes(20));
  env.feed.reachable = false;
  RevocationFilter f(Enabled(), &env.feed, env.clock);
  const Time born = env.Now();
  EXPECT_FALSE(f.has_feed_position());
  EXPECT_FALSE(f.Admit(CredentialKey{1, 0}, old_entry));  // before any poll
  Spawn(Poll(&f));
  env.RunAll();
  EXPECT_EQ(f.failed_polls(), 1);
  EXPECT_FALSE(f.has_feed_position());
  EXPECT_FALSE(f.Admit(CredentialKey{1, 0}, old_entry));
  const Credentials own_mint = Issued(2, env.Now());
  EXPECT_TRUE(f.Admit(CredentialKey{1, 0}, own_mint));
  env.RunUntil(born + Duration::Minutes(5));
  EXPECT_TRUE(f.Admit(CredentialKey{1, 0}, own_mint));
  env.RunFor(Duration::Seconds(1));
  EXPECT_FALSE(f.Admit(CredentialKey{1, 0}, own_mint));  // past the threshold since birth
  // The feed comes back: the first successful poll gives a position; old entries are judged
  // by the events like anywhere else.
  env.feed.reachable = true;
  Spawn(Poll(&f));
  env.RunAll();
  EXPECT_TRUE(f.has_feed_position());
  EXPECT_TRUE(f.Admit(CredentialKey{1, 0}, old_entry));
  EXPECT_TRUE(f.Admit(CredentialKey{1, 0}, own_mint));
}

// A successful first poll makes a new filter like any other: old entries are admitted.
TEST(RevocationFilter, FirstSuccessfulPollAdmitsOlderEntries) {
  FakeEnv env;
  const Credentials old_entry = Issued(1, env.Now());
  env.RunFor(Duration::Minutes(20));
  RevocationFilter f(Enabled(), &env.feed, env.clock);
  EXPECT_FALSE(f.Admit(CredentialKey{1, 0}, old_entry));  // the first poll is in flight
  Spawn(Poll(&f));
  env.RunAll();
  EXPECT_TRUE(f.Admit(CredentialKey{1, 0}, old_entry));
}

// End to end: an isolate created during a feed outage does not serve the credential another
// isolate left in KV (it mints its own), although the KV entry is fresh.
TEST(RevocationFilter, IsolateCreatedDuringAnOutageDoesNotServeSharedCache) {
  FakeEnv env;
  nlohmann::json j = {{"revocation", {{"enabled", true}, {"poll_interval", "30s"}}}};
  JsonReader r(j, "p");
  auto s = KvStrategy::Create(r);
  ASSERT_TRUE(s.ok()) << s.status();
  const CredentialKey key{1, 0};
  IsolatePorts ports_a = env.Ports(0);
  auto a = (*s)->NewProvider(ports_a);
  RequestOutcome first;
  StartRequest(*a, key, &first, env.clock);
  env.RunAll();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.result.source, Tier::kSts);
  env.RunFor(Duration::Minutes(2));  // KV propagates
  env.feed.reachable = false;
  env.RunFor(Duration::Minutes(1));
  IsolatePorts ports_b = env.Ports(0);
  auto b = (*s)->NewProvider(ports_b);
  RequestOutcome second;
  StartRequest(*b, key, &second, env.clock);
  env.RunAll();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.result.source, Tier::kSts);  // the old code served kKv
  EXPECT_NE(second.result.credentials.id, first.result.credentials.id);
  EXPECT_EQ(env.sts.calls, 2);
  // Its own mint is served from its L1 while within the threshold of its birth.
  RequestOutcome third;
  StartRequest(*b, key, &third, env.clock);
  env.RunAll();
  EXPECT_EQ(third.result.source, Tier::kL1);
  EXPECT_EQ(env.sts.calls, 2);
}

TEST(RevocationFilter, ParsesOptions) {
  nlohmann::json j = {{"revocation",
                       {{"enabled", true},
                        {"poll_interval", "10s"},
                        {"disconnect_threshold", "2m"},
                        {"drop_on_403", true}}}};
  JsonReader r(j, "strategies[0].params");
  RevocationOptions o;
  ASSERT_TRUE(ParseRevocationOptions(r, &o).ok());
  ASSERT_TRUE(r.Finish().ok());
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.poll_interval, Duration::Seconds(10));
  EXPECT_EQ(o.disconnect_threshold, Duration::Minutes(2));
  EXPECT_TRUE(o.drop_on_403);
  nlohmann::json bad = {{"revocation", {{"enabled", true}, {"pol_interval", "10s"}}}};
  JsonReader r2(bad, "strategies[1].params");
  absl::Status s = ParseRevocationOptions(r2, &o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(std::string(s.message()).rfind("strategies[1].params.revocation.pol_interval", 0),
            0u)
      << s.message();
}

// Each isolate polls once per interval: below 1 s a busy fleet floods the event queue.
TEST(RevocationFilter, PollIntervalBelowOneSecondIsRejectedWithPathAndRange) {
  for (const char* v : {"0s", "999ms", "1ns"}) {
    nlohmann::json j = {{"revocation", {{"enabled", true}, {"poll_interval", v}}}};
    JsonReader r(j, "strategies[2].params");
    RevocationOptions o;
    absl::Status s = ParseRevocationOptions(r, &o);
    ASSERT_FALSE(s.ok()) << v;
    EXPECT_EQ(std::string(s.message()).rfind(
                  "strategies[2].params.revocation.poll_interval: must be >= 1s; got ", 0),
              0u)
        << s.message();
  }
  nlohmann::json ok = {{"revocation", {{"enabled", true}, {"poll_interval", "1s"}}}};
  JsonReader r(ok, "p");
  RevocationOptions o;
  EXPECT_TRUE(ParseRevocationOptions(r, &o).ok());
  EXPECT_EQ(o.poll_interval, kMinPollInterval);
}

// End to end through an `l1` provider.
class RevokedL1 : public ::testing::Test {
 protected:
  void SetUp() override {
    nlohmann::json j = {{"revocation", {{"enabled", true}, {"poll_interval", "30s"}}}};
    JsonReader r(j, "p");
    auto s = L1Strategy::Create(r);
    ASSERT_TRUE(s.ok()) << s.status();
    strategy_ = std::move(*s);
    ports_.emplace(env_.Ports());
    provider_ = strategy_->NewProvider(*ports_);
  }
  RequestOutcome One(CredentialKey key) {
    RequestOutcome o;
    StartRequest(*provider_, key, &o, env_.clock);
    env_.RunAll();
    return o;
  }
  FakeEnv env_;
  std::unique_ptr<Strategy> strategy_;
  std::optional<IsolatePorts> ports_;
  std::unique_ptr<CredentialProvider> provider_;
};

TEST_F(RevokedL1, RevokedEntriesAreDroppedAfterTheNextPoll) {
  const CredentialKey a{1, 0}, b{2, 0};
  const Credentials old_a = One(a).result.credentials;
  One(b);
  EXPECT_EQ(env_.feed.polls, 1);
  EXPECT_EQ(env_.sts.calls, 2);
  env_.feed.Publish({1, env_.Now()});
  env_.RunFor(Duration::Seconds(10));
  // Not polled yet: the revoked credential is still served.
  RequestOutcome before = One(a);
  EXPECT_EQ(before.result.source, Tier::kL1);
  EXPECT_EQ(before.result.credentials.id, old_a.id);
  env_.RunFor(Duration::Seconds(25));
  RequestOutcome after = One(a);
  EXPECT_EQ(env_.feed.polls, 2);
  EXPECT_EQ(after.result.source, Tier::kSts);
  EXPECT_NE(after.result.credentials.id, old_a.id);
  EXPECT_EQ(One(a).result.source, Tier::kL1);  // the new credential is admitted
  EXPECT_EQ(One(b).result.source, Tier::kL1);  // other roles untouched
  EXPECT_EQ(env_.sts.calls, 3);
}

TEST_F(RevokedL1, NothingCachedIsServedPastTheDisconnectThreshold) {
  const CredentialKey a{1, 0};
  One(a);
  env_.feed.reachable = false;
  env_.RunFor(Duration::Minutes(4));
  EXPECT_EQ(One(a).result.source, Tier::kL1);
  EXPECT_EQ(env_.sts.calls, 1);
  env_.RunFor(Duration::Minutes(1) + Duration::Seconds(1));
  EXPECT_EQ(One(a).result.source, Tier::kSts);
  EXPECT_EQ(One(a).result.source, Tier::kSts);  // fail closed: every request mints
  EXPECT_EQ(env_.sts.calls, 3);
  env_.feed.reachable = true;
  env_.RunFor(Duration::Seconds(30));
  // Reconnected: the credential minted last (stored in L1 but not served) is admitted again.
  EXPECT_EQ(One(a).result.source, Tier::kL1);
  EXPECT_EQ(env_.sts.calls, 3);
}

}  // namespace
}  // namespace credsim
