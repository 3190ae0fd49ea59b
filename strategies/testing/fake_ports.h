// Test-only fakes of every port in strategies/ports.h, plus a FakeEnv that bundles them over a
// deterministic EventQueue + SimExecutor, and helpers that run requests against a provider.
//
// All fakes are deterministic: latencies are fixed (configurable per fake, some with a
// per-call script), ids are sequential, and nothing iterates a hash map to produce results.
// Configuration is done through public fields (set them before running the queue); the
// observation counters are public fields too. These fakes are for unit tests only; the
// simulation uses its own adapters.
//
// Typical use:
//   FakeEnv env;
//   env.sts.latency = Duration::Millis(200);
//   IsolatePorts ports = env.Ports();            // colo 0
//   auto provider = strategy->NewProvider(ports);
//   std::vector<RequestOutcome> out(80);
//   for (auto& o : out) StartRequest(*provider, CredentialKey{1, 0}, &o, env.clock);
//   env.queue.RunAll();
//   EXPECT_EQ(env.sts.calls, 80);
#ifndef CREDSIM_STRATEGIES_TESTING_FAKE_PORTS_H_
#define CREDSIM_STRATEGIES_TESTING_FAKE_PORTS_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "sim/engine/event_queue.h"
#include "sim/engine/executor.h"
#include "sim/engine/task.h"
#include "sim/engine/time.h"
#include "strategies/ports/ports.h"
#include "strategies/ports/strategy.h"

namespace credsim {

// IsolateRuntime with a settable flag (true = Workers: cross-request waiters are cancelled).
class FakeRuntime final : public IsolateRuntime {
 public:
  bool cancel_cross_request_waits = true;
  bool cross_request_waits_cancelled() const override { return cancel_cross_request_waits; }
};

// TokenSigner that takes `latency` (no suspension when zero) and counts calls.
class FakeSigner final : public TokenSigner {
 public:
  explicit FakeSigner(Clock& clock) : clock_(clock) {}
  Task<void> SignJwt(CredentialKey key) override;

  Duration latency;  // default 0: signing does not suspend
  int calls = 0;

 private:
  Clock& clock_;
};

// StsClient returning fresh credentials after a latency, or a configured error.
// Call i (0-based) uses next_errors/next_latencies front entries when present (consumed at call
// start), else `error` / `latency`. Successful credentials get sequential ids (1, 2, ...),
// issued_at = the response instant and expiration = issued_at + lifetime.
class FakeSts final : public StsClient {
 public:
  explicit FakeSts(Clock& clock) : clock_(clock) {}
  Task<StsResult> AssumeRoleWithWebIdentity(CredentialKey key) override;

  // Configuration.
  Duration latency = Duration::Millis(100);
  Duration lifetime = Duration::Hours(1);
  StsError error = StsError::kNone;
  std::deque<StsError> next_errors;
  std::deque<Duration> next_latencies;

  // Observations.
  int calls = 0;          // started calls
  int completed = 0;      // calls that returned (success or error)
  int successes = 0;
  int in_flight = 0;
  int max_in_flight = 0;
  Credentials last_issued;  // most recent successful issuance
  std::vector<Time> call_times;  // start instant of every call

 private:
  Clock& clock_;
  uint64_t next_id_ = 0;
};

// A colo's Cache API. Entries expire `ttl` after a put lands. Share one instance between
// providers to model isolates of the same colo; use different instances for different colos.
class FakeColoCache final : public ColoCache {
 public:
  explicit FakeColoCache(Clock& clock) : clock_(clock) {}
  bool enabled() const override { return is_enabled; }
  Task<CacheMatch> Match(CredentialKey key) override;
  Task<void> Put(CredentialKey key, Credentials value, Duration ttl) override;

  // Test setup: stores an entry now, without latency or counting.
  void Insert(CredentialKey key, const Credentials& value, Duration ttl);
  // The unexpired entry for `key`, if any (no latency, not counted).
  std::optional<Credentials> Peek(CredentialKey key) const;

  // Configuration.
  bool is_enabled = true;      // false models *.workers.dev: match misses, put stores nothing
  bool read_error = false;     // every Match reports an error
  bool drop_puts = false;      // put resolves but stores nothing (eviction / silent failure)
  Duration match_latency = Duration::Millis(2);
  Duration put_latency = Duration::Millis(2);

