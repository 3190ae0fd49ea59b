// `l1`: the real proxy today. A per-isolate L1Cache (variant v0/v1/v2, see l1_cache.h) whose
// miss path signs a JWT and calls STS. Also home of L1Provider, the CredentialProvider that
// every L1-fronted strategy uses (revocation filter + L1Cache over some CredentialSource).
//
// JSON params (flat):
//   "variant": "v0"|"v1"|"v2" (default "v2"), "refresh_lead": "60s", "min_serve": "5s",
//   "claim_timeout": "30s", "v1_wait": "waiter_promise"|"holder_promise" (default
//   "waiter_promise"; v1 on Workers only, see L1V1Wait in l1_cache.h),
//   "revocation": {"enabled", "poll_interval", "disconnect_threshold", "drop_on_403"}
#ifndef CREDSIM_STRATEGIES_L1_STRATEGY_H_
#define CREDSIM_STRATEGIES_L1_STRATEGY_H_

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

// Per-isolate provider: polls the revocation feed lazily (RevocationFilter::MaybePoll) and
// serves through an L1Cache whose misses call `source`. OnCredentialRejected drops the L1
// entry holding the rejected credentials when revocation.drop_on_403 is set. Owns the filter
// and the source (the source may hold a pointer to the filter, e.g. to vet L2/KV entries).
class L1Provider final : public CredentialProvider {
 public:
  L1Provider(const L1Config& l1, std::unique_ptr<RevocationFilter> filter,
             std::unique_ptr<CredentialSource> source, IsolatePorts& ports);

  Task<AuthResult> GetCredentials(AuthRequest request) override;
  bool TryGetCredentialsNow(const AuthRequest& request, AuthResult* out) override;
  void OnCredentialRejected(CredentialKey key, const Credentials& c) override;

  const L1Cache& cache() const { return cache_; }
  const RevocationFilter& filter() const { return *filter_; }
  CredentialSource& source() { return *source_; }

 private:
  std::unique_ptr<RevocationFilter> filter_;
  std::unique_ptr<CredentialSource> source_;
  L1Cache cache_;
};

struct L1StrategyConfig {
  L1Config l1;
  RevocationOptions revocation;
};
// Reads all keys above from `r` (the caller calls r.Finish()).
absl::Status ParseL1StrategyConfig(JsonReader& r, L1StrategyConfig* out);

class L1Strategy final : public Strategy {
 public:
  explicit L1Strategy(const L1StrategyConfig& config) : config_(config) {}
  // Reads the parameters above and calls params.Finish().
  static absl::StatusOr<std::unique_ptr<Strategy>> Create(JsonReader& params);

  std::string_view kind() const override { return "l1"; }
  nlohmann::json params() const override;
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override;
  const L1StrategyConfig& config() const { return config_; }

 private:
  L1StrategyConfig config_;
};

}  // namespace credsim

#endif  // CREDSIM_STRATEGIES_L1_STRATEGY_H_
