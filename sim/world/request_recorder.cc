#include "sim/world/request_recorder.h"

#include <algorithm>
#include <cstdint>

namespace credsim {

void RequestRecorder::IsolateCreated(Time now) {
  if (!m_.Measuring(now)) return;
  ++m_.cold_starts;
  m_.worker_cpu_ms += cold_start_cpu_.millis();
}

void RequestRecorder::CredentialsRejected(Time arrival, AwsVerdict verdict) {
  if (!m_.Measuring(arrival)) return;
  switch (verdict) {
    case AwsVerdict::kExpired: ++m_.expired_credential_uses; break;
    case AwsVerdict::kRevoked: ++m_.revoked_credential_uses; break;
    case AwsVerdict::kAccepted: break;
  }
}

void RequestRecorder::CancelledByRuntime(Time arrival) {
  if (m_.Measuring(arrival)) ++m_.cancelled_by_runtime;
}

void RequestRecorder::EdgeTimeout(Time arrival) {
  if (m_.Measuring(arrival)) ++m_.edge_timeouts;
}

void RequestRecorder::Outcome(Time arrival, bool cold, int status, Tier tier,
                              Duration auth_latency) {
  if (!m_.Measuring(arrival)) return;
  ++m_.requests;
  m_.request_series.Add(arrival);
  m_.worker_cpu_ms += cpu_per_request_.millis();
  if (cold) ++m_.cold_requests;
  m_.auth_latency.Record(std::max<int64_t>(0, auth_latency.nanos()));
  if (status == 200) {
    ++m_.served_from[static_cast<int>(tier)];
  } else {
    ++m_.errors[RunMetrics::ErrorIndex(status)];
    m_.error_series.Add(arrival);
  }
}

}  // namespace credsim
