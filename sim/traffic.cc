#include "sim/traffic.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>

#include "fmt/format.h"

namespace credsim {

struct TrafficGenerator::Source {
  enum class Kind { kBase, kBurst, kTrace } kind;
  size_t index = 0;  // burst index or trace function
  Rng rng{0};
  Time next;
  // Trace replay state.
  size_t minute = 0;
  uint32_t remaining = 0;
  double position = 0;  // fraction of the current minute already passed
};

namespace {

absl::Status ParseCurve(JsonReader& r, TrafficConfig* out) {
  if (!r.Has("curve")) {
    r.GetRaw("curve");
    return r.status();
  }
  JsonReader c = r.Child("curve");
  const std::string type = c.GetEnum("type", "constant", {"constant", "piecewise", "diurnal"});
  if (type == "piecewise") {
    out->curve = TrafficConfig::Curve::kPiecewise;
    const auto pts = c.GetArray("points");
    if (pts.empty() && c.ok()) c.Fail(c.PathOf("points"), "a piecewise curve needs at least one point");
    for (size_t i = 0; i < pts.size(); ++i) {
      JsonReader p(*pts[i], JsonReader::ElementPath(c.PathOf("points"), i), c);
      CurvePoint cp;
      cp.at = p.GetDuration("at", Duration());
      cp.multiplier = p.GetNumber("multiplier", 1.0, 0, 1e6);
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
  out->diurnal_period = c.GetDuration("period", out->diurnal_period);
  out->diurnal_peak_at = c.GetDuration("peak_at", out->diurnal_peak_at);
  out->diurnal_trough = c.GetNumber("trough", out->diurnal_trough, 0, 1);
  if (out->diurnal_period <= Duration() && c.ok()) c.Fail(c.PathOf("period"), "must be > 0");
  return c.Finish();
}

}  // namespace

absl::Status ParseTrafficConfig(JsonReader& r, const std::string& base_dir, TrafficConfig* out) {
  out->roles = r.GetInt("roles", out->roles, 1, 10000000);
  out->sessions_per_role = r.GetInt("sessions_per_role", out->sessions_per_role, 1, 1000000);
  if (r.Has("popularity")) {
    JsonReader p = r.Child("popularity");
    out->popularity_zipf = p.GetNumber("zipf", out->popularity_zipf, 0, 10);
    if (absl::Status s = p.Finish(); !s.ok()) return s;
  } else {
    r.GetRaw("popularity");
  }
  out->rate = r.GetNumber("rate", out->rate, 0, 1e9);
  if (const nlohmann::json* rates = r.GetRaw("role_rates")) {
    const std::string path = r.PathOf("role_rates");
    if (!rates->is_array() || rates->empty()) {
      r.Fail(path, "expected a non-empty array of requests/s per role");
    } else {
      for (size_t i = 0; i < rates->size(); ++i) {
        const auto& v = (*rates)[i];
        if (!v.is_number() || v.get<double>() < 0) {
          r.Fail(JsonReader::ElementPath(path, i), "expected a number >= 0 (requests/s)");
          break;
        }
        out->role_rates.push_back(v.get<double>());
      }
      out->roles = static_cast<int64_t>(out->role_rates.size());
    }
  }
  if (absl::Status s = ParseCurve(r, out); !s.ok()) return s;

  const auto bursts = r.GetArray("bursts");
  for (size_t i = 0; i < bursts.size(); ++i) {
    JsonReader b(*bursts[i], JsonReader::ElementPath(r.PathOf("bursts"), i), r);
    BurstConfig bc;
    bc.start = b.GetDuration("start", bc.start);
    bc.duration = b.GetDuration("duration", bc.duration);
    bc.rate = b.GetNumber("rate", bc.rate, 0, 1e9);
    bc.role = b.GetInt("role", bc.role, -1, 10000000);
    bc.uniform_colos = b.GetEnum("colos", "uniform", {"uniform", "weighted"}) == "uniform";
    if (absl::Status s = b.Finish(); !s.ok()) return s;
    out->bursts.push_back(bc);
  }
  const auto failovers = r.GetArray("failovers");
  for (size_t i = 0; i < failovers.size(); ++i) {
    JsonReader f(*failovers[i], JsonReader::ElementPath(r.PathOf("failovers"), i), r);
    FailoverConfig fc;
    fc.at = f.GetDuration("at", fc.at);
    fc.until = f.GetOptionalDuration("until");
    fc.from = static_cast<uint32_t>(f.GetInt("from", 0, 0, 100000));
    fc.to = static_cast<uint32_t>(f.GetInt("to", 1, 0, 100000));
    if (absl::Status s = f.Finish(); !s.ok()) return s;
    out->failovers.push_back(fc);
  }
  if (r.Has("trace")) {
    JsonReader t = r.Child("trace");
    TraceConfig tc;
    tc.path = t.GetString("path", "");
    if (tc.path.empty() && t.ok()) t.Fail(t.PathOf("path"), "a trace needs the path of an invocations.csv");
    if (!tc.path.empty() && tc.path[0] != '/') tc.path = base_dir + "/" + tc.path;
    tc.max_functions = t.GetInt("max_functions", 0, 0, 100000000);
    tc.scale = t.GetNumber("scale", 1.0, 0, 1e6);
    if (absl::Status s = t.Finish(); !s.ok()) return s;
    out->trace = tc;
  } else {
    r.GetRaw("trace");
  }
  for (size_t i = 0; i < out->bursts.size() && r.ok(); ++i) {
    if (out->bursts[i].role >= out->roles && !out->trace) {
      r.Fail(fmt::format("{}[{}].role", r.PathOf("bursts"), i),
             fmt::format("role {} does not exist; expected -1 or 0..{}", out->bursts[i].role,
                         out->roles - 1));
    }
  }
  return r.status();
}

absl::StatusOr<Trace> LoadAzureTrace(const TraceConfig& config) {
  std::ifstream in(config.path);
  if (!in) return absl::NotFoundError(fmt::format("cannot open trace file {}", config.path));
  Trace trace;
  std::string line;
  if (!std::getline(in, line) || line.rfind("HashOwner,HashApp,HashFunction,Trigger", 0) != 0) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: not an Azure Functions 2019 invocations file (expected header "
        "HashOwner,HashApp,HashFunction,Trigger,<minute>...)",
        config.path));
  }
  const size_t columns = static_cast<size_t>(std::count(line.begin(), line.end(), ',')) + 1;
  if (columns < 5) {
    return absl::InvalidArgumentError(fmt::format("{}: header has no minute columns", config.path));
  }
  size_t row = 1;
  while (std::getline(in, line)) {
    ++row;
    if (line.empty()) continue;
    if (config.max_functions > 0 && static_cast<int64_t>(trace.counts.size()) >= config.max_functions) break;
    std::vector<uint32_t> counts;
    counts.reserve(columns - 4);
    std::stringstream ss(line);
    std::string cell;
    for (size_t col = 0; std::getline(ss, cell, ','); ++col) {
      if (col < 4) continue;
      char* endp = nullptr;
      const unsigned long v = std::strtoul(cell.c_str(), &endp, 10);
      if (cell.empty() || *endp != '\0' && *endp != '\r') {
        return absl::InvalidArgumentError(fmt::format(
            "{}:{}: column {} is \"{}\", expected a non-negative integer count", config.path,
            row, col + 1, cell));
      }
      counts.push_back(static_cast<uint32_t>(v));
    }
    if (counts.size() != columns - 4) {
      return absl::InvalidArgumentError(fmt::format("{}:{}: expected {} minute columns, got {}",
                                                    config.path, row, columns - 4, counts.size()));
    }
    trace.counts.push_back(std::move(counts));
  }
  if (trace.counts.empty()) {
    return absl::InvalidArgumentError(fmt::format("{}: no functions in the trace", config.path));
  }
  return trace;
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
    if (config.bursts[b].rate <= 0) continue;
    auto s = std::make_unique<Source>();
    s->kind = Source::Kind::kBurst;
    s->index = b;
    s->rng = Rng::ForStream(seed, "traffic.burst", b);
    sources_.push_back(std::move(s));
  }
}

