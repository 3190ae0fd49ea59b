// RequestRecorder: the only writer of the world's own RunMetrics fields (the adapters write
// theirs directly). The world reports what happened to a request or an isolate; the recorder
// decides whether it is measured and which counters, histograms and series it moves.
//
// Contract:
//  * A request is measured iff it *arrived* inside the measurement window
//    (RunMetrics::Measuring(arrival)), whenever it finishes; an isolate creation iff it
//    happened inside the window.
//  * Outcome() is called exactly once per request (the world guarantees it): it counts the
//    request, its Worker CPU, whether it was cold, its auth latency (negative clamped to 0),
//    and either the tier that served it (status 200) or the error status, with the request,
//    error and per-status error series bucketed by arrival time; it also counts the request
//    (and a failure) in the breakdown rows of its colo and role (RunMetrics::by_colo,
//    by_role; an index past their size is skipped) and in every results window containing
//    its arrival (RunMetrics::windows; with no windows this costs one branch).
//  * The other calls count one event each; none of them changes the request's status.
//  * No allocation except the series' amortised growth to a new interval; no RNG draws.
//    Nothing here changes a simulated event: the breakdowns and windows are measurement only.
#ifndef CREDSIM_SIM_WORLD_REQUEST_RECORDER_H_
#define CREDSIM_SIM_WORLD_REQUEST_RECORDER_H_

#include <cstdint>

#include "sim/engine/time.h"
#include "sim/world/aws_credential_check.h"
#include "sim/world/run_metrics.h"
#include "strategies/ports/strategy.h"

namespace credsim {

class RequestRecorder {
 public:
  // `cpu_per_request` is billed per measured request, `cold_start_cpu` per measured isolate
  // creation. `metrics` must outlive the recorder.
  RequestRecorder(RunMetrics& metrics, Duration cpu_per_request, Duration cold_start_cpu)
      : m_(metrics), cpu_per_request_(cpu_per_request), cold_start_cpu_(cold_start_cpu) {}

  void IsolateCreated(Time now);
  // AWS rejected the credentials of a request (kExpired or kRevoked; kAccepted is a no-op).
  void CredentialsRejected(Time arrival, AwsVerdict verdict);
  // The runtime cancelled a request waiting on another request's I/O (it answers 500).
  void CancelledByRuntime(Time arrival);
  // The edge answered 503 because the request was still waiting after the edge timeout.
  void EdgeTimeout(Time arrival);
  // A request of `role` served by `colo` (Arrival::colo, Arrival::role).
  void Outcome(Time arrival, uint32_t colo, uint32_t role, bool cold, int status, Tier tier,
               Duration auth_latency);

 private:
  RunMetrics& m_;
  Duration cpu_per_request_;
  Duration cold_start_cpu_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_REQUEST_RECORDER_H_
