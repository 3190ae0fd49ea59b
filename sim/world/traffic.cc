#include "sim/world/traffic.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numbers>
#include <stdexcept>

#include "fmt/format.h"

namespace credsim {

struct TrafficGenerator::Source {
  enum class Kind { kBase, kBurst, kTrace } kind;
  size_t index = 0;  // burst index or trace function
  Rng rng{0};
  Time next;
  // Trace replay state, and the exact-count burst's (remaining arrivals, position in its
  // spread).
  size_t minute = 0;
  uint64_t remaining = 0;
  double position = 0;  // fraction of the current minute (or spread) already passed
  // Arrival attributes.
  uint32_t role = 0;               // bursts
  bool uniform_colos = false;
  std::vector<uint32_t> colos;     // non-empty: uniformly over these
};

namespace {

constexpr Duration kDay = Duration::Hours(24);

// The offset from t = 0 of the first occurrence of clock time `clock` at or after t = 0.
Duration OffsetOf(Duration clock, Duration anchor) {
  Duration d = clock - anchor;
  if (d < Duration()) d += kDay;
  return d;
}

absl::Status ParseCurve(JsonReader& r, TrafficConfig* out) {
  const std::optional<Duration> anchor = out->start_time_of_day;
  if (anchor) out->diurnal_peak_at = OffsetOf(kDefaultPeakTimeOfDay, *anchor);
  if (!r.Has("curve")) {
    r.GetRaw("curve");
    return r.status();
  }
  JsonReader c = r.Child("curve",
      {.doc = "Multiplier of `rate` over time.",
       .source = "assumption."});
  const std::string type = c.GetEnum("type", "constant", {"constant", "piecewise", "diurnal"},
      {.doc = "\"constant\" (1), \"piecewise\" (step function of `points`, 1 before the first "
              "point) or \"diurnal\" (cosine between `trough` and 1).",
       .source = "assumption."});
  if (type == "piecewise") {
    out->curve = TrafficConfig::Curve::kPiecewise;
    const auto pts = c.GetArray("points",
        {.doc = "Steps of a piecewise curve (required and non-empty for \"piecewise\"; `at` "
                "non-decreasing).",
         .source = "assumption."});
    if (pts.empty() && c.ok()) c.Fail(c.PathOf("points"), "a piecewise curve needs at least one point");
    for (size_t i = 0; i < pts.size(); ++i) {
      JsonReader p(*pts[i], JsonReader::ElementPath(c.PathOf("points"), i), c);
      CurvePoint cp;
      cp.at = p.GetDuration("at", Duration(),
          {.doc = "Instant since the start from which the multiplier applies.",
           .source = "assumption."});
      cp.multiplier = p.GetNumber("multiplier", 1.0, 0, 1e6,
          {.doc = "Multiplier of `rate` from `at` on.",
           .source = "assumption."});
      if (absl::Status s = p.Finish(); !s.ok()) return s;
      if (!out->points.empty() && cp.at < out->points.back().at) {
        p.Fail(p.PathOf("at"), "points must be in increasing time order");
      }
      out->points.push_back(cp);
    }
  } else {
    c.GetArray("points");
  }
  if (type == "diurnal") out->curve = TrafficConfig::Curve::kDiurnal;
  out->diurnal_period = c.GetDuration("period", out->diurnal_period,
      {.doc = "Period of the diurnal curve.",
       .source = "assumption."});
  {
    // A clock time with the anchor, an offset from t = 0 without it.
    const nlohmann::json* raw = c.GetRaw("peak_at",
        {.schema = R"json({"anyOf": [{"$ref": "#/$defs/duration"}, {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"}]})json"});
    const std::string path = c.PathOf("peak_at");
    absl::StatusOr<Duration> clock =
        raw && raw->is_string() ? ParseTimeOfDay(raw->get<std::string>())
                                : absl::StatusOr<Duration>(absl::InvalidArgumentError(""));
    if (anchor) {
      if (raw && !clock.ok()) {
        c.Fail(path, "with traffic.start_time_of_day, peak_at is a clock time; expected "
                     "\"HH:MM\" or \"HH:MM:SS\" (00:00 to 23:59:59), such as \"14:00\"");
      } else if (raw) {
        out->diurnal_peak_at = OffsetOf(*clock, *anchor);
      }
      if (type == "diurnal" && out->diurnal_period != kDay && c.ok()) {
        c.Fail(c.PathOf("period"),
               fmt::format("{} with traffic.start_time_of_day; expected 24h (clock times repeat "
                           "every day)",
                           FormatDuration(out->diurnal_period)));
      }
    } else if (raw && clock.ok()) {
      c.Fail(path, "a clock time needs traffic.start_time_of_day; expected a duration from "
                   "t = 0 such as \"14h\", or set traffic.start_time_of_day");
    } else {
      out->diurnal_peak_at = c.GetDuration("peak_at", out->diurnal_peak_at,
          {.doc = "Instant of the diurnal peak (multiplier 1): a duration from t = 0, or with "
                  "`traffic.start_time_of_day` a clock time \"HH:MM[:SS]\" (then required to be a "
                  "clock time; absent: 14:00).",
           .source = "assumption."});
    }
  }
  out->diurnal_trough = c.GetNumber("trough", out->diurnal_trough, 0, 1,
      {.doc = "Diurnal multiplier at the trough.",
       .source = "assumption."});
  if (out->diurnal_period <= Duration() && c.ok()) c.Fail(c.PathOf("period"), "must be > 0");
  return c.Finish();
}

}  // namespace

absl::StatusOr<Duration> ParseTimeOfDay(std::string_view text) {
  auto two = [&](size_t at, int max) -> int {
    if (at + 2 > text.size()) return -1;
    const char a = text[at], b = text[at + 1];
    if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
    const int v = (a - '0') * 10 + (b - '0');
    return v <= max ? v : -1;
  };
  const bool shape = (text.size() == 5 || (text.size() == 8 && text[5] == ':')) && text[2] == ':';
  const int h = shape ? two(0, 23) : -1;
  const int m = shape ? two(3, 59) : -1;
  const int sec = shape && text.size() == 8 ? two(6, 59) : 0;
  if (h < 0 || m < 0 || sec < 0) {
    return absl::InvalidArgumentError(fmt::format(
        "\"{}\" is not a clock time; expected \"HH:MM\" or \"HH:MM:SS\" (00:00 to 23:59:59)",
        text.substr(0, 40)));
  }
  return Duration::Hours(h) + Duration::Minutes(m) + Duration::Seconds(sec);
}

absl::Status ParseTrafficConfig(JsonReader& r, const std::string& base_dir, TrafficConfig* out) {
  if (const nlohmann::json* tod = r.GetRaw("start_time_of_day",
      {.doc = "Local clock time at t = 0 (the start of the warm-up), \"HH:MM\" or \"HH:MM:SS\"; "
              "null: no anchor. With it, `curve.peak_at` is a clock time (default 14:00; the "
              "diurnal `period` must be 24h) and bursts may give `at` (a clock time) instead "
              "of `start`.",
       .source = "assumption.",
       .schema = R"json({"anyOf":[{"type":"null"},{"type":"string","pattern":"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"}],"default":null})json"}); tod && !tod->is_null()) {
    absl::StatusOr<Duration> clock = tod->is_string() ? ParseTimeOfDay(tod->get<std::string>())
                                                      : absl::InvalidArgumentError(
                                                            "expected \"HH:MM\" or \"HH:MM:SS\" "
                                                            "(00:00 to 23:59:59), or null");
    if (!clock.ok()) {
      r.Fail(r.PathOf("start_time_of_day"), std::string(clock.status().message()));
    } else {
      out->start_time_of_day = *clock;
    }
  }
  out->roles = r.GetInt("roles", out->roles, 1, 10000000,
      {.doc = "Number of roles (data connections); each role has its own credentials. "
              "Overridden by `role_rates`.",
       .source = "assumption."});
  out->sessions_per_role = r.GetInt("sessions_per_role", out->sessions_per_role, 1, 1000000,
      {.doc = "Sessions per role; each request picks one uniformly and the credential key is "
              "(role, session).",
       .source = "sources.md §S2 \"L1 (per-isolate) cache\" v2: key = role ARN + subject "
                 "(connection)."});
  if (r.Has("popularity")) {
    JsonReader p = r.Child("popularity",
        {.doc = "Role popularity.",
         .source = "assumption."});
    out->popularity_zipf = p.GetNumber("zipf", out->popularity_zipf, 0, 10,
        {.doc = "Zipf exponent over roles: role k gets a share ~ 1/(k+1)^s (0 = uniform).",
         .source = "assumption."});
    if (absl::Status s = p.Finish(); !s.ok()) return s;
  } else {
    r.GetRaw("popularity");
  }
  out->rate = r.GetNumber("rate", out->rate, 0, kMaxRequestRate,
      {.doc = "Requests per second at curve multiplier 1 (base Poisson process); at most "
              "1e6, and rate x every piecewise multiplier at most 1e6.",
       .source = "assumption."});
  if (const nlohmann::json* rates = r.GetRaw("role_rates",
      {.doc = "Explicit requests/s per role (non-empty); overrides `rate`, `popularity` and "
              "`roles`. Each at most 1e6, their sum at most 1e6.",
       .source = "assumption.",
       .schema = R"json({"type":"array","items":{"type":"number","minimum":0,"description":"Requests/s of one role.","maximum":1000000.0},"minItems":1})json"})) {
    const std::string path = r.PathOf("role_rates");
    if (!rates->is_array() || rates->empty()) {
      r.Fail(path, "expected a non-empty array of requests/s per role");
    } else if (rates->size() > 10000000) {
      r.Fail(path, fmt::format("{} roles are too many; expected at most 10000000 (as traffic.roles)",
                               rates->size()));
    } else {
      double sum = 0;
      for (size_t i = 0; i < rates->size(); ++i) {
        const auto& v = (*rates)[i];
        if (!v.is_number() || !(v.get<double>() >= 0 && v.get<double>() <= kMaxRequestRate)) {
          r.Fail(JsonReader::ElementPath(path, i),
                 fmt::format("expected a number from 0 to {} (requests/s)", kMaxRequestRate));
          break;
        }
        out->role_rates.push_back(v.get<double>());
        sum += v.get<double>();
      }
      if (r.ok() && sum > kMaxRequestRate) {
        r.Fail(path, fmt::format("the rates add up to {} requests/s; expected a sum of at most {}",
                                 sum, kMaxRequestRate));
      }
      out->roles = static_cast<int64_t>(out->role_rates.size());
    }
  }
  if (absl::Status s = ParseCurve(r, out); !s.ok()) return s;

  const auto bursts = r.GetArray("bursts",
      {.doc = "Flash crowds: extra arrivals for one role, Poisson (`rate`, `duration`) or "
              "exactly `count` within `spread`.",
       .source = "assumption."});
  for (size_t i = 0; i < bursts.size(); ++i) {
    JsonReader b(*bursts[i], JsonReader::ElementPath(r.PathOf("bursts"), i), r);
    BurstConfig bc;
    // When: `start` (offset from t = 0) or `at` (clock time, needs the anchor).
    if (const nlohmann::json* at = b.GetRaw("at",
        {.doc = "Start as a clock time \"HH:MM[:SS]\": its first occurrence at or after t = 0. "
                "Needs `traffic.start_time_of_day`; an alternative to `start`.",
         .source = "assumption.",
         .schema = R"json({"anyOf":[{"type":"null"},{"type":"string","pattern":"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"}],"default":null})json"}); at && !at->is_null()) {
      absl::StatusOr<Duration> clock =
          at->is_string() ? ParseTimeOfDay(at->get<std::string>())
                          : absl::StatusOr<Duration>(absl::InvalidArgumentError(
                                "expected a clock time \"HH:MM\" or \"HH:MM:SS\" (00:00 to "
                                "23:59:59), or null"));
      if (b.ok() && !clock.ok()) {
        b.Fail(b.PathOf("at"), std::string(clock.status().message()));
      } else if (b.ok() && !out->start_time_of_day) {
        b.Fail(b.PathOf("at"), "a clock time needs traffic.start_time_of_day; expected "
                               "\"start\" (a duration from t = 0) instead, or set "
                               "traffic.start_time_of_day");
      } else if (b.ok() && b.Has("start")) {
        b.Fail(b.PathOf("at"), "\"at\" (clock time) and \"start\" (offset from t = 0) are "
                               "alternatives; expected one of them");
      } else if (b.ok()) {
        bc.at = *clock;
        bc.start = OffsetOf(*clock, *out->start_time_of_day);
      }
      b.GetDuration("start", bc.start);  // known key
    } else {
      bc.start = b.GetDuration("start", bc.start,
          {.doc = "Start as an offset from t = 0 (the beginning of the warm-up).",
           .source = "assumption."});
    }
    // How many: Poisson (`rate`, `duration`) or exact (`count`, `spread`).
    if (const nlohmann::json* count = b.GetRaw("count",
        {.doc = "Exactly this many requests, at instants uniform in [start, start + spread) "
                "(sorted, O(1) state); an alternative to `rate` + `duration`; null: a Poisson "
                "burst.",
         .source = "assumption.",
         .schema = R"json({"anyOf":[{"type":"null"},{"type":"integer","minimum":0,"maximum":1000000000}],"default":null})json"}); count && !count->is_null()) {
      bc.count = b.GetInt("count", 0, 0, kMaxBurstCount);
      bc.spread = b.GetDuration("spread", bc.spread);
      for (const char* other : {"rate", "duration"}) {
        if (b.ok() && b.Has(other)) {
          b.Fail(b.PathOf(other), "\"count\" + \"spread\" (exactly N requests) and \"rate\" + "
                                  "\"duration\" (Poisson) are alternatives; expected one pair");
        }
      }
      b.GetRaw("rate");
      b.GetRaw("duration");
      if (b.ok() && !CheckedAdd(bc.start, bc.spread)) {
        b.Fail(b.PathOf("spread"),
               fmt::format("start ({}) + spread ({}) does not fit the 64-bit nanosecond clock; "
                           "expected start + spread <= {}",
                           FormatDuration(bc.start), FormatDuration(bc.spread),
                           FormatDuration(kMaxDuration)));
      }
    } else {
      if (b.ok() && b.Has("spread")) {
        b.Fail(b.PathOf("spread"), "\"spread\" goes with \"count\"; expected \"count\" too, "
                                   "or \"duration\" for a Poisson burst");
      }
      b.GetRaw("spread",
          {.doc = "Window of a `count` burst; 0s: all requests at `start`. Only with `count`.",
           .source = "assumption.",
           .schema = R"json({"$ref":"#/$defs/duration","default":"0s"})json"});
      bc.duration = b.GetDuration("duration", bc.duration,
          {.doc = "Length of a Poisson burst (start + duration must fit the 64-bit nanosecond "
                  "clock, about 292 years). Not with `count`.",
           .source = "assumption."});
      bc.rate = b.GetNumber("rate", bc.rate, 0, kMaxRequestRate,
          {.doc = "Extra requests per second during a Poisson burst; at most 1e6. Not with "
                  "`count`.",
           .source = "assumption."});
      if (b.ok() && !CheckedAdd(bc.start, bc.duration)) {
        b.Fail(b.PathOf("duration"),
               fmt::format("start ({}) + duration ({}) does not fit the 64-bit nanosecond clock; "
                           "expected start + duration <= {}",
                           FormatDuration(bc.start), FormatDuration(bc.duration),
                           FormatDuration(kMaxDuration)));
      }
    }
    // Which role: an index, -1 (least popular base role) or "cold".
    if (const nlohmann::json* role = b.GetRaw("role",
            {.schema = R"json({"anyOf": [{"type": "integer", "minimum": -1, "maximum": 10000000}, {"const": "cold"}]})json"});
        role && role->is_string()) {
      if (*role == "cold") {
        bc.cold_role = true;
      } else {
        b.Fail(b.PathOf("role"), "expected -1 (the least popular role), a role index, or "
                                 "\"cold\" (a fresh role base traffic never produces)");
      }
    } else {
      bc.role = b.GetInt("role", bc.role, -1, 10000000,
          {.doc = "Role of the burst: a role index, -1 = the least popular base role, or \"cold\" "
                  "= a fresh role past every base role that base traffic never produces (one per "
                  "cold burst, numbered in burst order; not covered by the deployment prewarm).",
           .source = "assumption."});
    }
    // Where: "uniform", "weighted" or a list of colo names.
    if (const nlohmann::json* colos = b.GetRaw("colos",
            {.schema = R"json({"anyOf": [{"type": "string", "enum": ["uniform", "weighted"]}, {"type": "array", "minItems": 1, "items": {"type": "string"}}]})json"});
        colos && colos->is_array()) {
      const std::string path = b.PathOf("colos");
      if (colos->empty()) b.Fail(path, "expected at least one colo name");
      for (size_t k = 0; k < colos->size() && b.ok(); ++k) {
        const nlohmann::json& name = (*colos)[k];
        if (!name.is_string()) {
          b.Fail(JsonReader::ElementPath(path, k), "expected a colo name (a string)");
          break;
        }
        for (const std::string& seen : bc.colos) {
          if (seen == name.get<std::string>()) {
            b.Fail(JsonReader::ElementPath(path, k),
                   fmt::format("\"{}\" is listed twice; expected distinct colo names", seen));
          }
        }
        bc.colos.push_back(name.get<std::string>());
      }
    } else {
      bc.uniform_colos = b.GetEnum("colos", "uniform", {"uniform", "weighted"},
          {.doc = "\"uniform\": every colo equally (hot everywhere); \"weighted\": by colo weight; "
                  "or a list of colo names (`world.colos.list[].name`, or colo000, colo001, ... "
                  "for generated colos): uniformly over those only.",
           .source = "assumption."}) == "uniform";
    }
    if (absl::Status s = b.Finish(); !s.ok()) return s;
    out->bursts.push_back(std::move(bc));
  }
  const auto failovers = r.GetArray("failovers",
      {.doc = "Move the arrivals of one colo to another during a window.",
       .source = "sources.md §P1 (anycast routing)."});
  for (size_t i = 0; i < failovers.size(); ++i) {
    JsonReader f(*failovers[i], JsonReader::ElementPath(r.PathOf("failovers"), i), r);
    FailoverConfig fc;
    fc.at = f.GetDuration("at", fc.at,
        {.doc = "Start of the failover.",
         .source = "assumption."});
    fc.until = f.GetOptionalDuration("until",
        {.doc = "End of the failover; null = until the end.",
         .source = "assumption."});
    fc.from = static_cast<uint32_t>(f.GetInt("from", 0, 0, 100000,
        {.doc = "Colo index whose traffic moves.",
         .source = "assumption."}));
    fc.to = static_cast<uint32_t>(f.GetInt("to", 1, 0, 100000,
        {.doc = "Colo index receiving it.",
         .source = "assumption."}));
    if (absl::Status s = f.Finish(); !s.ok()) return s;
    out->failovers.push_back(fc);
  }
  if (r.Has("trace")) {
    JsonReader t = r.Child("trace",
        {.doc = "Replay per-minute invocation counts of an Azure Functions 2019 invocations "
                "file (one role per function; each minute's count placed uniformly in that "
                "minute). Replaces the base process (`rate`, `roles`, `popularity`, "
                "`role_rates`, `curve`); bursts still apply. The `azure-trace` scenario reads "
                "the sample in ../shared/data/azure-functions-2019-sample (never copied).",
         .source = "Azure Functions Trace 2019."});
    TraceConfig tc;
    tc.path = t.GetString("path", "",
        {.doc = "invocations.csv (header HashOwner,HashApp,HashFunction,Trigger,1,2,...; at "
                "most 527040 minute columns; cells are digits only, at most 60000000); must be "
                "a regular file of at most 256 MiB; relative paths are resolved against the "
                "scenario file's directory.",
         .source = "Azure Functions Trace 2019 (Shahrad et al., USENIX ATC 2020).",
         .schema = R"json({"minLength": 1})json",
         .required = true});
    if (tc.path.empty() && t.ok()) t.Fail(t.PathOf("path"), "a trace needs the path of an invocations.csv");
    if (!tc.path.empty() && tc.path[0] != '/') tc.path = base_dir + "/" + tc.path;
    tc.max_functions = t.GetInt("max_functions", 0, 0, 100000000,
        {.doc = "Read at most this many functions (rows); 0 = all.",
         .source = "assumption."});
    tc.scale = t.GetNumber("scale", 1.0, 0, 1e6,
        {.doc = "Multiply every count (fractional parts drawn at random); every count x scale "
                "must be at most 60000000 per minute.",
         .source = "assumption."});
    if (absl::Status s = t.Finish(); !s.ok()) return s;
    out->trace = tc;
  } else {
    r.GetRaw("trace");
  }
  // The base process draws candidates at rate x the curve's largest multiplier.
  if (!out->trace && out->curve == TrafficConfig::Curve::kPiecewise && r.ok()) {
    double base = out->rate;
    if (!out->role_rates.empty()) {
      base = 0;
      for (double x : out->role_rates) base += x;
    }
    for (size_t i = 0; i < out->points.size(); ++i) {
      if (base * out->points[i].multiplier > kMaxRequestRate) {
        r.Fail(fmt::format("{}.points[{}].multiplier", r.PathOf("curve"), i),
               fmt::format("{} requests/s x {} = {} requests/s is too many; expected rate x "
                           "multiplier <= {}",
                           base, out->points[i].multiplier, base * out->points[i].multiplier,
                           kMaxRequestRate));
        break;
      }
    }
  }
  for (size_t i = 0; i < out->bursts.size() && r.ok(); ++i) {
    if (!out->bursts[i].cold_role && out->bursts[i].role >= out->roles && !out->trace) {
      r.Fail(fmt::format("{}[{}].role", r.PathOf("bursts"), i),
             fmt::format("role {} does not exist; expected -1 or 0..{}, or \"cold\"", out->bursts[i].role,
                         out->roles - 1));
    }
  }
  return r.status();
}

namespace {

// A cell or path as shown in a message: at most 40 characters, control bytes as '?'.
std::string Shown(std::string_view text) {
  std::string out(text.substr(0, 40));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7f) c = '?';
  }
  if (text.size() > 40) out += "...";
  return out;
}

// Splits `text` into lines like std::getline: "a\nb" and "a\nb\n" are both {"a", "b"}.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  bool Next(std::string_view* line) {
    if (pos_ >= text_.size()) return false;
    const size_t nl = text_.find('\n', pos_);
    const size_t end = nl == std::string_view::npos ? text_.size() : nl;
    *line = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return true;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

const std::string kTraceFileAccepted =
    fmt::format("expected a regular file of at most {} bytes (256 MiB)", kMaxTraceFileBytes);

}  // namespace

absl::StatusOr<Trace> ParseAzureTrace(std::string_view text, const std::string& name,
                                      int64_t max_functions) {
  Lines lines(text);
  std::string_view line;
  if (!lines.Next(&line) || line.rfind("HashOwner,HashApp,HashFunction,Trigger", 0) != 0) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: not an Azure Functions 2019 invocations file (expected header "
        "HashOwner,HashApp,HashFunction,Trigger,<minute>...)",
        name));
  }
  const size_t columns = static_cast<size_t>(std::count(line.begin(), line.end(), ',')) + 1;
  if (columns < 5) {
    return absl::InvalidArgumentError(fmt::format("{}: header has no minute columns", name));
  }
  if (columns - 4 > kMaxTraceMinutes) {
    return absl::InvalidArgumentError(fmt::format(
        "{}:1: {} minute columns are too many; expected at most {} (366 days)", name,
        columns - 4, kMaxTraceMinutes));
  }
  Trace trace;
  size_t row = 1;
  while (lines.Next(&line)) {
    ++row;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (max_functions > 0 && static_cast<int64_t>(trace.counts.size()) >= max_functions) break;
    std::vector<uint32_t> counts;
    counts.reserve(columns - 4);
    size_t col = 0;
    for (size_t begin = 0;; ++col) {
      const size_t comma = line.find(',', begin);
      const std::string_view cell =
          line.substr(begin, comma == std::string_view::npos ? std::string_view::npos : comma - begin);
      if (col >= 4) {
        if (counts.size() == columns - 4) {
          return absl::InvalidArgumentError(fmt::format(
              "{}:{}:{}: more cells than the header; expected {} minute columns", name, row,
              col + 1, columns - 4));
        }
        bool digits = !cell.empty();
        for (char c : cell) digits = digits && c >= '0' && c <= '9';
        if (!digits) {
          return absl::InvalidArgumentError(fmt::format(
              "{}:{}:{}: \"{}\" is not a count; expected an integer from 0 to {} (digits only)",
              name, row, col + 1, Shown(cell), kMaxTraceCountPerMinute));
        }
        uint64_t v = 0;
        for (char c : cell) {
          v = v * 10 + static_cast<uint64_t>(c - '0');
          if (v > kMaxTraceCountPerMinute) break;
        }
        if (v > kMaxTraceCountPerMinute) {
          return absl::InvalidArgumentError(fmt::format(
              "{}:{}:{}: {} is out of range; expected an integer from 0 to {} (invocations per "
              "minute)",
              name, row, col + 1, Shown(cell), kMaxTraceCountPerMinute));
        }
        counts.push_back(static_cast<uint32_t>(v));
      }
      if (comma == std::string_view::npos) break;
      begin = comma + 1;
    }
    if (counts.size() != columns - 4) {
      return absl::InvalidArgumentError(fmt::format("{}:{}: expected {} minute columns, got {}",
                                                    name, row, columns - 4, counts.size()));
    }
    trace.counts.push_back(std::move(counts));
  }
  if (trace.counts.empty()) {
    return absl::InvalidArgumentError(fmt::format("{}: no functions in the trace", name));
  }
  return trace;
}

absl::StatusOr<Trace> LoadAzureTrace(const TraceConfig& config) {
  const std::string& path = config.path;
  // stat first: never open a FIFO (blocks), a device (/dev/zero never ends) or a directory.
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(fmt::format("cannot open trace file {} ({}); {}", path,
                                           std::strerror(errno), kTraceFileAccepted));
  }
  auto check = [&](const struct stat& s) -> absl::Status {
    if (!S_ISREG(s.st_mode)) {
      const char* kind = S_ISDIR(s.st_mode)    ? "a directory"
                         : S_ISFIFO(s.st_mode) ? "a FIFO"
                         : S_ISCHR(s.st_mode)  ? "a character device"
                         : S_ISBLK(s.st_mode)  ? "a block device"
                         : S_ISSOCK(s.st_mode) ? "a socket"
                                               : "not a regular file";
      return absl::InvalidArgumentError(
          fmt::format("{}: is {}; {}", path, kind, kTraceFileAccepted));
    }
    if (s.st_size > kMaxTraceFileBytes) {
      return absl::InvalidArgumentError(fmt::format("{}: {} bytes is too large; {}", path,
                                                    static_cast<int64_t>(s.st_size),
                                                    kTraceFileAccepted));
    }
    return absl::OkStatus();
  };
  if (absl::Status s = check(st); !s.ok()) return s;
  // O_NONBLOCK: if the path was swapped for a FIFO since the stat, open does not block; fstat
  // then rejects it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(fmt::format("cannot open trace file {} ({}); {}", path,
                                           std::strerror(errno), kTraceFileAccepted));
  }
  std::string text;
  absl::Status status;
  if (::fstat(fd, &st) != 0) {
    status = absl::InternalError(fmt::format("cannot stat trace file {} ({})", path, std::strerror(errno)));
  } else {
    status = check(st);
  }
  if (status.ok()) {
    text.resize(static_cast<size_t>(st.st_size));
    size_t used = 0;
    for (;;) {
      if (used == text.size()) {
        // The file grew since the stat: keep reading, but never past the limit.
        if (text.size() > static_cast<size_t>(kMaxTraceFileBytes)) {
          status = absl::InvalidArgumentError(fmt::format(
              "{}: grew past {} bytes while being read; {}", path, kMaxTraceFileBytes,
              kTraceFileAccepted));
          break;
        }
        text.resize(std::min(text.size() + (size_t{1} << 20),
                             static_cast<size_t>(kMaxTraceFileBytes) + 1));
      }
      const ssize_t n = ::read(fd, text.data() + used, text.size() - used);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = absl::InternalError(fmt::format("cannot read trace file {} ({})", path, std::strerror(errno)));
        break;
      }
      if (n == 0) break;
      used += static_cast<size_t>(n);
    }
    text.resize(used);
  }
  ::close(fd);
  if (!status.ok()) return status;

  absl::StatusOr<Trace> trace = ParseAzureTrace(text, path, config.max_functions);
  if (!trace.ok()) return trace.status();
  // Scaled counts must stay within the per-minute cap (and fit the uint32 of the replay).
  uint32_t max_count = 0;
  size_t max_row = 0, max_col = 0;
  for (size_t f = 0; f < trace->counts.size(); ++f) {
    for (size_t m = 0; m < trace->counts[f].size(); ++m) {
      if (trace->counts[f][m] > max_count) {
        max_count = trace->counts[f][m];
        max_row = f;
        max_col = m;
      }
    }
  }
  if (static_cast<double>(max_count) * config.scale > kMaxTraceCountPerMinute) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: the largest count, {} (function {}, minute column {}), x traffic.trace.scale {} = "
        "{} invocations per minute is too many; expected count x scale <= {}",
        path, max_count, max_row, max_col + 5, config.scale,
        static_cast<double>(max_count) * config.scale, kMaxTraceCountPerMinute));
  }
  return trace;
}