TrafficGenerator::~TrafficGenerator() = default;

size_t TrafficGenerator::role_count() const {
  return config_.trace ? trace_->counts.size() : roles_.size();
}

double TrafficGenerator::MaxMultiplier() const { return max_multiplier_; }

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

Arrival TrafficGenerator::Make(uint32_t role, bool uniform_colos, Rng& rng) {
  Arrival a;
  a.role = role;
  a.session = config_.sessions_per_role > 1
                  ? static_cast<uint32_t>(rng.UniformInt(config_.sessions_per_role))
                  : 0;
  const uint32_t picked = static_cast<uint32_t>(
      uniform_colos ? rng.UniformInt(colos_.size()) : colos_.traffic_weights().Sample(rng));
  a.colo = MapColo(picked, queue_->now());
  const int servers = colos_.colo(a.colo).servers;
  a.server = servers > 1 ? static_cast<uint32_t>(rng.UniformInt(servers)) : 0;
  return a;
}

void TrafficGenerator::Start(EventQueue& queue, Time end, ArrivalSink* sink) {
  queue_ = &queue;
  sink_ = sink;
  end_ = end;
  for (size_t i = 0; i < sources_.size(); ++i) {
    Source& s = *sources_[i];
    s.next = queue.now();
    if (s.kind == Source::Kind::kBurst) s.next = Time() + config_.bursts[s.index].start;
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
        s.next += Duration::FromSecondsF(-std::log(s.rng.UniformOpen01()) / rate);
        if (s.next >= end_) return;
        if (max_multiplier_ == 1.0 && config_.curve == TrafficConfig::Curve::kConstant) break;
        if (s.rng.Uniform01() * max_multiplier_ < Multiplier(s.next)) break;
      }
      break;
    }
    case Source::Kind::kBurst: {
      const BurstConfig& b = config_.bursts[s.index];
      s.next += Duration::FromSecondsF(-std::log(s.rng.UniformOpen01()) / b.rate);
      if (s.next >= Time() + b.start + b.duration || s.next >= end_) return;
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
      s.position = 1 - (1 - s.position) * std::pow(s.rng.UniformOpen01(), 1.0 / s.remaining);
      --s.remaining;
      s.next = Time() + Duration::Minutes(static_cast<int64_t>(s.minute)) +
               Duration::FromSecondsF(60.0 * s.position);
      if (s.next >= end_) return;
      break;
    }
  }
  queue_->Schedule(s.next, [this, i] { Fire(i); });
}

void TrafficGenerator::Fire(size_t i) {
  Source& s = *sources_[i];
  Arrival a;
  switch (s.kind) {
    case Source::Kind::kBase:
      a = Make(static_cast<uint32_t>(roles_.Sample(s.rng)), false, s.rng);
      break;
    case Source::Kind::kBurst: {
      const BurstConfig& b = config_.bursts[s.index];
      const uint32_t role = b.role < 0 ? static_cast<uint32_t>(role_count() - 1)
                                       : static_cast<uint32_t>(b.role);
      a = Make(role, b.uniform_colos, s.rng);
      break;
    }
    case Source::Kind::kTrace:
      a = Make(static_cast<uint32_t>(s.index), false, s.rng);
      break;
  }
  ScheduleNext(i);
  sink_->OnArrival(a);
}

}  // namespace credsim
