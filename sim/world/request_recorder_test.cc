// RequestRecorder: what each reported event moves in RunMetrics, inside and outside the window.
#include "sim/world/request_recorder.h"

#include "gtest/gtest.h"

namespace credsim {
namespace {

Time At(int s) { return Time() + Duration::Seconds(s); }

class RequestRecorderTest : public ::testing::Test {
 protected:
  RunMetrics m_{At(10), At(100), Duration::Seconds(10)};
  RequestRecorder rec_{m_, Duration::Millis(2), Duration::Millis(25)};
};

TEST_F(RequestRecorderTest, ASuccessCountsTheRequestItsTierLatencyAndCpu) {
  rec_.Outcome(At(15), 0, 0, /*cold=*/true, 200, Tier::kKv, Duration::Millis(7));
  EXPECT_EQ(m_.requests, 1u);
  EXPECT_EQ(m_.cold_requests, 1u);
  EXPECT_EQ(m_.served_from[static_cast<int>(Tier::kKv)], 1u);
  EXPECT_EQ(m_.auth_latency.count(), 1u);
  EXPECT_EQ(m_.auth_latency.max(), 7000000);
  EXPECT_DOUBLE_EQ(m_.worker_cpu_ms, 2);
  EXPECT_EQ(m_.request_series.at(1), 1);
  EXPECT_EQ(m_.error_series.size(), 0u);
}

TEST_F(RequestRecorderTest, AFailureCountsItsStatusAndTheErrorSeries) {
  rec_.Outcome(At(25), 0, 0, false, 503, Tier::kSts, Duration::Millis(-1));
  EXPECT_EQ(m_.errors[RunMetrics::ErrorIndex(503)], 1u);
  EXPECT_EQ(m_.served_from[static_cast<int>(Tier::kSts)], 0u);
  EXPECT_EQ(m_.error_series.at(2), 1);
  EXPECT_EQ(m_.cold_requests, 0u);
  EXPECT_EQ(m_.auth_latency.max(), 0);  // negative latency clamped
}

TEST_F(RequestRecorderTest, OnlyArrivalsInsideTheWindowAreMeasured) {
  rec_.Outcome(At(5), 0, 0, false, 200, Tier::kL1, Duration());
  rec_.Outcome(At(100), 0, 0, false, 200, Tier::kL1, Duration());
  rec_.CredentialsRejected(At(5), AwsVerdict::kExpired);
  rec_.CancelledByRuntime(At(100));
  rec_.EdgeTimeout(At(9));
  rec_.IsolateCreated(At(9));
  EXPECT_EQ(m_.requests, 0u);
  EXPECT_EQ(m_.expired_credential_uses, 0u);
  EXPECT_EQ(m_.cancelled_by_runtime, 0u);
  EXPECT_EQ(m_.edge_timeouts, 0u);
  EXPECT_EQ(m_.cold_starts, 0u);
  EXPECT_EQ(m_.worker_cpu_ms, 0);
}

TEST_F(RequestRecorderTest, EventsCountOnce) {
  rec_.CredentialsRejected(At(20), AwsVerdict::kExpired);
  rec_.CredentialsRejected(At(20), AwsVerdict::kRevoked);
  rec_.CredentialsRejected(At(20), AwsVerdict::kAccepted);
  rec_.CancelledByRuntime(At(20));
  rec_.EdgeTimeout(At(20));
  rec_.IsolateCreated(At(20));
  EXPECT_EQ(m_.expired_credential_uses, 1u);
  EXPECT_EQ(m_.revoked_credential_uses, 1u);
  EXPECT_EQ(m_.cancelled_by_runtime, 1u);
  EXPECT_EQ(m_.edge_timeouts, 1u);
  EXPECT_EQ(m_.cold_starts, 1u);
  EXPECT_DOUBLE_EQ(m_.worker_cpu_ms, 25);
  EXPECT_EQ(m_.requests, 0u);  // none of these is the request's outcome
}

TEST_F(RequestRecorderTest, AFailureMovesItsPerStatusSeriesOnly) {
  rec_.Outcome(At(25), 0, 0, false, 403, Tier::kNone, Duration());
  rec_.Outcome(At(35), 0, 0, false, 502, Tier::kNone, Duration());
  rec_.Outcome(At(36), 0, 0, false, 502, Tier::kNone, Duration());
  rec_.Outcome(At(45), 0, 0, false, 418, Tier::kNone, Duration());  // "other"
  EXPECT_EQ(m_.error_403_series.at(2), 1);
  EXPECT_EQ(m_.error_502_series.at(3), 2);
  EXPECT_EQ(m_.error_series.at(4), 1);
  for (const TimeSeries* s : {&m_.error_403_series, &m_.error_429_series, &m_.error_500_series,
                              &m_.error_502_series, &m_.error_503_series}) {
    EXPECT_EQ(s->at(4), 0);  // 418 is in no per-status series
  }
  EXPECT_EQ(m_.error_500_series.size() + m_.error_503_series.size() + m_.error_429_series.size(),
            0u);
}

TEST_F(RequestRecorderTest, RequestsCountInTheirColoAndRoleRows) {
  m_.by_colo.assign(3, BreakdownCounters{});
  m_.by_role.assign(2, BreakdownCounters{});
  rec_.Outcome(At(20), 2, 1, false, 200, Tier::kL1, Duration());
  rec_.Outcome(At(21), 2, 0, false, 503, Tier::kNone, Duration());
  rec_.Outcome(At(22), 7, 9, false, 503, Tier::kNone, Duration());  // past both: skipped
  rec_.Outcome(At(5), 0, 0, false, 503, Tier::kNone, Duration());   // before the window
  EXPECT_EQ(m_.by_colo[2].requests, 2u);
  EXPECT_EQ(m_.by_colo[2].errors, 1u);
  EXPECT_EQ(m_.by_colo[0].requests, 0u);
  EXPECT_EQ(m_.by_role[1].requests, 1u);
  EXPECT_EQ(m_.by_role[1].errors, 0u);
  EXPECT_EQ(m_.by_role[0].requests, 1u);
  EXPECT_EQ(m_.by_role[0].errors, 1u);
  EXPECT_EQ(m_.requests, 3u);
}

TEST_F(RequestRecorderTest, RequestsCountInTheWindowsContainingTheirArrival) {
  m_.windows = RunWindows({WindowSpec{"a", Duration::Seconds(20), Duration::Seconds(30)},
                           WindowSpec{"b", Duration::Seconds(25), Duration::Seconds(40)}},
                          m_.measure_from, m_.measure_to);
  rec_.Outcome(At(20), 0, 0, false, 200, Tier::kL1, Duration::Millis(4));  // a
  rec_.Outcome(At(27), 0, 0, false, 502, Tier::kNone, Duration::Millis(8));  // a and b
  rec_.Outcome(At(30), 0, 0, false, 503, Tier::kNone, Duration());  // b (a ends at 30)
  rec_.Outcome(At(40), 0, 0, false, 503, Tier::kNone, Duration());  // neither
  const WindowCounters& a = m_.windows.window(0).counters;
  const WindowCounters& b = m_.windows.window(1).counters;
  EXPECT_EQ(a.requests, 2u);
  EXPECT_EQ(a.errors[RunMetrics::ErrorIndex(502)], 1u);
  EXPECT_EQ(a.errors[RunMetrics::ErrorIndex(503)], 0u);
  EXPECT_EQ(a.auth_latency.count(), 2u);
  EXPECT_EQ(a.auth_latency.max(), 8000000);
  EXPECT_EQ(b.requests, 2u);
  EXPECT_EQ(b.errors[RunMetrics::ErrorIndex(502)], 1u);
  EXPECT_EQ(b.errors[RunMetrics::ErrorIndex(503)], 1u);
  EXPECT_EQ(m_.requests, 4u);
}

}  // namespace
}  // namespace credsim
