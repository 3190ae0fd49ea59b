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

void RequestRecorder::Outcome(Time arrival, uint32_t colo, uint32_t role, bool cold, int status,
                              Tier tier, Duration auth_latency) {
  if (!m_.Measuring(arrival)) return;
  ++m_.requests;
  m_.request_series.Add(arrival);
  m_.worker_cpu_ms += cpu_per_request_.millis();
  if (cold) ++m_.cold_requests;
  const int64_t latency_ns = std::max<int64_t>(0, auth_latency.nanos());
  m_.auth_latency.Record(latency_ns);
  const bool failed = status != 200;
  int error_index = -1;
  if (!failed) {
    ++m_.served_from[static_cast<int>(tier)];
  } else {
    error_index = RunMetrics::ErrorIndex(status);
    ++m_.errors[error_index];
    m_.error_series.Add(arrival);
    if (TimeSeries* s = m_.StatusSeries(error_index); s != nullptr) s->Add(arrival);
  }
  if (colo < m_.by_colo.size()) {
    ++m_.by_colo[colo].requests;
    m_.by_colo[colo].errors += failed;
  }
  if (role < m_.by_role.size()) {
    ++m_.by_role[role].requests;
    m_.by_role[role].errors += failed;
  }
  if (!m_.windows.empty()) m_.windows.Request(arrival, error_index, latency_ns);
}

}  // namespace credsim
