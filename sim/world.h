// World: one simulation run of one strategy over a WorldConfig.
//
// It materializes colos (each with its Cache API, KV view, STS client and JWT signer as
// seen from there), the Durable Object platform, the servers that hold at most one live
// isolate of the Worker each, and the traffic generator; then it drives every arrival
// through the strategy's per-isolate CredentialProvider and records the outcome.
//
// Request path: arrival → server's isolate (created on a cold start; requests arriving while
// it starts wait for it) → GetCredentials() → the credential is "used": AWS rejects expired
// (403, counted as expired_credential_uses) and revoked (403) credentials → outcome. A
// request still waiting after `workers.edge_timeout` is answered 503 and its coroutine
// chain is cancelled at its next resumption. A RuntimeCancelled from the strategy is a 500.
// Auth latency is the time spent in GetCredentials (cold-start wait excluded).
//
// Isolate lifetimes depend only on arrivals and per-server RNG streams (idle time is
// measured from the last arrival), so every strategy sees the same cold starts: comparisons
// are paired. An evicted isolate stops receiving requests at once and is destroyed when its
// in-flight requests finish (eviction happens after in-flight events resolve).
//
// Memory: O(colos × servers + roles + in-flight requests); requests use pooled slots.
//
// Failing soft: every coroutine root of the run (requests, Durable Object calls and alarms,
// strategy background work) is owned by the world's executor. The first exception escaping
// a root stops the run: Run() returns early and failed()/failure_message() report it (the
// metrics are then meaningless). The destructor destroys the roots still suspended (pending
// timers, traffic, Durable Object fetches cut off at the end) before the isolates, the
// strategy's objects and the adapters they point to, so nothing leaks and nothing resumes.
#ifndef CREDSIM_SIM_WORLD_H_
#define CREDSIM_SIM_WORLD_H_

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "sim/colos.h"
#include "sim/event_queue.h"
#include "sim/executor.h"
#include "sim/run_metrics.h"
#include "sim/traffic.h"
#include "sim/world_config.h"
#include "strategies/strategy.h"

namespace credsim {

class World : public ArrivalSink {
 public:
  World(const WorldConfig& config, std::shared_ptr<const Trace> trace, Strategy& strategy);
  ~World() override;
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Runs the whole scenario (warm-up included) and returns the measurements. If a coroutine
  // root failed, the run stopped at that event: check failed() before using the metrics.
  const RunMetrics& Run();
  bool failed() const { return executor_.failed(); }
  // what() of the first exception that escaped a coroutine root ("" if none).
  const std::string& failure_message() const { return executor_.failure_message(); }

  // Introspection for tests.
  size_t live_isolates() const;
  uint64_t isolates_created() const { return isolates_created_; }
  EventQueue& queue() { return queue_; }
  SimExecutor& executor() { return executor_; }

  void OnArrival(const Arrival& a) override;

 private:
  struct Colo;
  struct Isolate;
  struct RequestSlot;
  class Runtime;
  class Network;

  Isolate* IsolateFor(const Arrival& a);
  void Detach(Isolate* iso);
  void MaybeDestroy(Isolate* iso);
  void RestartFleet();
  Task<void> Serve(RequestSlot* s);
  void OnEdgeTimeout(RequestSlot* s);
  void Record(RequestSlot* s, int status, Tier tier, Duration auth_latency);
  void Release(RequestSlot* s);
  void FinishAccounting();

  const WorldConfig& config_;
  std::shared_ptr<const Trace> trace_;
  Strategy& strategy_;
  EventQueue queue_;
  SimExecutor executor_;
  RunMetrics metrics_;
  ColoSet colos_;
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<Network> network_;
  std::unique_ptr<class StsService> sts_;
  std::unique_ptr<class KvStore> kv_store_;
  std::unique_ptr<class RevocationFeedSim> feed_;
  std::unique_ptr<class RevocationAuthority> authority_;
  std::vector<std::unique_ptr<Colo>> colo_state_;
  std::unique_ptr<class DurableObjectPlatform> durable_objects_;
  std::unique_ptr<TrafficGenerator> traffic_;
  std::deque<RequestSlot> slots_;
  RequestSlot* free_slots_ = nullptr;
  uint64_t isolates_created_ = 0;
  size_t in_flight_ = 0;
  Time end_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_H_
