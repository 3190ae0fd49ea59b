#include "strategies/l1_strategy.h"

#include <utility>

namespace credsim {

L1Provider::L1Provider(const L1Config& l1, std::unique_ptr<RevocationFilter> filter,
                       std::unique_ptr<CredentialSource> source, IsolatePorts& ports)
    : filter_(std::move(filter)),
      source_(std::move(source)),
      cache_(l1, ports.clock, ports.runtime, *source_, filter_.get()) {}

Task<AuthResult> L1Provider::GetCredentials(AuthRequest request) {
  const CredentialKey key = request.key;
  if (filter_->poll_due()) co_await filter_->MaybePoll();
  co_return co_await cache_.Get(key);
}

bool L1Provider::TryGetCredentialsNow(const AuthRequest& request, AuthResult* out) {
  if (filter_->poll_due()) return false;  // GetCredentials would poll the feed first
  return cache_.TryGet(request.key, out);
}

void L1Provider::OnCredentialRejected(CredentialKey key, const Credentials& c) {
  if (filter_->options().drop_on_403) cache_.EraseIfId(key, c.id);
}

absl::Status ParseL1StrategyConfig(JsonReader& r, L1StrategyConfig* out) {
  L1StrategyConfig c;
  if (absl::Status s = ParseL1Config(r, &c.l1); !s.ok()) return s;
  if (absl::Status s = ParseRevocationOptions(r, &c.revocation); !s.ok()) return s;
  *out = c;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Strategy>> L1Strategy::Create(JsonReader& params) {
  L1StrategyConfig c;
  absl::Status s = ParseL1StrategyConfig(params, &c);
  if (absl::Status f = params.Finish(); s.ok()) s = f;
  if (!s.ok()) return s;
  return std::make_unique<L1Strategy>(c);
}

nlohmann::json L1Strategy::params() const {
  nlohmann::json j = nlohmann::json::object();
  L1ConfigToJson(config_.l1, &j);
  j["revocation"] = RevocationOptionsJson(config_.revocation);
  return j;
}

std::unique_ptr<CredentialProvider> L1Strategy::NewProvider(IsolatePorts& ports) {
  auto filter = std::make_unique<RevocationFilter>(config_.revocation, ports.feed, ports.clock);
  auto source = std::make_unique<StsCredentialSource>(ports.signer, ports.sts);
  return std::make_unique<L1Provider>(config_.l1, std::move(filter), std::move(source), ports);
}

}  // namespace credsim
