#include "sim/world/revocation_feed_sim.h"

#include <algorithm>

namespace credsim {

absl::Status ParseRevocationConfig(JsonReader& r, RevocationConfig* out) {
  const auto events = r.GetArray("events",
      {.doc = "Revocation events: credentials of the role issued before `at` are rejected by "
              "AWS with 403 from `at` on."});
  for (size_t i = 0; i < events.size(); ++i) {
    JsonReader e(*events[i], JsonReader::ElementPath(r.PathOf("events"), i), r);
    RevocationEvent ev;
    ev.revoked_before = Time() + e.GetDuration("at", Duration(),
        {.doc = "Instant since the start."});
    const ParamDoc role_doc{.doc = "Revoked role; absent = every role.", .derived_default = true};
    ev.role = e.Has("role") ? static_cast<uint32_t>(e.GetInt("role", 0, 0, 10000000, role_doc))
                            : (e.GetRaw("role", role_doc), RevocationEvent::kAllRoles);
    if (absl::Status s = e.Finish(); !s.ok()) return s;
    out->events.push_back(ev);
  }
  std::stable_sort(out->events.begin(), out->events.end(),
                   [](const RevocationEvent& a, const RevocationEvent& b) {
                     return a.revoked_before < b.revoked_before;
                   });
  out->publish_delay = r.GetDuration("publish_delay", out->publish_delay,
      {.doc = "Delay between an event and its publication on the feed.",
       .source = "assumption."});
  out->poll_latency = r.GetDuration("poll_latency", out->poll_latency,
      {.doc = "Latency of one feed poll.",
       .source = "assumption."});
  const auto outages = r.GetArray("feed_outages",
      {.doc = "Windows [start, end) in which feed polls fail.",
       .source = "assumption."});
  for (size_t i = 0; i < outages.size(); ++i) {
    JsonReader o(*outages[i], JsonReader::ElementPath(r.PathOf("feed_outages"), i), r);
    RevocationConfig::Outage w;
    w.start = o.GetDuration("start", Duration(),
        {.doc = "Start of the window.",
         .source = "assumption."});
    w.end = o.GetDuration("end", Duration(),
        {.doc = "End of the window (exclusive).",
         .source = "assumption.",
         .required = true});
    if (w.end <= w.start && o.ok()) o.Fail(o.PathOf("end"), "must be after start");
    if (absl::Status s = o.Finish(); !s.ok()) return s;
    out->feed_outages.push_back(w);
  }
  return r.status();
}

Task<RevocationPoll> RevocationFeedSim::Poll(uint64_t cursor) {
  co_await Sleep(executor_, config_.poll_latency);
  const Time now = executor_.Now();
  RevocationPoll p;
  for (const auto& o : config_.feed_outages) {
    if (now.since_start() >= o.start && now.since_start() < o.end) {
      p.cursor = cursor;
      co_return p;
    }
  }
  size_t published = 0;
  while (published < config_.events.size() &&
         config_.events[published].revoked_before + config_.publish_delay <= now) {
    ++published;
  }
  const size_t from = std::min<size_t>(cursor, published);
  p.ok = true;
  p.cursor = published;
  p.events = std::span<const RevocationEvent>(config_.events.data() + from, published - from);
  co_return p;
}

}  // namespace credsim