namespace {

// Expected arrivals of the base process (or the trace) in [0, h) seconds.
double ExpectedBaseArrivals(const TrafficConfig& config, double h, const Trace* trace) {
  double total = 0;
  if (config.trace) {
    if (trace != nullptr) {
      for (const std::vector<uint32_t>& counts : trace->counts) {
        for (size_t m = 0; m < counts.size(); ++m) {
          const double fraction = std::clamp((h - 60.0 * static_cast<double>(m)) / 60.0, 0.0, 1.0);
          if (fraction <= 0) break;
          total += counts[m] * config.trace->scale * fraction;
        }
      }
    }
    return total;
  }
  double base = config.rate;
  if (!config.role_rates.empty()) {
    base = 0;
    for (double r : config.role_rates) base += r;
  }
  double integral = 0;  // of the multiplier over [0, h), in seconds
  switch (config.curve) {
    case TrafficConfig::Curve::kConstant:
      integral = h;
      break;
    case TrafficConfig::Curve::kPiecewise: {
      double from = 0, m = 1.0;
      for (const CurvePoint& p : config.points) {
        const double at = std::min(p.at.seconds(), h);
        if (at > from) {
          integral += m * (at - from);
          from = at;
        }
        m = p.multiplier;
      }
      if (h > from) integral += m * (h - from);
      break;
    }
    case TrafficConfig::Curve::kDiurnal: {
      const double lo = config.diurnal_trough;
      const double period = config.diurnal_period.seconds();
      const double peak = config.diurnal_peak_at.seconds();
      const double w = 2 * std::numbers::pi / period;
      // m(t) = lo + (1 - lo) (1 + cos(w (t - peak))) / 2
      integral = h * (1 + lo) / 2 +
                 (1 - lo) / 2 * (std::sin(w * (h - peak)) - std::sin(w * (0 - peak))) / w;
      break;
    }
  }
  return base * integral;
}

}  // namespace

