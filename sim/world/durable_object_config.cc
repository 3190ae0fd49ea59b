#include "sim/world/durable_object_config.h"

#include <string>

namespace credsim {
absl::Status ParseDurableObjectConfig(JsonReader& r, DurableObjectConfig* out) {
  const std::string placement =
      r.GetEnum("placement",
                out->placement == DurableObjectPlacement::kHint ? "hint" : "first_caller",
                {"first_caller", "hint"},
          {.doc = "\"first_caller\": an object lives in the colo of its first caller; \"hint\": in "
                  "colo `location_colo` (locationHint, modelled as always honoured).",
           .source = "sources.md §P5 Placement."});
  out->placement =
      placement == "hint" ? DurableObjectPlacement::kHint : DurableObjectPlacement::kFirstCaller;
  out->location_colo =
      static_cast<uint32_t>(r.GetInt("location_colo", out->location_colo, 0, 1000000,
          {.doc = "Colo index used when placement is \"hint\" (must be a colo of `world.colos`).",
           .source = "sources.md §P5 Placement."}));
  ReadDurationDistribution(r, "service_time", &out->service_time,
      {.doc = "CPU per delivered event (fetch or alarm) with the input gate closed.",
       .source = "assumption (~1 ms pass-through, sources.md §P5 Throughput ~1 000 req/s)."});
  ReadDurationDistribution(r, "storage_latency", &out->storage_latency,
      {.doc = "Latency of one storage get/put (input gate closed meanwhile).",
       .source = "assumption (sources.md §P5 Input / output gates)."});
  out->soft_limit_rps = r.GetNumber("soft_limit_rps", out->soft_limit_rps, 0.001, 1e9,
      {.doc = "Requests admitted per object per second (burst: one second's worth); beyond "
              "it: overloaded, not retried.",
       .source = "sources.md §P5 Throughput: soft limit ~1 000 req/s per object."});
  out->max_queue = static_cast<int>(r.GetInt("max_queue", out->max_queue, 0, 1000000000,
      {.doc = "Admitted requests that may wait for the input gate; one more is rejected as "
              "overloaded.",
       .source = "assumption."}));
  const Duration idle = r.GetDuration("evict_after_idle", out->evict_after_idle,
      {.doc = "In-memory state is dropped after this much idle time with nothing in flight.",
       .source = "sources.md §P5 Lifecycle: hibernation after 10 s idle (70-140 s if not "
                 "hibernatable)."});
  if (idle > Duration()) {
    out->evict_after_idle = idle;
  } else {
    r.Fail(r.PathOf("evict_after_idle"), "must be positive, e.g. \"10s\"");
  }

  JsonReader retry = r.Child("alarm_retry",
      {.doc = "Retry policy of a failed alarm() handler.",
       .source = "sources.md §P5 Alarms."});
  out->alarm_retry.initial = retry.GetDuration("initial", out->alarm_retry.initial,
      {.doc = "First retry delay.",
       .source = "sources.md §P5 Alarms: backoff starting at 2 s."});
  out->alarm_retry.max_retries =
      static_cast<int>(retry.GetInt("max_retries", out->alarm_retry.max_retries, 0, 1000,
          {.doc = "Retries after the first attempt.",
           .source = "sources.md §P5 Alarms: up to 6 retries."}));
  out->alarm_retry.factor = retry.GetNumber("factor", out->alarm_retry.factor, 1, 100,
      {.doc = "Backoff multiplier.",
       .source = "assumption (sources.md §P8 DO alarm: doubling)."});
  out->alarm_retry.set_alarm_cancels_retry =
      retry.GetBool("set_alarm_cancels_retry", out->alarm_retry.set_alarm_cancels_retry,
          {.doc = "A failed alarm() invocation during which setAlarm() was called is not "
                  "retried: the alarm set runs as a fresh invocation (a new retry series). false "
                  "= retried independently of the alarm set.",
           .source = "docs/platform-conformance.md do-alarms (workerd: no retry, the alarm set runs "
                     "with retryCount 0)."});
  out->alarm_retry.jitter = retry.GetNumber("jitter", out->alarm_retry.jitter, 0, 1,
      {.doc = "Each retry delay is lengthened by a uniform random fraction in [0, jitter) of "
              "itself (Durable Objects platform stream).",
       .source = "docs/platform-conformance.md do-alarms (workerd retried up to ~25 % late "
                 "locally); no production source, so 0 = exact delays."});
  if (r.ok()) {
    absl::Status s = retry.Finish();
    if (!s.ok()) return s;
  }
  return r.status();
}

}  // namespace credsim
