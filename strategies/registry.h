// The strategy registry: maps a strategy kind ("l1", "kv", ...) to its factory. Adding a
// strategy = one new file pair (foo_strategy.h/.cc) plus one line in registry.cc.
#ifndef CREDSIM_STRATEGIES_REGISTRY_H_
#define CREDSIM_STRATEGIES_REGISTRY_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/config/json_reader.h"
#include "strategies/ports/strategy.h"

namespace credsim {

using StrategyFactory = absl::StatusOr<std::unique_ptr<Strategy>> (*)(JsonReader& params);

struct StrategyRegistration {
  std::string_view kind;
  std::string_view summary;
  StrategyFactory create;
};

// Every registered strategy, in the order reports list them.
const std::vector<StrategyRegistration>& RegisteredStrategies();
// nullptr if `kind` is not registered.
const StrategyRegistration* FindStrategy(std::string_view kind);

}  // namespace credsim

#endif  // CREDSIM_STRATEGIES_REGISTRY_H_