double ExpectedArrivals(const TrafficConfig& config, Duration horizon, const Trace* trace) {
  const double h = std::max(0.0, horizon.seconds());
  double total = ExpectedBaseArrivals(config, h, trace);
  for (const BurstConfig& b : config.bursts) {
    const double start = b.start.seconds();
    if (b.count) {
      if (*b.count <= 0 || start >= h) continue;
      const double spread = b.spread.seconds();
      total += static_cast<double>(*b.count) *
               (spread > 0 ? std::clamp((h - start) / spread, 0.0, 1.0) : 1.0);
      continue;
    }
    if (b.rate <= 0) continue;
    const double stop = std::min(start + b.duration.seconds(), h);
    if (stop > start) total += b.rate * (stop - start);
  }
  return total;
}

double BaseRequestRateForServers(const TrafficConfig& config, Duration horizon, const Trace* trace) {
  const double h = horizon.seconds();
  if (!(h > 0)) return 0;
  return ExpectedBaseArrivals(config, h, trace) / h;
}

size_t BaseRoleCount(const TrafficConfig& config, const Trace* trace) {
  if (config.trace) return trace != nullptr ? trace->counts.size() : 0;
  return config.role_rates.empty() ? static_cast<size_t>(config.roles) : config.role_rates.size();
}

