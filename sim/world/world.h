// World: one simulation run of one strategy over a WorldConfig.
//
// It materializes colos (each with its Cache API, KV view, STS client and the CPU-time source
// of its JWT signatures as seen from there), the Durable Object platform, the servers that
// hold at most one live isolate of the Worker each, and the traffic generator; then it drives
// every arrival through the strategy's per-isolate CredentialProvider and records the outcome.
//
// Request path: arrival → server's isolate (created on a cold start; requests arriving while
// it starts wait for it) → GetCredentials() → the credential is "used": AwsCredentialCheck
// plays AWS, which rejects expired and revoked credentials (403; a revoked one is also
// reported to the provider with OnCredentialRejected) → outcome. A request still waiting
// after `workers.edge_timeout` is answered 503 and its coroutine chain is cancelled at its
// next resumption. A RuntimeCancelled from the strategy is a 500. Auth latency is the time
// spent in GetCredentials (cold-start wait excluded). Three pieces, one job each: Serve()
// runs the request, AwsCredentialCheck decides what AWS answers, and RequestRecorder makes
// every write of the world's own RunMetrics fields (the adapters write theirs).
//
// Isolates: each has its own IsolatePorts (built at the cold start, no per-request
// allocation) whose signer is a SerialTokenSigner: the isolate is single-threaded, so its
// concurrent JWT signatures queue behind each other (N at once cost N x the CPU time); the
// CPU times come from the colo's signer stream. Each Durable Object likewise gets its own
// serial signer (on its first signature).
//
// Isolate lifetimes: a cold start draws the start-up time and the death time (max_lifetime,
// random_evictions_per_hour) from the server's RNG stream; every arrival then draws a fresh
// idle timeout from the same stream (one draw per arrival, also when idle eviction is off)
// and the isolate is evicted if no request arrives within it ("idle_eviction": null: never).
// Lifetimes therefore depend only on arrivals and per-server streams, so every strategy sees
// the same cold starts: comparisons are paired. An evicted isolate stops receiving requests
// at once and is destroyed when its in-flight requests finish (eviction happens after
// in-flight events resolve).
//
// Deployment prewarm (strategies with prewarm_durable_objects()): at t = 0, before any
// arrival, the world calls op 0 for every (role, session) the traffic can produce (roles x
// traffic.sessions_per_role, at most kMaxPrewarmKeys) from the deploy colo
// (workers.deploy_colo, default the busiest colo), so first-caller placement puts every
// object there. Each object receives at most kPrewarmCallsPerObject of these calls at a time.
//
// Configuration errors found here (an unknown workers.deploy_colo, too many prewarm keys)
// make Run() fail at once: failed() is true and failure_message() names the JSON path.
//
// Measurement: RunMetrics gets one breakdown row per colo and per role (RoleCount) and the
// results windows of RunWindowSpecs(config), set up before the run; they draw nothing and
// change no event. A request counts in the row of the colo that served it (after failovers)
// and of its role; an STS attempt in the row of its caller's colo (an isolate's colo, or the
// colo hosting the Durable Object: both share the colo's StsClientSim) and of its key's role.
//
// Memory: O(colos × servers + roles + windows + in-flight requests); requests use pooled slots.
//
// Failing soft: every coroutine root of the run (requests, Durable Object calls and alarms,
// strategy background work) is owned by the world's executor. The first exception escaping
// a root stops the run: Run() returns early and failed()/failure_message() report it (the
// metrics are then meaningless). The destructor destroys the roots still suspended (pending
// timers, traffic, Durable Object fetches cut off at the end) before the isolates, the
// strategy's objects and the adapters they point to, so nothing leaks and nothing resumes.
//
// Initial state (WorldConfig::initial_state): kCold starts every cache empty. kSteady lets the
// first isolate of each server and the Durable Objects of each colo stand for the ones that
// ran before t = 0: the first credential each obtains for a key comes back-dated by a random
// age (StsService::BackDated), so renewals are stationary from the start
// (docs/validation.md#steady-state).
#ifndef CREDSIM_SIM_WORLD_WORLD_H_
#define CREDSIM_SIM_WORLD_WORLD_H_

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "sim/engine/event_queue.h"
#include "sim/engine/executor.h"
#include "sim/world/aws_credential_check.h"
#include "sim/world/colos.h"
#include "sim/world/request_recorder.h"
#include "sim/world/run_metrics.h"
#include "sim/world/run_progress.h"
#include "sim/world/token_signer_sim.h"
#include "sim/world/traffic.h"
#include "sim/world/world_config.h"
#include "strategies/ports/strategy.h"

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
  // The colo the deployment prewarm calls from (index into the ColoSet).
  uint32_t deploy_colo() const { return deploy_colo_; }
  const class DurableObjectPlatform& durable_objects() const { return *durable_objects_; }
  SimExecutor& executor() { return executor_; }

  // Optional: where Run() reports how far it has got (sim/world/run_progress.h). Not owned;
  // must outlive Run().
  void set_progress(RunProgress* progress) { progress_ = progress; }

  void OnArrival(const Arrival& a) override;

 private:
  struct Colo;
  struct Isolate;
  struct RequestSlot;
  class Runtime;
  class Network;
  class SteadyStartSts;

  Isolate* IsolateFor(const Arrival& a);
  void ArmIdle(Isolate* iso, Time now, double u);
  // Works out the current idle period's deadline if not yet known; false if the period ends
  // past the run (then no idle eviction is armed).
  bool ResolveIdle(Isolate* iso);
  void ScheduleIdleCheck(Isolate* iso);
  void OnIdleCheck(Isolate* iso);
  void Detach(Isolate* iso);
  void MaybeDestroy(Isolate* iso);
  void RestartFleet();
  // Runs one request: waits for its isolate, asks the provider, lets AWS check what it got.
  Task<void> Serve(RequestSlot* s);
  // AWS's answer to a request (arrived at `start`, served by `iso`) that obtained
  // credentials (200 or 403), recorded.
  int UseCredentials(Time start, Isolate* iso, CredentialKey key, const AuthResult& r);
  void ArmEdgeTimeout(RequestSlot* s);
  void ScheduleEdgeCheck();
  void OnEdgeCheck();
  void OnEdgeTimeout(RequestSlot* s);
  void Record(RequestSlot* s, int status, Tier tier, Duration auth_latency);
  void Release(RequestSlot* s);
  void FinishAccounting();
  void Fail(const std::string& message);  // records a failure of the run (before it starts)

  const WorldConfig& config_;
  std::shared_ptr<const Trace> trace_;
  Strategy& strategy_;
  EventQueue queue_;
  SimExecutor executor_;
  RunMetrics metrics_;
  RequestRecorder recorder_;  // writes metrics_ for requests and isolate creations
  ColoSet colos_;
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<Network> network_;
  std::unique_ptr<class StsService> sts_;
  std::unique_ptr<class KvStore> kv_store_;
  std::unique_ptr<class RevocationFeedSim> feed_;
  AwsCredentialCheck aws_;
  std::vector<std::unique_ptr<Colo>> colo_state_;
  RevocationFeed* feed_port_ = nullptr;  // what isolates see (null: no revocation feed)
  // One serial signer per Durable Object (stable addresses; outlives the platform).
  std::deque<SerialTokenSigner> object_signers_;
  std::unique_ptr<class DurableObjectPlatform> durable_objects_;
  std::unique_ptr<TrafficGenerator> traffic_;
  // Edge timeouts of the requests on the general path, in arrival order (ArmEdgeTimeout).
  struct EdgeDeadline {
    Time at;
    uint64_t seq;
    RequestSlot* slot;
    uint64_t serial;  // the request's serial: a reused slot is another request
    bool live() const;  // the request is still unanswered
  };
  std::deque<EdgeDeadline> edge_deadlines_;
  TimerId edge_check_;  // pending at the front entry's key, if any
  uint64_t request_serial_ = 0;
  std::deque<RequestSlot> slots_;
  RequestSlot* free_slots_ = nullptr;
  uint64_t isolates_created_ = 0;
  uint32_t deploy_colo_ = 0;
  std::string config_error_;  // non-empty: Run() fails at once with this message
  size_t in_flight_ = 0;
  uint64_t arrivals_ = 0;
  RunProgress* progress_ = nullptr;
  Time end_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_WORLD_H_
