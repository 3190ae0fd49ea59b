#include "strategies/kv_strategy.h"

#include <utility>

#include "strategies/l1_strategy.h"

namespace credsim {

absl::Status ParseKvStrategyConfig(JsonReader& r, KvStrategyConfig* out) {
  KvStrategyConfig c;
  if (absl::Status s = ParseL1Config(r, &c.l1); !s.ok()) return s;
  c.cache_ttl = r.GetDuration("cache_ttl", c.cache_ttl,
      {.doc = "cacheTtl passed to KV get() on the request path.",
       .source = "sources.md §P4 cacheTtl: default 60 s."});
  c.kv_margin = r.GetDuration("kv_margin", c.kv_margin,
      {.doc = "Use a KV value only if E > now + kv_margin; writes use expirationTtl = E - "
              "now - kv_margin. Must outlive L1's refresh lead plus KV staleness.",
       .source = "assumption (strategies/kv_strategy.h explains the 5 min); sweep it."});
  c.min_expiration_ttl = r.GetDuration("min_expiration_ttl", c.min_expiration_ttl,
      {.doc = "Skip the KV write when expirationTtl would be below this.",
       .source = "sources.md §P4 Expiration: expirationTtl >= 60 s."});
  if (!r.ok()) return r.status();
  if (absl::Status s = ParseRevocationOptions(r, &c.revocation); !s.ok()) return s;
  *out = c;
  return absl::OkStatus();
}

KvSource::KvSource(const KvStrategyConfig& config, Clock& clock, TokenSigner& signer, StsClient& sts,
                   KvNamespace& kv, const RevocationFilter* filter)
    : cache_ttl_(config.cache_ttl),
      margin_(config.kv_margin),
      min_expiration_ttl_(config.min_expiration_ttl),
      clock_(clock),
      signer_(signer),
      sts_(sts),
      kv_(kv),
      filter_(filter) {}

Task<AuthResult> KvSource::Fetch(CredentialKey key) {
  const KvRead read = co_await kv_.Get(key, cache_ttl_);
  if (read.status == KvStatus::kOk && read.value) {
    if (read.value->expiration <= clock_.Now() + margin_) {
      ++stats_.too_close;
    } else if (filter_ != nullptr && !filter_->Admit(key, *read.value)) {
      ++stats_.not_admitted;
    } else {
      ++stats_.hits;
      co_return AuthResult{FailureStatus::kOk, *read.value, Tier::kKv};
    }
  } else if (read.status == KvStatus::kNotFound ||
             (read.status == KvStatus::kOk && !read.value)) {
    ++stats_.not_found;
  } else {
    ++stats_.read_errors;  // read errors count as misses
  }
  co_await signer_.SignJwt(key);
  const StsResult r = co_await sts_.AssumeRoleWithWebIdentity(key);
  if (!r.ok()) co_return AuthResult{StatusFor(r.error), Credentials{}, Tier::kSts};
  const Duration ttl = r.credentials.expiration - clock_.Now() - margin_;
  if (ttl < min_expiration_ttl_) {
    ++stats_.writes_skipped;
  } else {
    const KvStatus w = co_await kv_.Put(key, r.credentials, ttl);
    if (w == KvStatus::kOk) {
      ++stats_.writes_ok;
    } else if (w == KvStatus::kRateLimited) {
      ++stats_.writes_rate_limited;  // not a request failure
    } else {
      ++stats_.writes_failed;
    }
  }
  co_return AuthResult{FailureStatus::kOk, r.credentials, Tier::kSts};
}

absl::StatusOr<std::unique_ptr<Strategy>> KvStrategy::Create(JsonReader& params) {
  KvStrategyConfig c;
  absl::Status s = ParseKvStrategyConfig(params, &c);
  if (absl::Status f = params.Finish(); s.ok()) s = f;
  if (!s.ok()) return s;
  return std::make_unique<KvStrategy>(c);
}

nlohmann::json KvStrategy::params() const {
  nlohmann::json j = nlohmann::json::object();
  L1ConfigToJson(config_.l1, &j);
  j["cache_ttl"] = FormatDuration(config_.cache_ttl);
  j["kv_margin"] = FormatDuration(config_.kv_margin);
  j["min_expiration_ttl"] = FormatDuration(config_.min_expiration_ttl);
  j["revocation"] = RevocationOptionsJson(config_.revocation);
  return j;
}

std::unique_ptr<CredentialProvider> KvStrategy::NewProvider(IsolatePorts& ports) {
  auto filter = std::make_unique<RevocationFilter>(config_.revocation, ports.feed, ports.clock);
  auto source = std::make_unique<KvSource>(config_, ports.clock, ports.signer, ports.sts,
                                           ports.kv, filter.get());
  return std::make_unique<L1Provider>(config_.l1, std::move(filter), std::move(source), ports);
}

}  // namespace credsim