size_t RoleCount(const TrafficConfig& config, const Trace* trace) {
  size_t n = BaseRoleCount(config, trace);
  for (const BurstConfig& b : config.bursts) n += b.cold_role ? 1 : 0;
  return n;
}

absl::Status ValidateBurstColos(const TrafficConfig& traffic, const ColoSet& colos) {
  for (size_t i = 0; i < traffic.bursts.size(); ++i) {
    const std::vector<std::string>& names = traffic.bursts[i].colos;
    for (size_t k = 0; k < names.size(); ++k) {
      if (colos.Find(names[k]) >= 0) continue;
      std::string accepted =
          colos.size() == 0 ? std::string("(no colos)")
                            : fmt::format("\"{}\"", colos.colo(0).name);
      if (colos.size() > 1) accepted += fmt::format(" .. \"{}\"", colos.colo(colos.size() - 1).name);
      return absl::InvalidArgumentError(fmt::format(
          "traffic.bursts[{}].colos[{}]: \"{}\" is not a colo; expected a name of "
          "world.colos ({} colos: {})",
          i, k, names[k].substr(0, 40), colos.size(), accepted));
    }
  }
  return absl::OkStatus();
}

TrafficGenerator::TrafficGenerator(const TrafficConfig& config, const ColoSet& colos,
                                   uint64_t seed, std::shared_ptr<const Trace> trace)
    : config_(config), colos_(colos), trace_(std::move(trace)) {
  if (!config.role_rates.empty()) {
    roles_ = WeightedChoice(config.role_rates);
    base_rate_ = 0;
    for (double r : config.role_rates) base_rate_ += r;
  } else {
    roles_ = WeightedChoice::Zipf(static_cast<size_t>(config.roles), config.popularity_zipf);
    base_rate_ = config.rate;
  }
  base_roles_ = BaseRoleCount(config, trace_.get());
  if (config.curve == TrafficConfig::Curve::kPiecewise) {
    max_multiplier_ = config.points.empty() || config.points[0].at > Duration() ? 1.0 : 0.0;
    for (const CurvePoint& p : config.points) max_multiplier_ = std::max(max_multiplier_, p.multiplier);
  }
  if (config.trace) {
    for (size_t f = 0; f < trace_->counts.size(); ++f) {
      auto s = std::make_unique<Source>();
      s->kind = Source::Kind::kTrace;
      s->index = f;
      s->rng = Rng::ForStream(seed, "traffic.trace", f);
      sources_.push_back(std::move(s));
    }
  } else if (base_rate_ > 0 && max_multiplier_ > 0) {
    auto s = std::make_unique<Source>();
    s->kind = Source::Kind::kBase;
    s->rng = Rng::ForStream(seed, "traffic.base");
    sources_.push_back(std::move(s));
  }
  for (size_t b = 0; b < config.bursts.size(); ++b) {
    const BurstConfig& bc = config.bursts[b];
    // Cold roles are numbered in burst order, also for bursts that never fire.
    uint32_t role = 0;
    if (bc.cold_role) {
      role = static_cast<uint32_t>(base_roles_ + cold_roles_++);
    } else {
      role = bc.role < 0 ? static_cast<uint32_t>(base_roles_ - 1) : static_cast<uint32_t>(bc.role);
    }
    if (bc.count ? *bc.count <= 0 : bc.rate <= 0) continue;
    auto s = std::make_unique<Source>();
    s->kind = Source::Kind::kBurst;
    s->index = b;
    s->rng = Rng::ForStream(seed, "traffic.burst", b);
    s->role = role;
    s->uniform_colos = bc.uniform_colos;
    for (const std::string& name : bc.colos) {
      const int64_t c = colos.Find(name);
      if (c < 0) {
        throw std::invalid_argument(fmt::format(
            "traffic.bursts[{}].colos: \"{}\" is not a colo (ValidateBurstColos)", b, name));
      }
      s->colos.push_back(static_cast<uint32_t>(c));
    }
    sources_.push_back(std::move(s));
  }
}