  // Observations.
  int matches = 0;
  int hits = 0;
  int puts = 0;                // put calls (including dropped ones)
  Duration last_put_ttl;

 private:
  struct Entry {
    Credentials value;
    Time expires_at;
  };
  Clock& clock_;
  absl::flat_hash_map<CredentialKey, Entry> entries_;
};

// Global Workers KV store with per-colo visibility. A write made by colo c is visible to c at
// once and to other colos `propagation` later; until then they read the previous visible
// version (or not-found). Entries expire `expiration_ttl` after the write. Writes to one key
// closer than `min_write_interval` to the previous accepted write return kRateLimited (429);
// expiration_ttl below `min_expiration_ttl` returns kInvalidTtl.
class FakeKvStore {
 public:
  explicit FakeKvStore(Clock& clock) : clock_(clock) {}

  // What `colo` reads for `key` now (no latency, not counted).
  KvRead Read(int colo, CredentialKey key) const;
  // Test setup: a write from `colo` now, bypassing rate limits, latency and counters.
  void Write(int colo, CredentialKey key, const Credentials& value, Duration expiration_ttl);

  // Used by FakeKvView.
  Task<KvRead> Get(int colo, CredentialKey key, Duration cache_ttl);
  Task<KvStatus> Put(int colo, CredentialKey key, Credentials value,
                     Duration expiration_ttl);

  // Configuration.
  Duration propagation = Duration::Seconds(60);   // sources.md: up to ~60 s
  Duration get_latency = Duration::Millis(10);
  Duration put_latency = Duration::Millis(30);
  Duration min_write_interval = Duration::Seconds(1);   // sources.md: 1 write/s per key
  Duration min_expiration_ttl = Duration::Seconds(60);  // sources.md: expirationTtl >= 60 s
  bool get_error = false;   // every Get returns kError
  bool put_error = false;   // every Put returns kError

  // Observations.
  int gets = 0;
  int puts = 0;            // put calls
  int writes = 0;          // accepted puts
  int rate_limited = 0;    // puts answered with kRateLimited
  Duration last_cache_ttl;
  Duration last_expiration_ttl;

 private:
  struct Version {
    Credentials value;
    Time written_at;
    Time expires_at;
    int colo;
  };
  struct Slot {
    std::vector<Version> versions;  // oldest first
    std::optional<Time> last_write;
  };
  void Append(int colo, CredentialKey key, const Credentials& value, Duration ttl);

  Clock& clock_;
  absl::flat_hash_map<CredentialKey, Slot> slots_;
};

// One colo's view of a FakeKvStore (the KvNamespace port a provider gets).
class FakeKvView final : public KvNamespace {
 public:
  FakeKvView(FakeKvStore& store, int colo) : store_(store), colo_(colo) {}
  Task<KvRead> Get(CredentialKey key, Duration cache_ttl) override {
    return store_.Get(colo_, key, cache_ttl);
  }
  Task<KvStatus> Put(CredentialKey key, Credentials value,
                     Duration expiration_ttl) override {
    return store_.Put(colo_, key, value, expiration_ttl);
  }
  int colo() const { return colo_; }

 private:
  FakeKvStore& store_;
  int colo_;
};

// Revocation feed: Publish() appends events; Poll(cursor) returns the events from `cursor` on
// and the new cursor (the event count). When `reachable` is false, Poll returns ok = false.
// The returned span stays valid until the next Publish().
class FakeRevocationFeed final : public RevocationFeed {
 public:
  explicit FakeRevocationFeed(Clock& clock) : clock_(clock) {}
  Task<RevocationPoll> Poll(uint64_t cursor) override;
  void Publish(const RevocationEvent& e) { events_.push_back(e); }

  bool reachable = true;
  Duration latency = Duration::Millis(5);
  int polls = 0;

 private:
  Clock& clock_;
  std::vector<RevocationEvent> events_;
};

// Durable storage of one object: a map with a fixed latency per operation.
class FakeDurableStorage final : public DurableStorage {
 public:
  explicit FakeDurableStorage(Clock& clock) : clock_(clock) {}
  Task<std::optional<Credentials>> Get(CredentialKey key) override;
  Task<void> Put(CredentialKey key, Credentials value) override;
  std::optional<Credentials> Peek(CredentialKey key) const;

