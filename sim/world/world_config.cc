#include "sim/world/world_config.h"

#include "fmt/format.h"

namespace credsim {
namespace {

// Reports a timer duration (added to the current instant) that could overflow the clock.
template <typename D>
void CheckTimer(JsonReader& r, std::string_view key, const D& d) {
  if (!r.ok()) return;
  const std::optional<Duration> v = d;
  if (v && *v > kMaxTimerDuration) {
    r.Fail(r.PathOf(key),
           fmt::format("{} is too large: added to the last instant of a run ({} warm-up + "
                       "duration, plus the 1h drain) it would overflow the clock; expected at "
                       "most {}",
                       FormatDuration(*v), FormatDuration(kMaxRunLength),
                       FormatDuration(kMaxTimerDuration)));
  }
}

template <typename F>
absl::Status Section(JsonReader& parent, std::string_view key, const ParamDoc& doc, F parse,
                     ParamSite loc = ParamSite::Current()) {
  JsonReader r = parent.Child(key, doc, loc);
  if (absl::Status s = parse(r); !s.ok()) return s;
  return r.Finish();
}

}  // namespace

const char* InitialStateName(InitialState s) {
  return s == InitialState::kCold ? "cold" : "steady";
}

absl::Status CheckRunLength(const WorldConfig& w) {
  auto fail = [](std::string_view path, std::string msg) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", path, msg));
  };
  if (w.duration <= Duration()) return fail("duration", "must be > 0");
  if (w.warmup < Duration()) return fail("warmup", "must be >= 0");
  const std::optional<Duration> total = CheckedAdd(w.duration, w.warmup);
  if (!total || *total > kMaxRunLength) {
    return fail("duration",
                fmt::format("warmup + duration must be at most {}; got {} + {}",
                            FormatDuration(kMaxRunLength), FormatDuration(w.warmup),
                            FormatDuration(w.duration)));
  }
  if (w.interval < Duration::Seconds(1)) return fail("timeseries_interval", "must be >= 1s");
  if (*total / w.interval > kMaxIntervals) {
    return fail("timeseries_interval",
                "too small for the duration (more than 1,000,000 intervals)");
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> ResolveDeployColo(const WorldConfig& w, const ColoSet& colos) {
  if (!w.workers.deploy_colo) {
    // Busiest by traffic weight; a relative tolerance keeps equal weights tied (the
    // probabilities are differences of a cumulative table), so ties go to the lowest index.
    uint32_t best = 0;
    double best_p = colos.traffic_weights().Probability(0);
    for (uint32_t i = 1; i < colos.size(); ++i) {
      const double p = colos.traffic_weights().Probability(i);
      if (p > best_p * (1 + 1e-9)) {
        best = i;
        best_p = p;
      }
    }
    return best;
  }
  const std::string& name = *w.workers.deploy_colo;
  for (uint32_t i = 0; i < colos.size(); ++i) {
    if (colos.colo(i).name == name) return i;
  }
  constexpr size_t kShown = 12;
  std::string accepted;
  for (size_t i = 0; i < colos.size() && i < kShown; ++i) {
    accepted += (i ? ", " : "") + colos.colo(i).name;
  }
  if (colos.size() > kShown) accepted += fmt::format(", ... ({} colos in all)", colos.size());
  return absl::InvalidArgumentError(fmt::format(
      "world.workers.deploy_colo: unknown colo \"{}\"; expected the name of a colo of "
      "world.colos ({}), or null for the busiest colo",
      name, accepted));
}

absl::Status CheckPrewarmKeys(int64_t roles, int64_t sessions_per_role) {
  // roles <= 1e7 and sessions <= 1e6 (traffic limits): the product fits int64, but compare by
  // division so that no input can overflow.
  if (roles > 0 && sessions_per_role > kMaxPrewarmKeys / roles) {
    return absl::InvalidArgumentError(fmt::format(
        "traffic.sessions_per_role: a strategy that prewarms its Durable Objects calls one per "
        "(role, session): {} roles x {} sessions is too many; expected roles x "
        "sessions_per_role <= {}",
        roles, sessions_per_role, kMaxPrewarmKeys));
  }
  return absl::OkStatus();
}

absl::Status CheckWorldConfig(const WorldConfig& w) {
  const ColoSet colos(w.colos);
  if (absl::StatusOr<uint32_t> c = ResolveDeployColo(w, colos); !c.ok()) return c.status();
  return ValidateBurstColos(w.traffic, colos);
}

absl::Status ParseIsolateConfig(JsonReader& r, IsolateConfig* out) {
  ReadDurationDistribution(r, "cold_start", &out->cold_start,
      {.doc = "Wall time of a cold start (added before the first request of a new isolate "
              "runs).",
       .source = "sources.md §P2 cold start (<5 ms small scripts, tens-hundreds of ms large "
                 "bundles); distribution: assumption."});
  out->cold_start_cpu = r.GetDuration("cold_start_cpu", out->cold_start_cpu,
      {.doc = "CPU charged per cold start (cost model).",
       .source = "sources.md §S6 \"Observed numbers\": cold-isolate requests 21-26 ms CPU."});
  if (r.Has("idle_eviction") && r.GetRaw("idle_eviction")->is_null()) {
    out->evict_when_idle = false;  // null: never evicted for idleness
  } else {
    ReadDurationDistribution(r, "idle_eviction", &out->idle_eviction,
        {.doc = "Idle timeout of an isolate: a fresh timeout is drawn at every request arrival "
                "(each idle period), and the isolate is evicted if no request arrives within "
                "it; null = never evicted for idleness.",
         .source = "assumption calibrated to the published warm-request target (sources.md §P2, "
                   "§P8: 99.9-99.99 % of requests warm): exponential, mean 2 h gives about 99.9 % "
                   "warm in the default world (docs/scenarios.md \"Isolates\"; sources.md §P9 "
                   "suggests 10 min, about 98.9 % warm).",
         .schema = R"json({"anyOf": [{"$ref": "#/$defs/distribution"}, {"type": "null"}]})json"});
    if (r.Has("idle_eviction")) out->evict_when_idle = true;
  }
  out->random_evictions_per_hour =
      r.GetNumber("random_evictions_per_hour", out->random_evictions_per_hour, 0, 1e6,
          {.doc = "Hazard rate of random evictions of a live isolate (memory/CPU-limit kills), "
                  "per hour.",
           .source = "assumption (sources.md §P2 eviction causes)."});
  out->max_lifetime = r.GetOptionalDuration("max_lifetime",
      {.doc = "Hard cap on an isolate's life; null = none.",
       .source = "assumption."});
  CheckTimer(r, "max_lifetime", out->max_lifetime);
  out->restart_interval = r.GetOptionalDuration("restart_interval",
      {.doc = "Periodic fleet-wide restarts every this long (in addition to `restarts`); at "
              "least 1m; null = none.",
       .source = "sources.md §P2 (\"a few times per week\"), §P9."});
  if (out->restart_interval && *out->restart_interval < kMinRestartInterval && r.ok()) {
    r.Fail(r.PathOf("restart_interval"),
           fmt::format("{} is too short; expected a duration >= {} (or null)",
                       FormatDuration(*out->restart_interval), FormatDuration(kMinRestartInterval)));
  }
  out->restart_window = r.GetDuration("restart_window", out->restart_window,
      {.doc = "Length of the results window of every restart (`restarts` and "
              "`restart_interval`): results.json reports `windows.restart[i]` / "
              "`windows.periodic_restart[k]` over [restart, restart + restart_window). "
              "Measurement only; changes no simulated event.",
       .source = "assumption: every isolate is cold at the restart and refills within "
                 "seconds; 5 min also covers SDK retries after throttling (backoff capped at "
                 "20 s, sources.md §P7) and the KV / Durable Object re-fill."});
  if (r.ok() && (out->restart_window <= Duration() || out->restart_window > kMaxRunLength)) {
    r.Fail(r.PathOf("restart_window"),
           fmt::format("{} is not accepted; expected a duration > 0s and at most {}",
                       FormatDuration(out->restart_window), FormatDuration(kMaxRunLength)));
  }
  const std::string restarts_schema = fmt::format(
      R"json({{"type": "array", "items": {{"$ref": "#/$defs/duration", "description": "Instant since the start."}}, "default": [], "maxItems": {}}})json",
      kMaxRestarts);
  if (const nlohmann::json* rs = r.GetRaw("restarts",
      {.doc = "Fleet-wide restarts (deploys / runtime updates) at these instants since the "
              "start: every isolate and Durable Object instance is evicted. At most 10000 "
              "entries.",
       .source = "sources.md §P2 Runtime restarts.",
       .schema = restarts_schema})) {
    const std::string path = r.PathOf("restarts");
    if (!rs->is_array()) {
      r.Fail(path, "expected an array of durations from the start, e.g. [\"6h\", \"30h\"]");
    } else if (rs->size() > kMaxRestarts && r.ok()) {
      r.Fail(path, fmt::format("{} restarts are too many; expected at most {}", rs->size(),
                               kMaxRestarts));
    } else {
      for (size_t i = 0; i < rs->size() && r.ok(); ++i) {
        const auto& v = (*rs)[i];
        auto d = v.is_string() ? ParseDuration(v.get<std::string>())
                               : absl::StatusOr<Duration>(absl::InvalidArgumentError(
                                     "expected a duration string such as \"6h\""));
        if (!d.ok()) {
          r.Fail(JsonReader::ElementPath(path, i), std::string(d.status().message()));
        } else {
          out->restarts.push_back(*d);
        }
      }
    }
  }
  return r.status();
}

absl::Status ParseWorkerConfig(JsonReader& r, WorkerConfig* out) {
  out->edge_timeout = r.GetDuration("edge_timeout", out->edge_timeout,
      {.doc = "A request still waiting after this becomes a 503 at the edge; \"0s\" disables "
              "it.",
       .source = "assumption."});
  CheckTimer(r, "edge_timeout", out->edge_timeout);
  out->cross_request_waits_cancelled =
      r.GetBool("cross_request_waits_cancelled", out->cross_request_waits_cancelled,
          {.doc = "The Workers runtime's cross-request rules (workerd: a request whose only "
                  "pending work is a promise that only it can settle is cancelled as hung; a "
                  "promise can only settle while the request that created it is alive). With "
                  "them an L1 v1 waiter fails with 500 at once (v1_wait \"waiter_promise\") or "
                  "waits for the holder and fails when the holder's request ends "
                  "(\"holder_promise\"), and an abandoned \"holder_promise\" holder pins the key's "
                  "lock in its isolate (a cancelled \"waiter_promise\" holder releases it: the "
                  "dropped future drops its guard, an assumption); false = native runtime "
                  "(waiters wait, cancelled holders release).",
           .source = "docs/platform-conformance.md cross-request-waits, hang-detection, "
                     "v1-lock-herd; sources.md §S2 \"L1 (per-isolate) cache\" v1."});
  out->custom_domain = r.GetBool("custom_domain", out->custom_domain,
      {.doc = "The Worker runs on a custom domain; false = *.workers.dev, where the Cache "
              "API does nothing.",
       .source = "sources.md §P3 Where it works."});
  out->cpu_per_request = r.GetDuration("cpu_per_request", out->cpu_per_request,
      {.doc = "CPU charged per request (cost model).",
       .source = "assumption."});
  out->prewarm_rate = r.GetNumber("prewarm_rate", out->prewarm_rate, 0.001, 1e6,
      {.doc = "Roles per second the deployment prewarms (role r's init calls start at r / "
              "prewarm_rate s), so that a large prewarm stays under the STS quota.",
       .source = "assumption (a deploy script pacing itself well under the 600/s quota, "
                 "sources.md §P7)."});
  if (const nlohmann::json* c = r.GetRaw("deploy_colo",
      {.doc = "Name of the colo (`world.colos`: generated colo000, colo001, ..., or a "
              "`list[].name`) from which the deployment prewarms the Durable Objects of a "
              "strategy that asks for it (every role x `traffic.sessions_per_role`, at most "
              "100000 keys); with first-caller placement the objects are created there. null "
              "= the busiest colo by traffic weight (ties: the lowest index).",
       .source = "sources.md §P5 Placement (an object is created near its first get()); the "
                 "deploy location is an assumption.",
       .schema = R"json({"anyOf":[{"type":"string","minLength":1},{"type":"null"}],"default":null})json"}); c != nullptr && r.ok()) {
    if (c->is_null()) {
      out->deploy_colo.reset();
    } else if (c->is_string() && !c->get<std::string>().empty()) {
      out->deploy_colo = c->get<std::string>();
    } else {
      r.Fail(r.PathOf("deploy_colo"),
             "expected the name of a colo (a non-empty string, e.g. \"colo000\"), or null for "
             "the busiest colo");
    }
  }
  return r.status();
}

absl::Status ParsePricingConfig(JsonReader& r, PricingConfig* out) {
  auto get = [&r](const char* key, double* v, const ParamDoc& doc) {
    *v = r.GetNumber(key, *v, 0, 1e9, doc);
  };
  get("kv_read_per_million", &out->kv_read_per_million,
      {.doc = "KV reads, per million.",
       .source = "sources.md §P4 Pricing."});
  get("kv_write_per_million", &out->kv_write_per_million,
      {.doc = "KV writes, per million.",
       .source = "sources.md §P4 Pricing."});
  get("do_request_per_million", &out->do_request_per_million,
      {.doc = "Durable Object requests (incl. alarms), per million.",
       .source = "sources.md §P5 Pricing (compute)."});
  get("do_gb_s_per_million", &out->do_gb_s_per_million,
      {.doc = "Durable Object duration, per million GB-s.",
       .source = "sources.md §P5 Pricing (compute)."});
  get("do_memory_gb", &out->do_memory_gb,
      {.doc = "Memory billed per active Durable Object, GB.",
       .source = "sources.md §P5 Pricing: billed at 128 MB regardless of use."});
  get("do_row_write_per_million", &out->do_row_write_per_million,
      {.doc = "Durable Object storage rows written, per million.",
       .source = "sources.md §P5 Pricing (storage, SQLite)."});
  get("workers_request_per_million", &out->workers_request_per_million,
      {.doc = "Worker requests, per million.",
       .source = "sources.md §P6 Workers pricing."});
  get("workers_cpu_ms_per_million", &out->workers_cpu_ms_per_million,
      {.doc = "Worker CPU time, per million CPU-ms.",
       .source = "sources.md §P6 Workers pricing."});
  return r.status();
}

std::vector<WindowSpec> RunWindowSpecs(const WorldConfig& w, size_t* omitted) {
  std::vector<WindowSpec> out = w.windows;
  size_t left_out = 0;
  // `length` > 0; an end past the clock's range is clamped there (never overflows).
  auto add = [&](std::string name, Duration start, Duration length, WindowSource source) {
    if (out.size() >= kMaxWindows) {
      ++left_out;
      return;
    }
    const Duration end = CheckedAdd(start, length).value_or(kMaxDuration);
    out.push_back(WindowSpec{std::move(name), start, end, source});
  };
  for (size_t i = 0; i < w.traffic.bursts.size(); ++i) {
    const BurstConfig& b = w.traffic.bursts[i];
    const Duration length = !b.count                  ? b.duration
                            : b.spread > Duration() ? b.spread
                                                    : Duration::Seconds(1);
    if (length <= Duration()) continue;  // a Poisson burst of zero length has no arrival
    add(fmt::format("burst[{}]", i), b.start, length, WindowSource::kBurst);
  }
  for (size_t i = 0; i < w.sts.outages.size(); ++i) {
    const StsOutage& o = w.sts.outages[i];
    if (o.end <= o.start) continue;
    add(fmt::format("sts_outage[{}]", i), o.start, o.end - o.start, WindowSource::kStsOutage);
  }
  const Duration len = w.isolates.restart_window;
  for (size_t i = 0; i < w.isolates.restarts.size(); ++i) {
    const Duration t = w.isolates.restarts[i];
    add(fmt::format("restart[{}]", i), t, len, WindowSource::kRestart);
  }
  if (w.isolates.restart_interval && *w.isolates.restart_interval > Duration()) {
    // The restarts World::Run schedules: k x interval < warmup + duration, k >= 1.
    const Duration step = *w.isolates.restart_interval;
    const Duration end = w.warmup + w.duration;
    const int64_t count = (end - Duration::Nanos(1)) / step;  // k = 1 .. count
    for (int64_t k = 1; k <= count; ++k) {
      if (out.size() >= kMaxWindows) {
        left_out += static_cast<size_t>(count - k + 1);
        break;
      }
      const Duration t = step * k;
      add(fmt::format("periodic_restart[{}]", k), t, len, WindowSource::kPeriodicRestart);
    }
  }
  if (omitted != nullptr) *omitted = left_out;
  return out;
}

absl::Status ParseScenarioWindows(JsonReader& r, WorldConfig* w) {
  auto fail = [](const std::string& where, const std::string& msg) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", where, msg));
  };
  const std::string path = r.PathOf("windows");
  const std::vector<const nlohmann::json*> list = r.GetArray("windows",
      {.doc = "Named results windows: results.json reports requests, errors by status, STS "
              "calls, their peak and auth latency p50/p99 inside each (`windows.<name>`), "
              "beside the generated windows of every burst, STS outage and restart. At most "
              "64 entries. Measurement only: nothing simulated changes.",
       .source = "design (docs/results.md \"Windows\")."});
  if (!r.ok()) return r.status();
  if (list.size() > kMaxScenarioWindows) {
    return fail(path, fmt::format("{} windows are too many; expected at most {}", list.size(),
                                  kMaxScenarioWindows));
  }
  const Duration run_end = w->warmup + w->duration;
  std::vector<WindowSpec> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string ep = JsonReader::ElementPath(path, i);
    const nlohmann::json& e = *list[i];
    if (!e.is_object()) {
      return fail(ep, "expected an object {\"name\", \"start\", \"end\"}");
    }
    JsonReader er(e, ep, r);
    WindowSpec spec;
    spec.source = WindowSource::kScenario;
    spec.name = er.GetString("name", "",
        {.doc = "Unique; the key of the window in results.json (`windows.<name>`): 1 to 64 "
                "characters from A-Z a-z 0-9 _ - (generated windows use brackets, e.g. "
                "`burst[0]`, so they never collide).",
         .schema = fmt::format(R"({{"pattern": "^[A-Za-z0-9_-]{{1,{}}}$"}})", kMaxWindowNameBytes),
         .required = true});
    spec.start = er.GetDuration("start", Duration(),
        {.doc = "Start, since t = 0 (the warm-up included).", .required = true});
    spec.end = er.GetDuration("end", Duration(),
        {.doc = "End (exclusive): after `start`, at most warmup + duration.", .required = true});
    for (const char* key : {"name", "start", "end"}) {
      if (!er.Has(key)) return fail(er.PathOf(key), "required");
    }
    if (absl::Status s = er.Finish(); !s.ok()) return s;
    bool ok = !spec.name.empty() && spec.name.size() <= kMaxWindowNameBytes;
    for (char c : spec.name) {
      ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-');
    }
    if (!ok) {
      return fail(er.PathOf("name"),
                  fmt::format("a {}-character name is not accepted; expected 1 to {} characters "
                              "from A-Z a-z 0-9 _ - (it becomes a results.json key, "
                              "windows.<name>.error_ratio)",
                              spec.name.size(), kMaxWindowNameBytes));
    }
    for (const WindowSpec& o : out) {
      if (o.name == spec.name) {
        return fail(er.PathOf("name"),
                    fmt::format("window name \"{}\" is used twice; give each window a unique "
                                "name",
                                spec.name));
      }
    }
    if (!(spec.start < spec.end)) {
      return fail(er.PathOf("end"),
                  fmt::format("{} is not after start {}; expected start < end",
                              FormatDuration(spec.end), FormatDuration(spec.start)));
    }
    if (spec.end > run_end) {
      return fail(er.PathOf("end"),
                  fmt::format("{} is past the end of the run; expected at most warmup + "
                              "duration = {} (times are since t = 0, the warm-up included)",
                              FormatDuration(spec.end), FormatDuration(run_end)));
    }
    out.push_back(std::move(spec));
  }
  w->windows = std::move(out);
  return absl::OkStatus();
}

absl::Status ParseWorldObject(JsonReader& world, WorldConfig* out) {
  if (absl::Status s = Section(world, "colos",
      {.doc = "The colos (Cloudflare data centres): generated (`count`, `weights`) or an explicit `list`.",
       .source = "sources.md §P1, §P8."},
      [&](JsonReader& r) { return ParseColoConfig(r, &out->colos); }); !s.ok()) return s;
  if (absl::Status s = Section(world, "isolates",
      {.doc = "Isolate lifecycle: cold starts, evictions, restarts.",
       .source = "sources.md §P2, §P8 Isolates, §P9."},
      [&](JsonReader& r) { return ParseIsolateConfig(r, &out->isolates); }); !s.ok()) return s;
  if (absl::Status s = Section(world, "workers",
      {.doc = "Workers runtime behaviour.",
       .source = "sources.md §S; sources.md §P2, §P3."},
      [&](JsonReader& r) { return ParseWorkerConfig(r, &out->workers); }); !s.ok()) return s;
  if (absl::Status s = Section(world, "sts",
      {.doc = "AWS STS AssumeRoleWithWebIdentity: the single endpoint and its per-caller client.",
       .source = "sources.md §P7, §P8 STS; sources.md §S3 \"The mint\"."},
      [&](JsonReader& r) { return ParseStsConfig(r, &out->sts); }); !s.ok()) return s;
  if (absl::Status s = Section(world, "cache_api",
      {.doc = "Cloudflare Cache API (`caches.default`) of every colo, used by `l1_l2`.",
       .source = "sources.md §P3, §P8 Cache API."},
      [&](JsonReader& r) { return ParseColoCacheConfig(r, &out->cache_api); }); !s.ok()) return s;
  if (absl::Status s = Section(world, "kv",
      {.doc = "Workers KV: one central store, a read cache per colo.",
       .source = "sources.md §P4, §P8 KV."},
      [&](JsonReader& r) { return ParseKvConfig(r, &out->kv); }); !s.ok()) return s;
  if (absl::Status s = Section(world, "durable_objects",
      {.doc = "Durable Objects platform (used by `do_singleflight` and `do_alarm_kv`).",
       .source = "sources.md §P5, §P8 Durable Objects."},
      [&](JsonReader& r) { return ParseDurableObjectConfig(r, &out->durable_objects); }); !s.ok()) return s;
  if (absl::Status s = Section(world, "pricing",
      {.doc = "Marginal prices in USD for the cost model (free allowances are not subtracted).",
       .source = "sources.md §P4-§P6."},
      [&](JsonReader& r) { return ParsePricingConfig(r, &out->pricing); }); !s.ok()) return s;
  return world.status();
}

}  // namespace credsim