TrafficGenerator::~TrafficGenerator() = default;

size_t TrafficGenerator::role_count() const { return base_roles_ + cold_roles_; }

size_t TrafficGenerator::base_role_count() const { return base_roles_; }

double TrafficGenerator::Multiplier(Time t) const {
  switch (config_.curve) {
    case TrafficConfig::Curve::kConstant:
      return 1.0;
    case TrafficConfig::Curve::kPiecewise: {
      double m = 1.0;
      for (const CurvePoint& p : config_.points) {
        if (p.at.nanos() > t.nanos()) break;
        m = p.multiplier;
      }
      return m;
    }
    case TrafficConfig::Curve::kDiurnal: {
      const double phase = 2 * std::numbers::pi *
                           (t.since_start() - config_.diurnal_peak_at).seconds() /
                           config_.diurnal_period.seconds();
      return config_.diurnal_trough + (1 - config_.diurnal_trough) * (1 + std::cos(phase)) / 2;
    }
  }
  return 1.0;
}

uint32_t TrafficGenerator::MapColo(uint32_t colo, Time t) const {
  for (const FailoverConfig& f : config_.failovers) {
    if (f.from == colo && t.since_start() >= f.at && (!f.until || t.since_start() < *f.until)) {
      return f.to;
    }
  }
  return colo;
}

