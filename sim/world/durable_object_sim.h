// Simulated Cloudflare Durable Objects platform: the adapter of the DurableObjectNamespace /
// DurableObjectStub / DurableObjectContext / DurableStorage ports (strategies/ports.h). The
// object code itself is strategy code, built by a factory (normally
// Strategy::NewDurableObject). Facts and defaults: sources.md §P5 and §P8 "Durable Object".
#ifndef CREDSIM_SIM_WORLD_DURABLE_OBJECT_SIM_H_
#define CREDSIM_SIM_WORLD_DURABLE_OBJECT_SIM_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "sim/engine/distribution.h"
#include "sim/world/durable_object_config.h"
#include "sim/engine/event_queue.h"
#include "sim/engine/random.h"
#include "sim/world/run_metrics.h"
#include "sim/engine/task.h"
#include "sim/engine/time.h"
#include "strategies/ports/ports.h"

namespace credsim {

// Round-trip times between colos, provided by the world (from its regions).
class ColoNetwork {
 public:
  virtual ~ColoNetwork() = default;
  // Round trip between colos `from_colo` and `to_colo` (same colo included).
  virtual Duration Rtt(uint32_t from_colo, uint32_t to_colo) const = 0;
};

// The ports an object sees, as provided in the object's colo. Each function is called at most
// once per object (on first use by the object's code) and must return an adapter that outlives
// the platform.
struct DurableObjectEnv {
  std::function<StsClient&(uint32_t colo)> sts;
  std::function<TokenSigner&(uint32_t colo)> signer;
  std::function<KvNamespace&(uint32_t colo)> kv;
};

// Builds the object code of one instance; called on every (re)construction of an instance.
// Returning nullptr makes every call to the object fail with DoResponse::error.
using DurableObjectFactory =
    std::function<std::unique_ptr<DurableObject>(DurableObjectContext&)>;

// DurableObjectPlatform: every Durable Object of the Worker, and the namespace binding as seen
// from each colo.
//
// Identity and placement:
//  - One object per role: Get(key) from any colo routes to the object of `key.role` (as the
//    deployment addresses "one object per role", sources.md §S5; same as the strategies'
//    FakeDurableObjects). The object is placed when a stub for it is first requested: at the
//    caller's colo (kFirstCaller) or at config.location_colo (kHint). It never moves.
//
// A call (stub.Fetch) — sources.md §P5 "Latency from remote colos":
//  - Costs RTT/2 (network.Rtt(caller colo, object colo), integer halves) to reach the object and
//    the rest of the RTT back. The call runs at the object as its own root (Spawn without the
//    caller's cancellation flag): once sent, a cancelled caller stops waiting but the object
//    finishes the work. The caller waits on a SharedResult in its own frame, so no allocation.
//  - On arrival, admission: rejected as overloaded (DoResponse{overloaded, status 503}, never
//    retried by the platform) when config.max_queue admitted requests already wait for the
//    input gate, or when the per-object token bucket (rate soft_limit_rps, burst one second's
//    worth, at least 1) is empty. Rejected calls never reach the object code.
//
// Single-threaded object and its input gate (sources.md §P5 Execution model, Input gates):
//  - Each object has one FIFO DurableObjectInputGate. An admitted call first holds the gate for
//    a service_time sample (the CPU of delivering the event), then runs the object's Fetch with
//    the gate open. Storage Get/Put hold the gate for a storage_latency sample (the input gate
//    is closed during storage operations). Awaiting anything else (STS, KV, signer) leaves the
//    gate open, so other calls interleave. Hence N simultaneous calls to a trivial object finish
//    after 1, 2, ..., N service times; calls that wait on STS overlap.
//  - An exception escaping the object's Fetch becomes DoResponse{error, status 503}.
//
// Memory and storage (sources.md §P5 Lifecycle):
//  - The in-memory instance is built by the factory when an event (call or alarm) is delivered
//    and none exists. When an object has had nothing in flight for evict_after_idle, its
//    instance is dropped (one pending timer per object, rechecking the last-activity time;
//    nothing is rescheduled per call). Storage and the alarm survive; the next event builds a
//    new instance (the constructor reruns).
//  - EvictAll(now) models a deploy / runtime restart: every instance is dropped at once. Events
//    already running keep the old instance until they finish (grace period); new events build a
//    new one, so two instances may briefly coexist (sources.md §P5 Global-uniqueness caveat).
//
// Alarms (sources.md §P5 Alarms):
//  - SetAlarm(t) replaces the object's alarm (one per object); a time in the past fires now.
//    When it fires, GetAlarm() is cleared and Alarm() runs as its own root, through the gate like
//    a call (service_time), building an instance if needed. If Alarm() returns false or throws,
//    the same invocation is retried after initial, initial*factor, ... (max_retries times; each
//    delay lengthened by a uniform fraction in [0, alarm_retry.jitter) of itself, drawn from the
//    platform's Rng only when jitter > 0); after the last failed retry the platform gives up
//    (do_alarm_failures). With alarm_retry.set_alarm_cancels_retry (default, as workerd does:
//    docs/platform-conformance.md#do-alarms) a failed invocation during which SetAlarm() was
//    called (by the handler or a call interleaved with it) is not retried: the alarm set runs
//    as a fresh invocation (a new series), and nothing is counted as given up; with false it is
//    retried independently of that alarm. A scheduled alarm that fires starts a new series and
//    drops a pending retry. Invocations of one object never overlap: one that comes due while
//    another runs starts when it finishes.
//
// Metrics (RunMetrics; counted only inside the measurement window):
//  - do_requests: admitted calls and alarm invocations (retries included); do_overloaded:
//    rejected calls; do_alarm_invocations; do_alarm_failures (series given up);
//    do_storage_reads / do_storage_writes (storage ops and SetAlarm, billed as a row write);
//    do_evictions: instances dropped (idle or EvictAll); do_active_seconds: time instances were
//    in memory, clipped to the window, added when an instance is dropped and by FinishRun.
//  - Exposure: each stored valid credential is at rest from its Put until its expiration or its
//    overwrite (added then, or by FinishRun up to the end). An object counts once in
//    places_holding_credentials, the first time such an interval overlapping the window is added.
//
// Lifetime: the executor, queue, network, env adapters and metrics must outlive the platform.
// The platform must outlive every event it scheduled: destroy it only after the simulation
// stopped running the queue (roots suspended at that point are leaked, never resumed).
// Memory is O(objects + stubs + stored keys); calls and storage hits do not allocate.
class DurableObjectPlatform {
 public:
  DurableObjectPlatform(const DurableObjectConfig& config, Executor& executor, EventQueue& queue,
                        const ColoNetwork& network, DurableObjectEnv env,
                        DurableObjectFactory factory, Rng rng, RunMetrics& metrics);
  ~DurableObjectPlatform();
  DurableObjectPlatform(const DurableObjectPlatform&) = delete;
  DurableObjectPlatform& operator=(const DurableObjectPlatform&) = delete;

