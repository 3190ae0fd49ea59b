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
  rec_.Outcome(At(15), /*cold=*/true, 200, Tier::kKv, Duration::Millis(7));
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
  rec_.Outcome(At(25), false, 503, Tier::kSts, Duration::Millis(-1));
  EXPECT_EQ(m_.errors[RunMetrics::ErrorIndex(503)], 1u);
  EXPECT_EQ(m_.served_from[static_cast<int>(Tier::kSts)], 0u);
  EXPECT_EQ(m_.error_series.at(2), 1);
  EXPECT_EQ(m_.cold_requests, 0u);
  EXPECT_EQ(m_.auth_latency.max(), 0);  // negative latency clamped
}

TEST_F(RequestRecorderTest, OnlyArrivalsInsideTheWindowAreMeasured) {
  rec_.Outcome(At(5), false, 200, Tier::kL1, Duration());
  rec_.Outcome(At(100), false, 200, Tier::kL1, Duration());
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

}  // namespace
}  // namespace credsim
