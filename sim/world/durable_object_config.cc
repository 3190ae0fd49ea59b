#include "sim/world/durable_object_config.h"

#include <string>

namespace credsim {
absl::Status ParseDurableObjectConfig(JsonReader& r, DurableObjectConfig* out) {
  const std::string placement =
      r.GetEnum("placement",
                out->placement == DurableObjectPlacement::kHint ? "hint" : "first_caller",
                {"first_caller", "hint"});
  out->placement =
      placement == "hint" ? DurableObjectPlacement::kHint : DurableObjectPlacement::kFirstCaller;
  out->location_colo =
      static_cast<uint32_t>(r.GetInt("location_colo", out->location_colo, 0, 1000000));
  ReadDurationDistribution(r, "service_time", &out->service_time);
  ReadDurationDistribution(r, "storage_latency", &out->storage_latency);
  out->soft_limit_rps = r.GetNumber("soft_limit_rps", out->soft_limit_rps, 0.001, 1e9);
  out->max_queue = static_cast<int>(r.GetInt("max_queue", out->max_queue, 0, 1000000000));
  const Duration idle = r.GetDuration("evict_after_idle", out->evict_after_idle);
  if (idle > Duration()) {
    out->evict_after_idle = idle;
  } else {
    r.Fail(r.PathOf("evict_after_idle"), "must be positive, e.g. \"10s\"");
  }

  JsonReader retry = r.Child("alarm_retry");
  out->alarm_retry.initial = retry.GetDuration("initial", out->alarm_retry.initial);
  out->alarm_retry.max_retries =
      static_cast<int>(retry.GetInt("max_retries", out->alarm_retry.max_retries, 0, 1000));
  out->alarm_retry.factor = retry.GetNumber("factor", out->alarm_retry.factor, 1, 100);
  out->alarm_retry.set_alarm_cancels_retry =
      retry.GetBool("set_alarm_cancels_retry", out->alarm_retry.set_alarm_cancels_retry);
  out->alarm_retry.jitter = retry.GetNumber("jitter", out->alarm_retry.jitter, 0, 1);
  if (r.ok()) {
    absl::Status s = retry.Finish();
    if (!s.ok()) return s;
  }
  return r.status();
}

}  // namespace credsim