Arrival TrafficGenerator::Make(uint32_t role, Source& src) {
  Rng& rng = src.rng;
  Arrival a;
  a.role = role;
  a.session = config_.sessions_per_role > 1
                  ? static_cast<uint32_t>(rng.UniformInt(config_.sessions_per_role))
                  : 0;
  uint32_t picked = 0;
  if (!src.colos.empty()) {
    picked = src.colos.size() > 1 ? src.colos[rng.UniformInt(src.colos.size())] : src.colos[0];
  } else if (src.uniform_colos) {
    picked = static_cast<uint32_t>(rng.UniformInt(colos_.size()));
  } else {
    picked = static_cast<uint32_t>(colos_.traffic_weights().Sample(rng));
  }
  a.colo = MapColo(picked, queue_->now());
  const int servers = colos_.colo(a.colo).servers;
  // Uniform: any of the colo's servers. Sharded: the Worker's shard server (server 0).
  a.server = servers > 1 && colos_.routing() == ColoConfig::Routing::kUniform
                 ? static_cast<uint32_t>(rng.UniformInt(servers))
                 : 0;
  return a;
}

void TrafficGenerator::Start(EventQueue& queue, Time end, ArrivalSink* sink) {
  queue_ = &queue;
  sink_ = sink;
  end_ = end;
  for (size_t i = 0; i < sources_.size(); ++i) {
    Source& s = *sources_[i];
    s.next = queue.now();
    if (s.kind == Source::Kind::kBurst) {
      const BurstConfig& b = config_.bursts[s.index];
      s.next = Time() + b.start;
      if (b.count) {
        s.remaining = static_cast<uint64_t>(*b.count);
        s.position = 0;
      }
    }
    if (s.kind == Source::Kind::kTrace) {
      s.minute = 0;
      s.remaining = 0;
      s.position = 1.0;  // forces loading minute 0
      s.minute = static_cast<size_t>(-1);
    }
    ScheduleNext(i);
  }
}