  // The namespace binding as seen from `caller_colo` (stable reference, created on first use).
  DurableObjectNamespace& Namespace(uint32_t caller_colo);

  // Deploy / runtime restart: drops every in-memory instance (storage and alarms survive).
  void EvictAll(Time now);
  // Adds the active time of live instances and the exposure of stored credentials up to `end`.
  // Idempotent: a second call adds only what happened after the first.
  void FinishRun(Time end);

  // Introspection (tests and reports).
  size_t object_count() const { return objects_in_order_.size(); }
  // The colo of `key`'s object, if it was placed.
  std::optional<uint32_t> ObjectColo(CredentialKey key) const;
  // True if `key`'s object currently has an in-memory instance.
  bool InMemory(CredentialKey key) const;
  // Instances built by the factory so far (all objects).
  uint64_t instances_created() const { return instances_created_; }

 private:
  class Object;
  class Storage;
  class Context;
  class Stub;
  class NamespaceImpl;

  Object& ObjectFor(CredentialKey key, uint32_t caller_colo);
  const Object* FindObject(CredentialKey key) const;
  Duration Sample(const Distribution& d);
  bool Measuring() const;

  Task<void> RunFetch(Object* o, DoRequest request, Duration forward,
                      SharedResult<DoResponse>* out);
  Task<void> RunAlarm(Object* o, int attempt);
  void StartAlarm(Object* o, int attempt);
  void OnAlarmTimer(Object* o);
  void OnRetryTimer(Object* o);
  void SetAlarm(Object* o, Time at);

  // Returns the live instance, building one if needed (nullptr if the factory gives none).
  std::shared_ptr<DurableObject> EnsureInstance(Object* o);
  void BeginWork(Object* o);
  void EndWork(Object* o);
  void OnIdleTimer(Object* o);
  void DropInstance(Object* o, Time now);
  void AddActive(Time from, Time to);
  void AddExposure(Object* o, Time from, Time to);

  Task<std::optional<Credentials>> StorageGet(Object* o, CredentialKey key);
  Task<void> StoragePut(Object* o, CredentialKey key, Credentials value);

  DurableObjectConfig config_;
  Executor& executor_;
  EventQueue& queue_;
  const ColoNetwork& network_;
  DurableObjectEnv env_;
  DurableObjectFactory factory_;
  Rng rng_;
  RunMetrics& metrics_;

  absl::flat_hash_map<uint32_t, Object*> objects_;        // by role; lookups only
  std::vector<std::unique_ptr<Object>> objects_in_order_;  // creation order (iteration)
  absl::flat_hash_map<uint32_t, std::unique_ptr<NamespaceImpl>> namespaces_;  // by colo
  uint64_t instances_created_ = 0;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_DURABLE_OBJECT_SIM_H_
