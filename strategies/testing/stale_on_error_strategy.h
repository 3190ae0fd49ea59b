// `stale_on_error` (test-only example of docs/adding-a-strategy.md): a per-isolate cache that
// serves a cached credential while it has more than 60 s left; otherwise it signs a JWT and
// calls STS, and when that call fails it serves the previous credential as long as it has more
// than `min_remaining` left (the v2 L1 does not). Results have source kL1 (cached, fresh or
// stale) or kSts (just minted); a failure with nothing usable answers StatusFor(the STS error).
#ifndef CREDSIM_STRATEGIES_TESTING_STALE_ON_ERROR_STRATEGY_H_
#define CREDSIM_STRATEGIES_TESTING_STALE_ON_ERROR_STRATEGY_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sim/config/json_reader.h"
#include "sim/engine/time.h"
#include "strategies/ports/strategy.h"

namespace credsim {

class StaleOnErrorStrategy final : public Strategy {
 public:
  explicit StaleOnErrorStrategy(Duration min_remaining) : min_remaining_(min_remaining) {}
  // Reads every parameter and calls params.Finish(); errors name the JSON path.
  static absl::StatusOr<std::unique_ptr<Strategy>> Create(JsonReader& params);

  std::string_view kind() const override { return "stale_on_error"; }
  nlohmann::json params() const override;
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override;

 private:
  const Duration min_remaining_;
};

}  // namespace credsim

#endif  // CREDSIM_STRATEGIES_TESTING_STALE_ON_ERROR_STRATEGY_H_
