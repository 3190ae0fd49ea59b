// Parameters of the simulated Durable Objects platform (sim/durable_object_sim.h) and their
// scenario-file syntax.
#ifndef CREDSIM_SIM_WORLD_DURABLE_OBJECT_CONFIG_H_
#define CREDSIM_SIM_WORLD_DURABLE_OBJECT_CONFIG_H_

#include <cstdint>

#include "absl/status/status.h"
#include "sim/config/distribution_json.h"
#include "sim/engine/distribution.h"
#include "sim/config/json_reader.h"
#include "sim/engine/time.h"

namespace credsim {

enum class DurableObjectPlacement : uint8_t {
  // In the colo of the first caller that asks for the object's stub (sources.md §P5
  // Placement: "created in a data centre near the first get() request").
  kFirstCaller,
  // In the colo `location_colo`, whoever calls first (sources.md §P5 Placement: locationHint,
  // honoured on the first get(); modelled as always honoured, pointing at one colo).
  kHint,
};

// Alarm retry policy (sources.md §P5 Alarms: "retried on uncaught exception with exponential
// backoff starting at 2 s, up to 6 retries").
struct DurableObjectAlarmRetryConfig {
  Duration initial = Duration::Seconds(2);  // first retry delay (sources.md §P5 Alarms)
  int max_retries = 6;                      // retries after the first attempt (sources.md §P5)
  double factor = 2;                        // backoff multiplier (assumption, sources.md §P8)
  // A failed invocation during which setAlarm() was called is not retried: the alarm it set
  // runs as a fresh invocation (workerd, docs/platform-conformance.md#do-alarms). false = the
  // retry series continues independently of the alarm set.
  bool set_alarm_cancels_retry = true;
  // Each retry delay is lengthened by a uniform fraction in [0, jitter) of itself (workerd
  // retried up to ~25 % late locally; no production source, so 0 = exact delays by default).
  double jitter = 0;
};

struct DurableObjectConfig {
  DurableObjectPlacement placement = DurableObjectPlacement::kFirstCaller;
  // Colo index used when placement is kHint. The world checks it against its colo count.
  uint32_t location_colo = 0;
  // CPU per delivered event (fetch or alarm) with the input gate closed, in seconds
  // (assumption: a pass-through object costs ~1 ms, matching the ~1 000 req/s soft limit of
  // sources.md §P5 Throughput).
  Distribution service_time = Distribution::Constant(0.001);
  // Latency of one storage get/put, during which the input gate stays closed, in seconds
  // (assumption; sources.md §P5 Input / output gates).
  Distribution storage_latency = Distribution::Constant(0.001);
  // Requests admitted per object per second, with a burst of one second's worth (sources.md
  // §P5 Throughput: soft limit ~1 000 req/s per object). Beyond it: overloaded, not retried.
  double soft_limit_rps = 1000;
  // Admitted requests that may wait for the input gate; one more is rejected as overloaded
  // (assumption).
  int max_queue = 100;
  // In-memory state is dropped after this much idle time with nothing in flight (sources.md
  // §P5 Lifecycle: hibernatable objects after 10 s idle; non-hibernatable 70–140 s).
  Duration evict_after_idle = Duration::Seconds(10);
  DurableObjectAlarmRetryConfig alarm_retry;
};

// Reads {"placement": "first_caller" | "hint", "location_colo", "service_time",
// "storage_latency", "soft_limit_rps", "max_queue", "evict_after_idle",
// "alarm_retry": {"initial", "max_retries", "factor", "set_alarm_cancels_retry", "jitter"}}
// from `r`. Absent keys keep the values of `*out`. service_time and storage_latency take the
// duration-distribution syntax of ParseDurationDistribution. Errors are recorded in `r`
// (naming the JSON path) and returned.
absl::Status ParseDurableObjectConfig(JsonReader& r, DurableObjectConfig* out);

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_DURABLE_OBJECT_CONFIG_H_
