#include "strategies/registry.h"

#include "strategies/do_alarm_kv_strategy.h"
#include "strategies/do_singleflight_strategy.h"
#include "strategies/kv_strategy.h"
#include "strategies/l1_l2_strategy.h"
#include "strategies/l1_strategy.h"
#include "strategies/none_strategy.h"

namespace credsim {

const std::vector<StrategyRegistration>& RegisteredStrategies() {
  static const std::vector<StrategyRegistration> kStrategies = {
      {"none", "every request mints a JWT and calls STS", &NoneStrategy::Create},
      {"l1", "per-isolate cache (multistore v0/v1/v2)", &L1Strategy::Create},
      {"l1_l2", "L1 + per-colo Cache API tier (PR #175)", &L1L2Strategy::Create},
      {"kv", "L1 + global Workers KV", &KvStrategy::Create},
      {"do_singleflight", "L1 + one Durable Object per role coalescing fetches",
       &DoSingleflightStrategy::Create},
      {"do_alarm_kv", "Durable Object alarm refresh writing KV; request path reads L1 + KV",
       &DoAlarmKvStrategy::Create},
  };
  return kStrategies;
}

const StrategyRegistration* FindStrategy(std::string_view kind) {
  for (const StrategyRegistration& r : RegisteredStrategies()) {
    if (r.kind == kind) return &r;
  }
  return nullptr;
}

}  // namespace credsim
