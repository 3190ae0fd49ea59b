// `none`: no caching. Every request signs a JWT and calls STS (the baseline).
//
// JSON params: "revocation": {...} is accepted for uniformity with the other strategies but
// has no effect (nothing is cached, so nothing can be revoked or dropped).
#ifndef CREDSIM_STRATEGIES_NONE_STRATEGY_H_
#define CREDSIM_STRATEGIES_NONE_STRATEGY_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sim/config/json_reader.h"
#include "strategies/revocation_filter.h"
#include "strategies/ports/strategy.h"

namespace credsim {

class NoneStrategy final : public Strategy {
 public:
  explicit NoneStrategy(const RevocationOptions& revocation) : revocation_(revocation) {}
  // Reads the parameters above and calls params.Finish().
  static absl::StatusOr<std::unique_ptr<Strategy>> Create(JsonReader& params);

  std::string_view kind() const override { return "none"; }
  nlohmann::json params() const override;
  // The provider's GetCredentials is StsCredentialSource::Fetch (source kSts).
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override;

 private:
  RevocationOptions revocation_;
};

}  // namespace credsim

#endif  // CREDSIM_STRATEGIES_NONE_STRATEGY_H_