void TrafficGenerator::ScheduleNext(size_t i) {
  Source& s = *sources_[i];
  switch (s.kind) {
    case Source::Kind::kBase: {
      const double rate = base_rate_ * max_multiplier_;
      for (;;) {
        // gap >= end_ - next is next + gap >= end_ without overflow (tiny rates give huge gaps).
        const Duration gap = Duration::FromSecondsF(-std::log(s.rng.UniformOpen01()) / rate);
        if (gap >= end_ - s.next) return;
        s.next += gap;
        if (max_multiplier_ == 1.0 && config_.curve == TrafficConfig::Curve::kConstant) break;
        if (s.rng.Uniform01() * max_multiplier_ < Multiplier(s.next)) break;
      }
      break;
    }
    case Source::Kind::kBurst: {
      const BurstConfig& b = config_.bursts[s.index];
      if (b.count) {
        // The next of `remaining` sorted uniforms on (position, 1) of the spread.
        if (s.remaining == 0) return;
        if (b.spread > Duration()) {
          s.position = 1 - (1 - s.position) *
                               std::pow(s.rng.UniformOpen01(), 1.0 / static_cast<double>(s.remaining));
          s.next = Time() + b.start +
                   std::min(Duration::FromSecondsF(b.spread.seconds() * s.position),
                            b.spread - Duration::Nanos(1));
        }
        --s.remaining;
        if (s.next >= end_) return;
        break;
      }
      const Duration gap = Duration::FromSecondsF(-std::log(s.rng.UniformOpen01()) / b.rate);
      // stop = min(end, start + duration) (the sum is checked by the loader; saturate anyway).
      const Time stop = std::min(end_, CheckedAdd(Time() + b.start, b.duration).value_or(Time::Infinite()));
      if (gap >= stop - s.next) return;
      s.next += gap;
      break;
    }
    case Source::Kind::kTrace: {
      const std::vector<uint32_t>& counts = trace_->counts[s.index];
      while (s.remaining == 0) {
        ++s.minute;
        if (s.minute >= counts.size()) return;
        double c = counts[s.minute] * config_.trace->scale;
        uint32_t n = static_cast<uint32_t>(c);
        if (c - n > 0 && s.rng.Uniform01() < c - n) ++n;
        s.remaining = n;
        s.position = 0;
      }
      // The next of `remaining` sorted uniforms on (position, 1).
      s.position = 1 - (1 - s.position) * std::pow(s.rng.UniformOpen01(), 1.0 / static_cast<double>(s.remaining));
      --s.remaining;
      s.next = Time() + Duration::Minutes(static_cast<int64_t>(s.minute)) +
               Duration::FromSecondsF(60.0 * s.position);
      if (s.next >= end_) return;
      break;
    }
  }
  // The base process (one source, always exactly one pending arrival) uses the queue's side
  // slot: the same (time, seq) order as Schedule, without a heap operation.
  if (s.kind == Source::Kind::kBase) {
    queue_->ScheduleSide(s.next, [this, i] { Fire(i); });
  } else {
    queue_->Schedule(s.next, [this, i] { Fire(i); });
  }
}

void TrafficGenerator::Fire(size_t i) {
  Source& s = *sources_[i];
  Arrival a;
  switch (s.kind) {
    case Source::Kind::kBase:
      a = Make(static_cast<uint32_t>(roles_.Sample(s.rng)), s);
      break;
    case Source::Kind::kBurst:
      a = Make(s.role, s);
      break;
    case Source::Kind::kTrace:
      a = Make(static_cast<uint32_t>(s.index), s);
      break;
  }
  ScheduleNext(i);
  sink_->OnArrival(a);
}

}  // namespace credsim