  Duration latency = Duration::Millis(1);
  int gets = 0;
  int puts = 0;

 private:
  Clock& clock_;
  absl::flat_hash_map<CredentialKey, Credentials> values_;
};

class FakeDurableObjectHost;

// What one object instance sees. SetAlarm asks the host to schedule the alarm.
class FakeDurableObjectContext final : public DurableObjectContext {
 public:
  FakeDurableObjectContext(FakeDurableObjectHost& host, CredentialKey key);
  Clock& clock() override;
  DurableStorage& storage() override { return storage_; }
  StsClient& sts() override;
  TokenSigner& signer() override;
  KvNamespace& kv() override;
  void SetAlarm(Time at) override;
  std::optional<Time> GetAlarm() const override { return alarm_; }

  FakeDurableStorage& fake_storage() { return storage_; }
  int alarms_set = 0;

 private:
  friend class FakeDurableObjectHost;
  FakeDurableObjectHost& host_;
  CredentialKey key_;
  FakeDurableStorage storage_;
  std::optional<Time> alarm_;
  uint64_t alarm_seq_ = 0;
};

using DurableObjectFactory =
    std::function<std::unique_ptr<DurableObject>(DurableObjectContext&)>;

// The global home of Durable Objects: one object per CredentialKey (the key passed to
// DurableObjectNamespace::Get), built lazily by `factory` (e.g. a lambda calling
// Strategy::NewDurableObject). Object work runs as its own root task (Spawn), so a cancelled
// caller does not cancel it. Alarms fire automatically at their time when
// `auto_fire_alarms` is set, retried on failure (false or exception) after 2, 4, 8, ... s up to
// `alarm_max_retries` times (sources.md). Evict() drops an instance's memory (the next call
// builds a new one over the same storage); evicted instances are kept alive until the host
// is destroyed so that their in-flight coroutines stay valid. Keep the host alive while the
// event queue still runs its work.
class FakeDurableObjectHost {
 public:
  // `kv` is what objects see as ctx.kv() (typically a FakeKvView of the object's colo).
  FakeDurableObjectHost(Clock& clock, StsClient& sts, TokenSigner& signer, KvNamespace& kv)
      : clock_(clock), sts_(sts), signer_(signer), kv_(kv) {}
  ~FakeDurableObjectHost();

  DurableObjectFactory factory;
  bool auto_fire_alarms = true;
  int alarm_max_retries = 6;
  Duration alarm_first_backoff = Duration::Seconds(2);

  // Runs the object's fetch as its own root task; an escaping exception becomes error = true.
  Task<DoResponse> RunFetch(DoRequest request);
  // Runs the object's alarm handler now (clearing its alarm); false if it failed or threw.
  Task<bool> RunAlarm(CredentialKey key);
  void Evict(CredentialKey key);

  FakeDurableObjectContext& context(CredentialKey key);
  DurableObject& instance(CredentialKey key);  // builds it if needed
  std::optional<Time> alarm(CredentialKey key) { return context(key).GetAlarm(); }

  int fetches = 0;
  int alarms_run = 0;
  int instances_created = 0;

  // Internal (used by the context and stubs).
  Clock& clock() { return clock_; }
  StsClient& sts() { return sts_; }
  TokenSigner& signer() { return signer_; }
  KvNamespace& kv() { return kv_; }
  void ScheduleAlarm(FakeDurableObjectContext& ctx);

 private:
  struct Slot {
    std::unique_ptr<FakeDurableObjectContext> ctx;
    std::unique_ptr<DurableObject> object;
  };
  Slot& slot(CredentialKey key);
  Task<void> FetchRoot(CredentialKey key, DoRequest request, SharedResult<DoResponse>* out);
  Task<void> AlarmTimer(CredentialKey key, uint64_t seq, Time at);

  Clock& clock_;
  StsClient& sts_;
  TokenSigner& signer_;
  KvNamespace& kv_;
  absl::flat_hash_map<CredentialKey, std::unique_ptr<Slot>> slots_;
  std::vector<std::unique_ptr<DurableObject>> evicted_;
};

// One colo's view of the Durable Objects: stubs add `rtt` (half each way) and can inject
// platform errors. `overloaded` / `error` answer without reaching the object.
class FakeDurableObjectNamespace final : public DurableObjectNamespace {
 public:
  FakeDurableObjectNamespace(FakeDurableObjectHost& host, Clock& clock)
      : host_(host), clock_(clock) {}
  DurableObjectStub& Get(CredentialKey key) override;

