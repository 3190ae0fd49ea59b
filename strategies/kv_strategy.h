// `kv`: L1 plus global Workers KV (sources.md §S5 "Workers KV"; sources.md §P8 KV). On an
// L1 miss the isolate reads KV (with cacheTtl = `cache_ttl`) and uses the value if it still
// has the margin (E > now + kv_margin) and the revocation filter admits it (source kKv).
// Otherwise (not found, too close to expiry, read error) it signs a JWT, calls STS and writes
// KV with expirationTtl = E − now − kv_margin, skipping the write when that is below
// `min_expiration_ttl` (KV's 60 s minimum). The write is awaited inline. A failed write (429
// when many colos write one key within a second, or any other KV error) is not a request
// failure: the request succeeds with the STS credentials. Readers in other colos see the old
// value (or not-found) until the write propagates.
//
// Why kv_margin defaults to 5 min (assumption, sweep it): a value read from KV must outlive
// L1's refresh lead (60 s) or L1 would treat it as due for renewal at once and re-read KV on
// every request; it must also survive KV staleness (a colo may see an old value for up to
// max(60 s propagation, cacheTtl) after a newer write). 60 s + 60 s + 60 s cacheTtl = 3 min is
// the floor; 5 min leaves room for STS latency and clock skew, in line with the seed's
// "generous expiry margin" and the L2 tier's 300 s lead. The KV entry expires exactly when it
// stops being usable, so expired credentials are never served from KV.
//
// JSON params (flat): the L1 keys of ParseL1Config, "cache_ttl": "60s", "kv_margin": "5m",
//   "min_expiration_ttl": "60s", "revocation": {...}.
#ifndef CREDSIM_STRATEGIES_KV_STRATEGY_H_
#define CREDSIM_STRATEGIES_KV_STRATEGY_H_

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

struct KvStrategyConfig {
  L1Config l1;
  // cacheTtl passed to KV get; sources.md: 60 s default (30 s minimum on the current page).
  Duration cache_ttl = Duration::Seconds(60);
  // Serve a KV value only if E > now + kv_margin; write TTL = E − now − kv_margin.
  // Assumption (see the file comment).
  Duration kv_margin = Duration::Minutes(5);
  // sources.md: KV expirationTtl must be ≥ 60 s; shorter writes are skipped.
  Duration min_expiration_ttl = Duration::Seconds(60);
  RevocationOptions revocation;
};
// Reads all keys above from `r` (the caller calls r.Finish()).
absl::Status ParseKvStrategyConfig(JsonReader& r, KvStrategyConfig* out);

// The KV tier as L1's CredentialSource.
class KvSource final : public CredentialSource {
 public:
  struct Stats {
    int64_t hits = 0;
    int64_t not_found = 0;
    int64_t too_close = 0;      // value present but E ≤ now + kv_margin
    int64_t not_admitted = 0;   // rejected by the revocation filter
    int64_t read_errors = 0;
    int64_t writes_ok = 0;
    int64_t writes_rate_limited = 0;  // 429
    int64_t writes_failed = 0;        // other write errors
    int64_t writes_skipped = 0;       // TTL below min_expiration_ttl
  };
  // `filter` may be null.
  KvSource(const KvStrategyConfig& config, Clock& clock, TokenSigner& signer, StsClient& sts,
           KvNamespace& kv, const RevocationFilter* filter);
  Task<AuthResult> Fetch(CredentialKey key) override;
  const Stats& stats() const { return stats_; }

 private:
  const Duration cache_ttl_;
  const Duration margin_;
  const Duration min_expiration_ttl_;
  Clock& clock_;
  TokenSigner& signer_;
  StsClient& sts_;
  KvNamespace& kv_;
  const RevocationFilter* filter_;
  Stats stats_;
};

class KvStrategy final : public Strategy {
 public:
  explicit KvStrategy(const KvStrategyConfig& config) : config_(config) {}
  // Reads the parameters above and calls params.Finish().
  static absl::StatusOr<std::unique_ptr<Strategy>> Create(JsonReader& params);

  std::string_view kind() const override { return "kv"; }
  nlohmann::json params() const override;
  // Returns an L1Provider (l1_strategy.h) whose source is a KvSource.
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override;
  const KvStrategyConfig& config() const { return config_; }

 private:
  KvStrategyConfig config_;
};

}  // namespace credsim

#endif  // CREDSIM_STRATEGIES_KV_STRATEGY_H_
