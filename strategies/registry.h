// The strategy registry: maps a strategy kind ("l1", "kv", ...) to its factory. Adding a
// strategy = one new file pair (foo_strategy.h/.cc) plus one line in registry.cc's product list
// (docs/adding-a-strategy.md). A test-only strategy is registered by its test instead, with a
// ScopedStrategyRegistration, and never appears in the product binary.
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

// Every registered strategy, in the order reports list them: the product list of registry.cc,
// then the strategies of live ScopedStrategyRegistrations in the order they were made.
const std::vector<StrategyRegistration>& RegisteredStrategies();
// nullptr if `kind` is not registered.
const StrategyRegistration* FindStrategy(std::string_view kind);

// Registers a strategy for the lifetime of this object (tests: a test-only strategy then runs
// through the same path as the product's, e.g. `credsim::Main` with a scenario naming its kind).
// `registration.kind` and `registration.summary` must outlive the object (string literals);
// the kind must not be registered already (aborts with a message otherwise). The registry is
// not synchronised: create and destroy these only while no run is in progress; each one
// invalidates the references RegisteredStrategies() and FindStrategy() returned before.
class ScopedStrategyRegistration {
 public:
  explicit ScopedStrategyRegistration(const StrategyRegistration& registration);
  ~ScopedStrategyRegistration();
  ScopedStrategyRegistration(const ScopedStrategyRegistration&) = delete;
  ScopedStrategyRegistration& operator=(const ScopedStrategyRegistration&) = delete;

 private:
  std::string_view kind_;
};

}  // namespace credsim

#endif  // CREDSIM_STRATEGIES_REGISTRY_H_