  Duration rtt = Duration::Millis(40);
  bool overloaded = false;
  bool error = false;
  int calls = 0;

 private:
  class Stub final : public DurableObjectStub {
   public:
    explicit Stub(FakeDurableObjectNamespace& ns) : ns_(ns) {}
    Task<DoResponse> Fetch(DoRequest request) override;

   private:
    FakeDurableObjectNamespace& ns_;
  };
  FakeDurableObjectHost& host_;
  Clock& clock_;
  absl::flat_hash_map<CredentialKey, std::unique_ptr<Stub>> stubs_;
};

// The per-colo ports of FakeEnv.
struct FakeColo {
  FakeColo(int id, Clock& clock, FakeKvStore& kv_store, FakeDurableObjectHost& host)
      : cache(clock), kv(kv_store, id), durable_objects(host, clock) {}
  FakeColoCache cache;
  FakeKvView kv;
  FakeDurableObjectNamespace durable_objects;
};

// Everything a provider test needs: one event queue and clock, one STS, signer and runtime
// shared by all isolates, a global KV store and Durable Object host, a revocation feed, and
// per-colo Cache API / KV view / DO namespace (colo(i), created on first use).
class FakeEnv {
 public:
  FakeEnv();
  // Destroys the coroutines still suspended before the fakes they point to (members are
  // destroyed in reverse order, the clock last).
  ~FakeEnv() { clock.Shutdown(); }
  FakeEnv(const FakeEnv&) = delete;
  FakeEnv& operator=(const FakeEnv&) = delete;

  // Ports for one isolate in colo `colo`. Two providers built from Ports(0) model two isolates
  // of one colo (shared Cache API); Ports(1) is another colo (own cache, own KV view).
  // `feed` is &this->feed unless `with_feed` is false.
  IsolatePorts Ports(int colo = 0, bool with_feed = true);
  FakeColo& colo(int i);

  void RunFor(Duration d) { queue.RunUntil(queue.now() + d); }
  void RunUntil(Time t) { queue.RunUntil(t); }
  void RunAll() { queue.RunAll(); }
  Time Now() const { return queue.now(); }

  EventQueue queue;
  SimExecutor clock{queue};
  FakeRuntime runtime;
  FakeSigner signer{clock};
  FakeSts sts{clock};
  FakeKvStore kv_store{clock};
  FakeKvView do_kv{kv_store, 0};  // what Durable Objects see as ctx.kv() (colo 0)
  FakeDurableObjectHost do_host{clock, sts, signer, do_kv};
  FakeRevocationFeed feed{clock};

 private:
  std::vector<std::unique_ptr<FakeColo>> colos_;
};

// The outcome of one request run by StartRequest.
struct RequestOutcome {
  enum class Kind { kPending, kResult, kRuntimeCancelled, kRequestCancelled, kOtherException };
  Kind kind = Kind::kPending;
  AuthResult result;
  Time started;
  Time finished;
  // Set to true to cancel the request: its chain throws RequestCancelled at the next resume.
  bool cancel = false;

  bool ok() const { return kind == Kind::kResult && result.status == FailureStatus::kOk; }
};

// Starts provider.GetCredentials({key}) as a root request whose cancellation flag is
// `out->cancel`. `out` must stay put until the request finishes (size vectors up front).
void StartRequest(CredentialProvider& provider, CredentialKey key, RequestOutcome* out,
                  Clock& clock);

// Tallies of a batch of outcomes.
struct OutcomeCounts {
  int pending = 0;
  int ok = 0;
  int failed = 0;            // returned a non-200 status
  int runtime_cancelled = 0;
  int request_cancelled = 0;
  int other_exception = 0;
  int by_source[kTierCount] = {};  // successful results by Tier
};
OutcomeCounts Count(const std::vector<RequestOutcome>& outcomes);

}  // namespace credsim

#endif  // CREDSIM_STRATEGIES_TESTING_FAKE_PORTS_H_
