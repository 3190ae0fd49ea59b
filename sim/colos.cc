#include "sim/colos.h"

#include <cmath>

#include "fmt/format.h"
#include "fmt/ranges.h"

namespace credsim {
namespace {

// Share of colos per region (assumption, roughly following Cloudflare's network map).
constexpr std::array<double, kRegionCount> kRegionShare = {0.10, 0.16, 0.08, 0.18, 0.08,
                                                           0.22, 0.04, 0.07, 0.07};

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
  out->count = static_cast<int>(r.GetInt("count", out->count, 1, 5000));
  if (const nlohmann::json* w = r.GetRaw("weights")) {
    const std::string path = r.PathOf("weights");
    if (w->is_string() && *w == "uniform") {
      out->zipf_exponent = 0;
    } else if (w->is_object()) {
      JsonReader wr(*w, path, r);
      out->zipf_exponent = wr.GetNumber("zipf", out->zipf_exponent, 0, 10);
      if (absl::Status s = wr.Finish(); !s.ok()) return s;
    } else {
      r.Fail(path, "expected \"uniform\" or {\"zipf\": <exponent >= 0>}");
    }
  }
  out->servers_per_colo = static_cast<int>(r.GetInt("servers_per_colo", out->servers_per_colo, 1, 1000));
  out->intra_region_rtt = r.GetDuration("intra_region_rtt", out->intra_region_rtt);
  std::string sts = r.GetEnum("sts_region", kRegionNames[out->sts_region],
                              {"wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"});
  out->sts_region = RegionIndex(sts);
  if (const nlohmann::json* rtt = r.GetRaw("rtt")) {
    JsonReader rr(*rtt, r.PathOf("rtt"), r);
    for (int a = 0; a < kRegionCount; ++a) {
      for (int b = 0; b < kRegionCount; ++b) {
        if (a == b) continue;
        const std::string key = fmt::format("{}-{}", kRegionNames[a], kRegionNames[b]);
        if (!rr.Has(key)) {
          rr.GetRaw(key);  // known key
          continue;
        }
        const Duration d = rr.GetDuration(key, Duration());
        out->rtt_ms[a][b] = out->rtt_ms[b][a] = d.millis();
      }
    }
    if (absl::Status s = rr.Finish(); !s.ok()) return s;
  }
  const auto elements = r.GetArray("list");
  const std::string list_path = r.PathOf("list");
  for (size_t i = 0; i < elements.size(); ++i) {
    JsonReader e(*elements[i], JsonReader::ElementPath(list_path, i), r);
    ColoSpec spec;
    spec.name = e.GetString("name", fmt::format("colo{}", i));
    const std::string region = e.GetString("region", "enam");
    spec.region = RegionIndex(region);
    if (spec.region < 0) {
      e.Fail(e.PathOf("region"),
             fmt::format("\"{}\" is not a region; expected one of {}", region, RegionList()));
    }
    spec.weight = e.GetNumber("weight", 1.0, 0, 1e12);
    spec.servers = static_cast<int>(e.GetInt("servers", out->servers_per_colo, 1, 1000));
    if (absl::Status s = e.Finish(); !s.ok()) return s;
    out->list.push_back(std::move(spec));
  }
  if (!elements.empty()) {
    double sum = 0;
    for (const ColoSpec& c : out->list) sum += c.weight;
    if (!(sum > 0)) r.Fail(list_path, "at least one colo needs a weight > 0");
  }
  return r.status();
}

ColoSet::ColoSet(const ColoConfig& config)
    : intra_(config.intra_region_rtt), rtt_ms_(config.rtt_ms), sts_region_(config.sts_region) {
  if (!config.list.empty()) {
    colos_ = config.list;
  } else {
    // Assign regions by largest deficit against the target shares: deterministic and
    // interleaved, so the busiest colos land in different regions.
    std::array<int, kRegionCount> assigned{};
    for (int i = 0; i < config.count; ++i) {
      int best = 0;
      double best_deficit = -1e18;
      for (int r = 0; r < kRegionCount; ++r) {
        const double deficit = kRegionShare[r] * (i + 1) - assigned[r];
        if (deficit > best_deficit + 1e-12) {
          best_deficit = deficit;
          best = r;
        }
      }
      ++assigned[best];
      ColoSpec spec;
      spec.name = fmt::format("colo{:03}", i);
      spec.region = best;
      spec.weight = std::pow(static_cast<double>(i + 1), -config.zipf_exponent);
      spec.servers = config.servers_per_colo;
      colos_.push_back(std::move(spec));
    }
  }
  std::vector<double> w;
  for (const ColoSpec& c : colos_) w.push_back(c.weight);
  weights_ = WeightedChoice(w);
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
