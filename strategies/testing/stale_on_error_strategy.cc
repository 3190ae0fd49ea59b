#include "strategies/testing/stale_on_error_strategy.h"

#include "absl/container/flat_hash_map.h"

namespace credsim {
namespace {

class Provider final : public CredentialProvider {
 public:
  Provider(const IsolatePorts& ports, Duration min_remaining)
      : ports_(ports), min_remaining_(min_remaining) {}

  // `request` by value: a Task starts lazily (sim/engine/task.h).
  Task<AuthResult> GetCredentials(AuthRequest request) override {
    auto it = cache_.find(request.key);
    if (it != cache_.end() &&
        it->second.expiration > ports_.clock.Now() + Duration::Seconds(60)) {
      co_return AuthResult{FailureStatus::kOk, it->second, Tier::kL1};
    }
    co_await ports_.signer.SignJwt(request.key);
    const StsResult r = co_await ports_.sts.AssumeRoleWithWebIdentity(request.key);
    if (r.ok()) {
      cache_.insert_or_assign(request.key, r.credentials);
      co_return AuthResult{FailureStatus::kOk, r.credentials, Tier::kSts};
    }
    it = cache_.find(request.key);  // the map may have changed while this request waited
    if (it != cache_.end() && it->second.expiration > ports_.clock.Now() + min_remaining_) {
      co_return AuthResult{FailureStatus::kOk, it->second, Tier::kL1};  // stale but usable
    }
    co_return AuthResult{StatusFor(r.error), Credentials(), Tier::kSts};
  }

 private:
  const IsolatePorts ports_;  // a copy: the struct passed to NewProvider may be a temporary
  const Duration min_remaining_;
  absl::flat_hash_map<CredentialKey, Credentials> cache_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Strategy>> StaleOnErrorStrategy::Create(JsonReader& params) {
  // The getter call is the parameter's one declaration: name, type, default, and (ParamDoc)
  // its meaning and source; `credsim schema` and `credsim docs` are generated from it.
  const Duration min_remaining = params.GetDuration(
      "min_remaining", Duration::Seconds(5),
      {.doc = "Serve the cached credential when STS fails if it still has this much life.",
       .source = "assumption (the example of docs/adding-a-strategy.md)."});
  // Finish() reports the first bad value or unknown key, named by its JSON path.
  if (absl::Status s = params.Finish(); !s.ok()) return s;
  return std::make_unique<StaleOnErrorStrategy>(min_remaining);
}

nlohmann::json StaleOnErrorStrategy::params() const {
  return {{"min_remaining", FormatDuration(min_remaining_)}};
}

std::unique_ptr<CredentialProvider> StaleOnErrorStrategy::NewProvider(IsolatePorts& ports) {
  return std::make_unique<Provider>(ports, min_remaining_);
}

}  // namespace credsim
