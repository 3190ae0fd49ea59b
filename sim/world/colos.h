// Colos (Cloudflare data centres), their regions, traffic weights, servers and the network
// between them.
//
// Defaults:
//  * 330 generated colos ("over 330 cities", sources.md §P1) with a heavy-tailed traffic
//    weight: Zipf, exponent 1 (assumption; sources.md §P8 "request share per colo is
//    heavy-tailed"). Colo i (rank i, i = 0 the busiest) is named "colo%03d".
//  * Geography: each of the nine Durable Object location-hint regions gets a target share
//    of the traffic weight (`region_traffic_share`, default kDefaultRegionTrafficShare: an
//    assumption with the busiest colos in North America and Europe, see colos.cc). Ranks are
//    assigned to regions by largest remaining deficit (target weight minus weight assigned so
//    far), busiest rank first, ties to the lower region index. This is deterministic, puts
//    rank 0 in the region with the largest target, and ends with every region's weight close
//    to its target (the error is of the order of the small weights assigned last; with few
//    colos and heavy weights it can be larger); with the default 330 colos every
//    region is within 0.1 percentage points of its target (colos_test.cc; 0.04 achieved).
//  * Servers: `servers_per_colo` > 0 gives every colo that many servers (as before this
//    change); 0 (the default) scales with the colo's expected request rate λ_c = base rate x
//    the colo's traffic share: servers_c = clamp(ceil(λ_c / requests_per_server), 1,
//    max_servers_per_colo) (sources.md §P8: a low-traffic Worker is concentrated on one
//    shard server per colo, hot colos spread over more; exact counts unpublished, so 25
//    requests/s per server and at most 32 servers are assumptions). The base rate is passed
//    to the ColoSet constructor (0: one server each).
//  * Routing within a colo: "uniform" (every request to a server drawn uniformly among the
//    colo's servers; the default) or "sharded" (every request of the Worker to its shard
//    server, server 0: Worker sharding, sources.md §P2; overflow of a hot shard to other
//    servers is not modelled).
//  * Round-trip times between regions are an assumption (a small matrix, overridable per
//    pair); within a region the RTT is `intra_region_rtt`.
#ifndef CREDSIM_SIM_WORLD_COLOS_H_
#define CREDSIM_SIM_WORLD_COLOS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "sim/config/json_reader.h"
#include "sim/engine/time.h"
#include "sim/engine/weighted_choice.h"

namespace credsim {

inline constexpr int kRegionCount = 9;
// The regions' names in prose (the docs of per-region parameters), in kRegionNames' order.
inline constexpr std::array<const char*, kRegionCount> kRegionLongNames = {
    "Western North America", "Eastern North America", "South America", "Western Europe",
    "Eastern Europe", "Asia-Pacific", "Oceania", "Africa", "the Middle East"};
// Durable Object location hints (sources.md §P5).
inline constexpr std::array<const char*, kRegionCount> kRegionNames = {
    "wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"};
int RegionIndex(std::string_view name);  // -1 if unknown

// Default traffic share per region (assumption, documented in colos.cc and
// docs/scenarios.md): North America 40 %, Europe 29 %, Asia-Pacific 15 %, the rest 16 %.
inline constexpr std::array<double, kRegionCount> kDefaultRegionTrafficShare = {
    0.18, 0.22, 0.06, 0.22, 0.07, 0.15, 0.03, 0.03, 0.04};

struct ColoSpec {
  std::string name;
  int region = 0;
  double weight = 1;
  // Servers holding an isolate of the Worker. 0: from ColoConfig::servers_per_colo (fixed
  // count or by request rate); the loader writes 0 for a `list` entry without "servers".
  int servers = 1;
};

struct ColoConfig {
  enum class Routing { kUniform, kSharded };

  // Either generated (`count`, `weights`, `region_traffic_share`) or an explicit `list`.
  int count = 330;
  double zipf_exponent = 1.0;     // "weights": {"zipf": 1.0} or "uniform"
  // Target share of the traffic weight per region (sums to 1; generated colos only).
  std::array<double, kRegionCount> region_traffic_share = kDefaultRegionTrafficShare;
  // > 0: fixed servers per colo. 0: by the colo's expected request rate (below).
  int servers_per_colo = 0;
  double requests_per_server = 25;  // requests/s one server takes before the colo adds one
  int max_servers_per_colo = 32;
  Routing routing = Routing::kUniform;
  std::vector<ColoSpec> list;     // explicit colos (overrides count/weights/shares)
  Duration intra_region_rtt = Duration::Millis(10);
  // rtt_ms[a][b]: round trip between regions a != b (assumption, see colos.cc).
  std::array<std::array<double, kRegionCount>, kRegionCount> rtt_ms;
  int sts_region = 1;             // us-east-1 (global endpoint) ~ "enam"
};
ColoConfig DefaultColoConfig();
// Reads `{"count", "weights", "region_traffic_share", "servers_per_colo", "routing", "list",
// "intra_region_rtt", "rtt", "sts_region"}`. `region_traffic_share` replaces the default
// whole (absent regions get 0); its values must add up to 1 within 0.001 (else rejected),
// and are then normalised to sum exactly 1. `servers_per_colo` is an integer (fixed count)
// or {"requests_per_server": r, "max": m} (by request rate).
absl::Status ParseColoConfig(JsonReader& r, ColoConfig* out);

// Servers of a colo with expected request rate `rate` (requests/s) under `config`:
// config.servers_per_colo if > 0, else clamp(ceil(rate / requests_per_server), 1, max).
int ServersForRate(const ColoConfig& config, double rate);

// The materialized set of colos of a run.
class ColoSet {
 public:
  // `base_request_rate`: the Worker's base requests/s over all colos (see
  // BaseRequestRateForServers in sim/traffic.h); each colo's expected rate is that times its
  // traffic share. 0 gives one server per colo unless servers are fixed.
  explicit ColoSet(const ColoConfig& config, double base_request_rate = 0);

  size_t size() const { return colos_.size(); }
  const ColoSpec& colo(size_t i) const { return colos_[i]; }
  const WeightedChoice& traffic_weights() const { return weights_; }
  // Share of the traffic weight of colo i (sums to 1 over colos).
  double traffic_share(size_t i) const { return weights_.Probability(i); }
  // Achieved traffic share per region (sums to 1).
  std::array<double, kRegionCount> RegionShares() const;
  // The colo with the largest traffic weight (lowest index on ties).
  uint32_t busiest_colo() const { return busiest_; }
  // Index of the colo named `name`, or -1.
  int64_t Find(std::string_view name) const;
  int64_t total_servers() const { return total_servers_; }
  ColoConfig::Routing routing() const { return routing_; }
  Duration Rtt(uint32_t a, uint32_t b) const;
  Duration RttToRegion(uint32_t colo, int region) const;
  int sts_region() const { return sts_region_; }

 private:
  std::vector<ColoSpec> colos_;
  WeightedChoice weights_;
  uint32_t busiest_ = 0;
  int64_t total_servers_ = 0;
  ColoConfig::Routing routing_;
  Duration intra_;
  std::array<std::array<double, kRegionCount>, kRegionCount> rtt_ms_;
  int sts_region_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_COLOS_H_
