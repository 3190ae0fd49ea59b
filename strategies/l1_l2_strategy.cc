#include "strategies/l1_l2_strategy.h"

#include <utility>

#include "strategies/l1_strategy.h"

namespace credsim {

absl::Status ParseL1L2StrategyConfig(JsonReader& r, L1L2StrategyConfig* out) {
  L1L2StrategyConfig c;
  if (absl::Status s = ParseL1Config(r, &c.l1); !s.ok()) return s;
  c.l2_ttl_lead = r.GetDuration("l2_ttl_lead", c.l2_ttl_lead,
      {.doc = "Cache API entry TTL = Expiration - now - l2_ttl_lead; nothing is cached when "
              "that is <= 0.",
       .source = "sources.md §S4 \"L2 per-colo Cache API tier (PR #175)\": TTL = Expiration - now "
                 "- 300 s."});
  if (!r.ok()) return r.status();
  if (absl::Status s = ParseRevocationOptions(r, &c.revocation); !s.ok()) return s;
  *out = c;
  return absl::OkStatus();
}

ColoCacheSource::ColoCacheSource(Duration ttl_lead, Clock& clock, TokenSigner& signer,
                                 StsClient& sts, ColoCache& cache,
                                 const RevocationFilter* filter)
    : ttl_lead_(ttl_lead),
      clock_(clock),
      signer_(signer),
      sts_(sts),
      cache_(cache),
      filter_(filter) {}

Task<AuthResult> ColoCacheSource::Fetch(CredentialKey key) {
  co_await signer_.SignJwt(key);  // the L2 sits inside the STS call: always signed
  const CacheMatch m = co_await cache_.Match(key);
  if (m.error) ++stats_.read_errors;
  if (!m.error && m.value) {
    if (filter_ == nullptr || filter_->Admit(key, *m.value)) {
      ++stats_.hits;
      co_return AuthResult{FailureStatus::kOk, *m.value, Tier::kL2};
    }
    ++stats_.not_admitted;
  }
  ++stats_.misses;
  const StsResult r = co_await sts_.AssumeRoleWithWebIdentity(key);
  if (!r.ok()) co_return AuthResult{StatusFor(r.error), Credentials{}, Tier::kSts};
  const Duration ttl = r.credentials.expiration - clock_.Now() - ttl_lead_;
  if (ttl > Duration()) {
    ++stats_.puts;
    co_await cache_.Put(key, r.credentials, ttl);  // awaited inline (PR #175)
  } else {
    ++stats_.skipped_puts;
  }
  co_return AuthResult{FailureStatus::kOk, r.credentials, Tier::kSts};
}

absl::StatusOr<std::unique_ptr<Strategy>> L1L2Strategy::Create(JsonReader& params) {
  L1L2StrategyConfig c;
  absl::Status s = ParseL1L2StrategyConfig(params, &c);
  if (absl::Status f = params.Finish(); s.ok()) s = f;
  if (!s.ok()) return s;
  return std::make_unique<L1L2Strategy>(c);
}

nlohmann::json L1L2Strategy::params() const {
  nlohmann::json j = nlohmann::json::object();
  L1ConfigToJson(config_.l1, &j);
  j["l2_ttl_lead"] = FormatDuration(config_.l2_ttl_lead);
  j["revocation"] = RevocationOptionsJson(config_.revocation);
  return j;
}

std::unique_ptr<CredentialProvider> L1L2Strategy::NewProvider(IsolatePorts& ports) {
  auto filter = std::make_unique<RevocationFilter>(config_.revocation, ports.feed, ports.clock);
  auto source = std::make_unique<ColoCacheSource>(config_.l2_ttl_lead, ports.clock,
                                                  ports.signer, ports.sts, ports.colo_cache,
                                                  filter.get());
  return std::make_unique<L1Provider>(config_.l1, std::move(filter), std::move(source), ports);
}

}  // namespace credsim
