#include "strategies/none_strategy.h"

#include "strategies/l1_cache.h"

namespace credsim {
namespace {

// Mints on every request.
class NoneProvider final : public CredentialProvider {
 public:
  explicit NoneProvider(IsolatePorts& ports) : source_(ports.signer, ports.sts) {}
  Task<AuthResult> GetCredentials(AuthRequest request) override {
    return source_.Fetch(request.key);
  }

 private:
  StsCredentialSource source_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Strategy>> NoneStrategy::Create(JsonReader& params) {
  RevocationOptions revocation;
  absl::Status s = ParseRevocationOptions(params, &revocation);
  if (absl::Status f = params.Finish(); s.ok()) s = f;
  if (!s.ok()) return s;
  return std::make_unique<NoneStrategy>(revocation);
}

nlohmann::json NoneStrategy::params() const {
  return nlohmann::json{{"revocation", RevocationOptionsJson(revocation_)}};
}

std::unique_ptr<CredentialProvider> NoneStrategy::NewProvider(IsolatePorts& ports) {
  return std::make_unique<NoneProvider>(ports);
}

}  // namespace credsim
