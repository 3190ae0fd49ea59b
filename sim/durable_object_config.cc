#include "sim/durable_object_config.h"

#include <string>

namespace credsim {
namespace {

// Reads an optional duration distribution at `key` into `*out`. ParseDurationDistribution's
// message already starts with the full JSON path ("<path>: <problem>"), so it is split there
// to keep JsonReader's "<path>: <message>" shape without repeating the path.
void ReadDistribution(JsonReader& r, std::string_view key, Distribution* out) {
  const nlohmann::json* j = r.GetRaw(key);
  if (j == nullptr || !r.ok()) return;
  const std::string path = r.PathOf(key);
  absl::StatusOr<Distribution> d = ParseDurationDistribution(*j, path);
  if (d.ok()) {
    *out = *d;
    return;
  }
  const std::string message(d.status().message());
  const size_t sep = message.find(": ");
  if (sep == std::string::npos) {
    r.Fail(path, message);
  } else {
    r.Fail(message.substr(0, sep), message.substr(sep + 2));
  }
}

}  // namespace

absl::Status ParseDurableObjectConfig(JsonReader& r, DurableObjectConfig* out) {
  const std::string placement =
      r.GetEnum("placement",
                out->placement == DurableObjectPlacement::kHint ? "hint" : "first_caller",
                {"first_caller", "hint"});
  out->placement =
      placement == "hint" ? DurableObjectPlacement::kHint : DurableObjectPlacement::kFirstCaller;
  out->location_colo =
      static_cast<uint32_t>(r.GetInt("location_colo", out->location_colo, 0, 1000000));
  ReadDistribution(r, "service_time", &out->service_time);
  ReadDistribution(r, "storage_latency", &out->storage_latency);
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
  if (r.ok()) {
    absl::Status s = retry.Finish();
    if (!s.ok()) return s;
  }
  return r.status();
}

}  // namespace credsim
