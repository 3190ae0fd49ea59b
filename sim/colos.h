// Colos (Cloudflare data centres), their regions, traffic weights and the network between
// them.
//
// Defaults: 330 colos ("over 330 cities", platform.md §1) with a heavy-tailed traffic share
// (Zipf, exponent 1: an assumption), spread over the nine Durable Object location-hint
// regions in fixed proportions (assumption), one server per colo for the Worker (Worker
// sharding, platform.md §2). Round-trip times between regions are an assumption (a small
// matrix, overridable per pair); within a region the RTT is `intra_region_rtt`.
#ifndef CREDSIM_SIM_COLOS_H_
#define CREDSIM_SIM_COLOS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sim/json_reader.h"
#include "sim/time.h"
#include "sim/weighted_choice.h"

namespace credsim {

inline constexpr int kRegionCount = 9;
// Durable Object location hints (platform.md §5).
inline constexpr std::array<const char*, kRegionCount> kRegionNames = {
    "wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"};
int RegionIndex(std::string_view name);  // -1 if unknown

struct ColoSpec {
  std::string name;
  int region = 0;
  double weight = 1;
  int servers = 1;
};

struct ColoConfig {
  // Either generated (`count`, `weights`) or an explicit `list`.
  int count = 330;
  double zipf_exponent = 1.0;     // "weights": {"zipf": 1.0} or "uniform"
  int servers_per_colo = 1;       // servers that hold an isolate of the Worker in a colo
  std::vector<ColoSpec> list;     // explicit colos (overrides count/weights)
  Duration intra_region_rtt = Duration::Millis(10);
  // rtt_ms[a][b]: round trip between regions a != b (assumption, see colos.cc).
  std::array<std::array<double, kRegionCount>, kRegionCount> rtt_ms;
  int sts_region = 1;             // us-east-1 (global endpoint) ~ "enam"
};
ColoConfig DefaultColoConfig();
// Reads `{"count", "weights", "servers_per_colo", "list", "intra_region_rtt", "rtt",
// "sts_region"}`.
absl::Status ParseColoConfig(JsonReader& r, ColoConfig* out);

// The materialized set of colos of a run.
class ColoSet {
 public:
  explicit ColoSet(const ColoConfig& config);

  size_t size() const { return colos_.size(); }
  const ColoSpec& colo(size_t i) const { return colos_[i]; }
  const WeightedChoice& traffic_weights() const { return weights_; }
  Duration Rtt(uint32_t a, uint32_t b) const;
  Duration RttToRegion(uint32_t colo, int region) const;
  int sts_region() const { return sts_region_; }

 private:
  std::vector<ColoSpec> colos_;
  WeightedChoice weights_;
  Duration intra_;
  std::array<std::array<double, kRegionCount>, kRegionCount> rtt_ms_;
  int sts_region_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_COLOS_H_
