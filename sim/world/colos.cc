#include "sim/world/colos.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "fmt/format.h"
#include "fmt/ranges.h"

namespace credsim {

namespace {
// {"enum": [the region names]}: the schema of a region key.
std::string_view RegionEnumSchema() {
  static const std::string* schema = [] {
    std::string s = R"({"enum": [)";
    for (int i = 0; i < kRegionCount; ++i) s += fmt::format("{}\"{}\"", i ? ", " : "", kRegionNames[i]);
    return new std::string(s + "]}");
  }();
  return *schema;
}
}  // namespace
namespace {

// kDefaultRegionTrafficShare (colos.h) is an assumption. The only per-region source found
// counts Internet users (Internet World Stats, Q1 2020: Asia 50.3 %, Europe 15.9 %, Africa
// 11.5 %, Latin America 10.1 %, North America 7.6 %, Middle East 3.9 %, Oceania 0.6 %;
// https://datacenternews.asia/story/asia-home-to-half-of-the-world-s-internet-users). That
// measures people, not the requests of a Worker whose backend is AWS: the workloads credsim
// studies (business APIs calling AWS STS) are assumed to be used mostly from North America
// and Europe, so the default gives North America 40 % (wnam 18 %, enam 22 %), Europe 29 %
// (weur 22 %, eeur 7 %), Asia-Pacific 15 %, South America 6 %, the Middle East 4 %, Oceania
// and Africa 3 % each. Cloudflare Radar publishes per-country HTTP request shares only as
// charts (not retrievable here); set `region_traffic_share` from them for a given audience.

// Round trips between regions in ms (assumption: great-circle distance at ~2/3 c plus
// routing overhead). Order: wnam, enam, sam, weur, eeur, apac, oc, afr, me.
constexpr std::array<std::array<double, kRegionCount>, kRegionCount> kDefaultRttMs = {{
    {0, 70, 150, 140, 170, 120, 160, 250, 220},
    {70, 0, 120, 80, 110, 200, 220, 200, 170},
    {150, 120, 0, 190, 220, 300, 300, 330, 280},
    {140, 80, 190, 0, 35, 250, 280, 150, 100},
    {170, 110, 220, 35, 0, 220, 300, 170, 90},
    {120, 200, 300, 250, 220, 0, 120, 300, 180},
    {160, 220, 300, 280, 300, 120, 0, 350, 250},
    {250, 200, 330, 150, 170, 300, 350, 0, 130},
    {220, 170, 280, 100, 90, 180, 250, 130, 0},
}};

std::string RegionList() { return fmt::format("{}", fmt::join(kRegionNames, ", ")); }

}  // namespace

int RegionIndex(std::string_view name) {
  for (int i = 0; i < kRegionCount; ++i) {
    if (name == kRegionNames[i]) return i;
  }
  return -1;
}

ColoConfig DefaultColoConfig() {
  ColoConfig c;
  c.rtt_ms = kDefaultRttMs;
  return c;
}

absl::Status ParseColoConfig(JsonReader& r, ColoConfig* out) {
  out->count = static_cast<int>(r.GetInt("count", out->count, 1, 5000,
      {.doc = "Number of generated colos (colo000 is the busiest); assigned to the nine "
              "regions so that each region's share of the traffic weight matches "
              "`region_traffic_share`. Ignored when `list` is given.",
       .source = "sources.md §P1: \"over 330 cities\"; §P9."}));
  if (const nlohmann::json* w = r.GetRaw("weights",
      {.doc = "Traffic share of the generated colos: \"uniform\", or {\"zipf\": s} (the colo of "
              "rank i gets weight 1/(i+1)^s).",
       .source = "assumption (sources.md §P8: request share per colo is heavy-tailed).",
       .schema = R"json({"oneOf":[{"const":"uniform"},{"type":"object","additionalProperties":false}],"default":{"zipf":1.0}})json"})) {
    const std::string path = r.PathOf("weights");
    if (w->is_string() && *w == "uniform") {
      out->zipf_exponent = 0;
    } else if (w->is_object()) {
      JsonReader wr(*w, path, r);
      out->zipf_exponent = wr.GetNumber("zipf", out->zipf_exponent, 0, 10,
          {.doc = "Zipf exponent of the colo traffic weights (0 = uniform).", .source = "assumption (sources.md §P8)."});
      if (absl::Status s = wr.Finish(); !s.ok()) return s;
    } else {
      r.Fail(path, "expected \"uniform\" or {\"zipf\": <exponent >= 0>}");
    }
  }
  {
    // Given: replaces the default whole (absent regions 0). Absent: the keys are still read
    // (with the defaults) so that every key path is known.
    const bool given = r.Has("region_traffic_share");
    JsonReader sr = r.Child("region_traffic_share",
        {.doc = "Share of the generated colos' traffic weight per region. A given object "
                "replaces the default whole (absent regions get 0); the shares must add up to "
                "1 within 0.001 (else rejected) and are then normalised. Ranks are assigned to "
                "regions busiest first, each to the region with the largest remaining deficit. "
                "Ignored when `list` is given.",
         .source = "assumption (NA/EU-heavy audience; Internet-user counts would put half in "
                   "Asia, see docs/scenarios.md)."});
    std::array<double, kRegionCount> share{};
    double sum = 0;
    for (int i = 0; i < kRegionCount; ++i) {
      const std::string doc = fmt::format("Traffic share of {}.", kRegionLongNames[i]);
      share[i] = sr.GetNumber(kRegionNames[i], given ? 0.0 : out->region_traffic_share[i], 0, 1,
                              {.doc = doc, .source = "assumption."});
      sum += share[i];
    }
    if (absl::Status s = sr.Finish(); !s.ok()) return s;
    if (given) {
      if (!(std::abs(sum - 1) <= 1e-3)) {
        r.Fail(r.PathOf("region_traffic_share"),
               fmt::format("the shares add up to {}; expected shares of the regions {} adding up "
                           "to 1 (within 0.001; absent regions are 0)",
                           sum, RegionList()));
      } else {
        for (double& x : share) x /= sum;
        out->region_traffic_share = share;
      }
    }
  }
  {
    const std::string path = r.PathOf("servers_per_colo");
    const nlohmann::json* spc = r.GetRaw("servers_per_colo",
        {.doc = "Servers per colo holding an isolate of the Worker (each server has at most "
                "one live isolate): an integer (every colo that many), or by the colo's "
                "expected request rate λ = base rate x the colo's traffic share: clamp(ceil(λ "
                "/ requests_per_server), 1, max).",
         .source = "sources.md §P2 Worker sharding; §P8 Isolates (low-traffic Workers on one "
                   "shard server per colo, hot colos spread over more; counts unpublished).",
         .schema = R"json({"anyOf":[{"type":"integer","minimum":1,"maximum":1000},{"type":"object","additionalProperties":false}],"default":{"requests_per_server":25,"max":32}})json"});
    static const nlohmann::json kEmpty = nlohmann::json::object();
    const bool by_rate = spc == nullptr || spc->is_object();
    // The object's keys are read in both forms so that every key path is known.
    JsonReader sr(by_rate && spc != nullptr ? *spc : kEmpty, path, r);
    const double rps = sr.GetNumber("requests_per_server", out->requests_per_server, 1e-6, 1e9,
        {.doc = "Expected requests/s of the Worker one server takes before the colo spreads over another.", .source = "assumption (counts unpublished, sources.md §P8)."});
    const int max = static_cast<int>(sr.GetInt("max", out->max_servers_per_colo, 1, 1000,
        {.doc = "Most servers of one colo.", .source = "assumption."}));
    if (absl::Status s = sr.Finish(); !s.ok()) return s;
    if (spc == nullptr) {
      // keep the defaults (by rate unless a caller preset a fixed count)
    } else if (spc->is_object()) {
      out->servers_per_colo = 0;
      out->requests_per_server = rps;
      out->max_servers_per_colo = max;
    } else {
      const std::optional<int64_t> n = ExactInt64(*spc);
      if (!n || *n < 1 || *n > 1000) {
        r.Fail(path, "expected an integer from 1 to 1000 (servers in every colo) or "
                     "{\"requests_per_server\": r > 0, \"max\": 1..1000} (servers by the colo's "
                     "request rate)");
      } else {
        out->servers_per_colo = static_cast<int>(*n);
      }
    }
  }
  out->routing = r.GetEnum("routing", out->routing == ColoConfig::Routing::kSharded ? "sharded" : "uniform",
                           {"uniform", "sharded"},
      {.doc = "Server of a request within its colo: \"uniform\" (drawn uniformly among the "
              "colo's servers) or \"sharded\" (every request of the Worker to its shard "
              "server, server 0; overflow to other servers not modelled).",
       .source = "sources.md §P2 Worker sharding; uniform is an assumption."}) == "sharded"
                     ? ColoConfig::Routing::kSharded
                     : ColoConfig::Routing::kUniform;
  out->intra_region_rtt = r.GetDuration("intra_region_rtt", out->intra_region_rtt,
      {.doc = "Round trip between two colos of the same region.",
       .source = "assumption."});
  std::string sts = r.GetEnum("sts_region", kRegionNames[out->sts_region],
                              {"wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"},
      {.doc = "Region of the STS endpoint (the global endpoint sts.amazonaws.com is "
              "us-east-1 ~ enam).",
       .source = "sources.md §S3 \"The mint\"; sources.md §P7 Endpoints."});
  out->sts_region = RegionIndex(sts);
  if (const nlohmann::json* rtt = r.GetRaw("rtt",
      {.doc = "Round trips between regions, keyed `\"<a>-<b>\"` such as `\"wnam-enam\"` (either "
              "order; one key sets both directions; if both orders are given, the one whose "
              "first region comes later in wnam, enam, sam, weur, eeur, apac, oc, afr, me "
              "wins). Absent pairs keep the default matrix.",
       .source = "assumption.",
       .schema = R"json({"type": "object", "default": {}})json"})) {
    JsonReader rr(*rtt, r.PathOf("rtt"), r);
    const auto defaults = out->rtt_ms;
    for (int a = 0; a < kRegionCount; ++a) {
      for (int b = 0; b < kRegionCount; ++b) {
        if (a == b) continue;
        const std::string key = fmt::format("{}-{}", kRegionNames[a], kRegionNames[b]);
        const std::string doc = fmt::format(
            "Round trip between regions {} and {} (sets both directions).", kRegionNames[a],
            kRegionNames[b]);
        const ParamDoc pair{.doc = doc,
                            .source = "assumption (great-circle distance at ~2/3 c plus "
                                      "routing overhead)."};
        if (!rr.Has(key)) {
          rr.GetDuration(key, Duration::Millis(std::llround(defaults[a][b])), pair);  // known key
          continue;
        }
        const Duration d = rr.GetDuration(key, Duration::Millis(std::llround(defaults[a][b])), pair);
        out->rtt_ms[a][b] = out->rtt_ms[b][a] = d.millis();
      }
    }
    if (absl::Status s = rr.Finish(); !s.ok()) return s;
  }
  const auto elements = r.GetArray("list",
      {.doc = "Explicit colos; overrides `count` and `weights`. At least one weight must be "
              "> 0."});
  const std::string list_path = r.PathOf("list");
  for (size_t i = 0; i < elements.size(); ++i) {
    JsonReader e(*elements[i], JsonReader::ElementPath(list_path, i), r);
    ColoSpec spec;
    spec.name = e.GetString("name", fmt::format("colo{}", i),
        {.doc = "Label of the colo (unique; `traffic.bursts[].colos` refers to it).",
         .derived_default = true});
    const ParamDoc region_doc{.doc = "Region of the colo.",
                              .source = "sources.md §P5 Placement (location hints).",
                              .schema = RegionEnumSchema()};
    const std::string region = e.GetString("region", "enam", region_doc);
    spec.region = RegionIndex(region);
    if (spec.region < 0) {
      e.Fail(e.PathOf("region"),
             fmt::format("\"{}\" is not a region; expected one of {}", region, RegionList()));
    }
    spec.weight = e.GetNumber("weight", 1.0, 0, 1e12,
        {.doc = "Relative traffic share.",
         .source = "assumption."});
    // Absent: servers_per_colo (0 = by the colo's request rate).
    spec.servers = static_cast<int>(e.GetInt("servers", out->servers_per_colo, 1, 1000,
        {.doc = "Servers holding an isolate of the Worker (absent: from `servers_per_colo`, by "
                "this colo's request rate by default).",
         .source = "sources.md §P2.",
         .derived_default = true}));
    if (absl::Status s = e.Finish(); !s.ok()) return s;
    out->list.push_back(std::move(spec));
  }
  if (!elements.empty()) {
    double sum = 0;
    for (const ColoSpec& c : out->list) sum += c.weight;
    if (!(sum > 0)) r.Fail(list_path, "at least one colo needs a weight > 0");
    for (size_t i = 0; i < out->list.size() && r.ok(); ++i) {
      for (size_t k = 0; k < i; ++k) {
        if (out->list[k].name == out->list[i].name) {
          r.Fail(JsonReader::ElementPath(list_path, i) + ".name",
                 fmt::format("\"{}\" is also the name of {}[{}]; expected unique colo names",
                             out->list[i].name, list_path, k));
          break;
        }
      }
    }
  }
  return r.status();
}

int ServersForRate(const ColoConfig& config, double rate) {
  if (config.servers_per_colo > 0) return config.servers_per_colo;
  if (!(rate > 0) || !(config.requests_per_server > 0)) return 1;
  // The small tolerance keeps an exact multiple (50 / 25) from rounding up to 3.
  const double n = std::ceil(rate / config.requests_per_server - 1e-9);
  return static_cast<int>(std::clamp(n, 1.0, static_cast<double>(std::max(1, config.max_servers_per_colo))));
}

ColoSet::ColoSet(const ColoConfig& config, double base_request_rate)
    : routing_(config.routing),
      intra_(config.intra_region_rtt),
      rtt_ms_(config.rtt_ms),
      sts_region_(config.sts_region) {
  if (!config.list.empty()) {
    colos_ = config.list;
  } else {
    // Ranks (busiest first) to regions by largest remaining deficit of traffic weight.
    std::vector<double> weight(config.count);
    double total = 0;
    for (int i = 0; i < config.count; ++i) {
      weight[i] = std::pow(static_cast<double>(i + 1), -config.zipf_exponent);
      total += weight[i];
    }
    double share_sum = 0;
    for (double x : config.region_traffic_share) share_sum += x;
    std::array<double, kRegionCount> deficit{};
    for (int r = 0; r < kRegionCount; ++r) {
      deficit[r] = share_sum > 0 ? config.region_traffic_share[r] / share_sum * total : 0;
    }
    for (int i = 0; i < config.count; ++i) {
      int best = 0;
      for (int r = 1; r < kRegionCount; ++r) {
        if (deficit[r] > deficit[best] + 1e-12 * total) best = r;  // ties: lower index
      }
      deficit[best] -= weight[i];
      ColoSpec spec;
      spec.name = fmt::format("colo{:03}", i);
      spec.region = best;
      spec.weight = weight[i];
      spec.servers = 0;  // from servers_per_colo
      colos_.push_back(std::move(spec));
    }
  }
  std::vector<double> w;
  for (const ColoSpec& c : colos_) w.push_back(c.weight);
  weights_ = WeightedChoice(w);
  for (size_t i = 0; i < colos_.size(); ++i) {
    if (colos_[i].weight > colos_[busiest_].weight) busiest_ = static_cast<uint32_t>(i);
    if (colos_[i].servers <= 0) {
      colos_[i].servers = ServersForRate(config, base_request_rate * weights_.Probability(i));
    }
    total_servers_ += colos_[i].servers;
  }
}

std::array<double, kRegionCount> ColoSet::RegionShares() const {
  std::array<double, kRegionCount> out{};
  for (size_t i = 0; i < colos_.size(); ++i) out[colos_[i].region] += weights_.Probability(i);
  return out;
}

int64_t ColoSet::Find(std::string_view name) const {
  for (size_t i = 0; i < colos_.size(); ++i) {
    if (colos_[i].name == name) return static_cast<int64_t>(i);
  }
  return -1;
}

Duration ColoSet::Rtt(uint32_t a, uint32_t b) const {
  if (a == b) return Duration();
  return RttToRegion(a, colos_[b].region);
}

Duration ColoSet::RttToRegion(uint32_t colo, int region) const {
  const int ra = colos_[colo].region;
  if (ra == region) return intra_;
  return Duration::FromSecondsF(rtt_ms_[ra][region] * 1e-3);
}

}  // namespace credsim
