#include "strategies/registry.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "strategies/do_alarm_kv_strategy.h"
#include "strategies/do_singleflight_strategy.h"
#include "strategies/kv_strategy.h"
#include "strategies/l1_l2_strategy.h"
#include "strategies/l1_strategy.h"
#include "strategies/none_strategy.h"

namespace credsim {
namespace {

std::vector<StrategyRegistration>& Registry() {
  // The product list: one line per strategy, in the order reports list them.
  static std::vector<StrategyRegistration>* const kStrategies =
      new std::vector<StrategyRegistration>{
          {"none", "every request mints a JWT and calls STS", &NoneStrategy::Create},
          {"l1", "per-isolate cache (multistore v0/v1/v2)", &L1Strategy::Create},
          {"l1_l2", "L1 + per-colo Cache API tier (PR #175)", &L1L2Strategy::Create},
          {"kv", "L1 + global Workers KV", &KvStrategy::Create},
          {"do_singleflight", "L1 + one Durable Object per role coalescing fetches",
           &DoSingleflightStrategy::Create},
          {"do_alarm_kv", "Durable Object alarm refresh writing KV; request path reads L1 + KV",
           &DoAlarmKvStrategy::Create},
      };
  return *kStrategies;
}

}  // namespace

const std::vector<StrategyRegistration>& RegisteredStrategies() { return Registry(); }

const StrategyRegistration* FindStrategy(std::string_view kind) {
  for (const StrategyRegistration& r : RegisteredStrategies()) {
    if (r.kind == kind) return &r;
  }
  return nullptr;
}

ScopedStrategyRegistration::ScopedStrategyRegistration(const StrategyRegistration& registration)
    : kind_(registration.kind) {
  if (FindStrategy(kind_) != nullptr) {
    std::fprintf(stderr,
                 "ScopedStrategyRegistration: strategy kind \"%.*s\" is already registered\n",
                 static_cast<int>(kind_.size()), kind_.data());
    std::abort();
  }
  Registry().push_back(registration);
}

ScopedStrategyRegistration::~ScopedStrategyRegistration() {
  std::vector<StrategyRegistration>& r = Registry();
  r.erase(std::remove_if(r.begin(), r.end(),
                         [this](const StrategyRegistration& s) { return s.kind == kind_; }),
          r.end());
}

}  // namespace credsim
