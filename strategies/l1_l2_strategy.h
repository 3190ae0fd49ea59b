// `l1_l2`: L1 plus the per-colo Cache API tier of PR #175 (sources.md §S4 "L2 per-colo
// Cache API tier"). The L2 sits inside the STS HTTP call, under L1's fetch: on an L1 miss the
// isolate signs the JWT (even when L2 then hits), matches the colo cache (key per role +
// session), and on a miss calls STS and awaits the put inline with
// TTL = Expiration − now − l2_ttl_lead. Nothing is cached when that TTL is ≤ 0 or on STS
// errors; cache read errors count as misses. No single-flight at L2.
//
// JSON params (flat): the L1 keys of ParseL1Config, "l2_ttl_lead": "300s",
//   "revocation": {...} (RevocationOptions; L2 entries the filter rejects are misses).
#ifndef CREDSIM_STRATEGIES_L1_L2_STRATEGY_H_
#define CREDSIM_STRATEGIES_L1_L2_STRATEGY_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sim/config/json_reader.h"
#include "sim/engine/task.h"
#include "strategies/l1_cache.h"
#include "strategies/ports/ports.h"
#include "strategies/revocation_filter.h"
#include "strategies/ports/strategy.h"

namespace credsim {

struct L1L2StrategyConfig {
  L1Config l1;
  // PR #175: L2 TTL = Expiration − now − 300 s.
  Duration l2_ttl_lead = Duration::Seconds(300);
  RevocationOptions revocation;
};
// Reads all keys above from `r` (the caller calls r.Finish()).
absl::Status ParseL1L2StrategyConfig(JsonReader& r, L1L2StrategyConfig* out);

// The L2 tier as L1's CredentialSource: sign JWT, then Cache API match (hit → source kL2),
// else STS (source kSts) and an inline put.
class ColoCacheSource final : public CredentialSource {
 public:
  struct Stats {
    int64_t hits = 0;
    int64_t misses = 0;        // including read errors and entries the filter rejected
    int64_t read_errors = 0;
    int64_t not_admitted = 0;
    int64_t puts = 0;
    int64_t skipped_puts = 0;  // TTL ≤ 0
  };
  // `filter` may be null.
  ColoCacheSource(Duration ttl_lead, Clock& clock, TokenSigner& signer, StsClient& sts,
                  ColoCache& cache, const RevocationFilter* filter);
  Task<AuthResult> Fetch(CredentialKey key) override;
  const Stats& stats() const { return stats_; }

 private:
  const Duration ttl_lead_;
  Clock& clock_;
  TokenSigner& signer_;
  StsClient& sts_;
  ColoCache& cache_;
  const RevocationFilter* filter_;
  Stats stats_;
};

class L1L2Strategy final : public Strategy {
 public:
  explicit L1L2Strategy(const L1L2StrategyConfig& config) : config_(config) {}
  // Reads the parameters above and calls params.Finish().
  static absl::StatusOr<std::unique_ptr<Strategy>> Create(JsonReader& params);

  std::string_view kind() const override { return "l1_l2"; }
  nlohmann::json params() const override;
  // Returns an L1Provider (l1_strategy.h) whose source is a ColoCacheSource.
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override;
  const L1L2StrategyConfig& config() const { return config_; }

 private:
  L1L2StrategyConfig config_;
};

}  // namespace credsim

#endif  // CREDSIM_STRATEGIES_L1_L2_STRATEGY_H_
