// `do_singleflight`: per-isolate L1 in front of one Durable Object per role that coalesces
// concurrent fetches (sources.md §S5 "Durable Object single-flight" and "Durable Object as
// a unified cache entry": in-flight and cached are two states of one entry, so a thundering
// herd costs one STS call). Every L1 miss pays the round trip to the object. Platform overload
// errors are not retried (sources.md §P8); `overload_fallback` decides what the request does.
//
// JSON params (flat; the L1 keys are those of ParseL1Config):
//   "variant": "v2", "refresh_lead": "60s", "min_serve": "5s", "claim_timeout": "30s"  (L1)
//   "do_refresh_lead": "5m"        the object serves its credential while E > now + this
//   "overload_fallback": "sts"     "sts" (sign + call STS directly) or "fail" (503)
//   "revocation": {...}            see strategies/revocation_filter.h
// The object's margin is called `do_refresh_lead` because `refresh_lead` is L1's key.
#ifndef CREDSIM_STRATEGIES_DO_SINGLEFLIGHT_STRATEGY_H_
#define CREDSIM_STRATEGIES_DO_SINGLEFLIGHT_STRATEGY_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sim/config/json_reader.h"
#include "sim/engine/task.h"
#include "sim/engine/time.h"
#include "strategies/durable_object_client.h"
#include "strategies/l1_cache.h"
#include "strategies/ports/ports.h"
#include "strategies/ports/strategy.h"
#include "strategies/revocation_filter.h"

namespace credsim {

enum class DoOverloadFallback : uint8_t {
  kFail,  // answer 503
  kSts,   // sign the JWT and call STS from the isolate
};

struct DoSingleflightConfig {
  L1Config l1;  // sources.md §S2: v2 is the current L1
  // The object serves its cached credential while E > now + do_refresh_lead, else it fetches.
  // Assumption: 5 min, the same margin as the L2 tier of PR #175 (sources.md §S4), so a
  // credential handed out always outlives L1's 60 s refresh lead by minutes (it must be larger
  // than L1's refresh_lead, or every L1 renewal would find the object's credential too old).
  Duration do_refresh_lead = Duration::Minutes(5);
  // sources.md §P8: overload errors must not be retried; fall back (e.g. direct STS).
  DoOverloadFallback overload_fallback = DoOverloadFallback::kSts;
  RevocationOptions revocation;
};

// Reads the L1 keys, do_refresh_lead, overload_fallback and revocation (caller calls
// r.Finish()).
absl::Status ParseDoSingleflightConfig(JsonReader& r, DoSingleflightConfig* out);
nlohmann::json DoSingleflightConfigJson(const DoSingleflightConfig& c);

// The object of `do_singleflight` (one per role; it keeps one entry per CredentialKey it is
// asked for). Entry states: empty, in flight (a SharedResult in memory), cached (credentials in
// memory and in storage). Fetch:
//   - cached, E > now + refresh_lead and id != request.stale_id → answer at once;
//   - a fetch in flight → join it;
//   - otherwise start ONE fetch, Spawned as the object's own work (it completes even if the
//     caller that started it goes away): on a fresh instance (memory lost) it first reads
//     storage and answers from there if usable; else it signs the JWT and calls STS; on
//     success it writes storage (after the result arrives; the reply waits until it is
//     durable, like the output gate), keeps the credential in memory, then resolves every
//     joined caller. An STS error resolves every joined caller with that status; nothing
//     negative is cached (the next call fetches again).
// Answers carry status kOk + credentials, or the STS error's status.
class SingleflightObject final : public DurableObject {
 public:
  SingleflightObject(DurableObjectContext& ctx, Duration refresh_lead);
  Task<DoResponse> Fetch(DoRequest request) override;

  int sts_calls() const { return sts_calls_; }
  int storage_hits() const { return storage_hits_; }

 private:
  struct Entry {
    CredentialKey key;
    Credentials cached;            // !valid(): none
    bool storage_checked = false;  // this instance has read storage for the key
    std::unique_ptr<SharedResult<DoResponse>> fill;  // in flight while !fill->ready()
  };
  bool Servable(const Credentials& c, uint64_t stale_id) const;
  Task<void> Fill(Entry* e, uint64_t stale_id);

  DurableObjectContext& ctx_;
  const Duration refresh_lead_;
  absl::flat_hash_map<CredentialKey, std::unique_ptr<Entry>> entries_;  // lookups only
  int sts_calls_ = 0;
  int storage_hits_ = 0;
};

// The per-isolate provider of `do_singleflight` is a DurableObjectProvider
// (strategies/durable_object_client.h) with config.l1 whose tier asks the role's object
// (passing the id AWS last rejected as stale_id; results have source kDurableObject);
// overloaded/platform errors follow overload_fallback (kSts: sign + call STS, source kSts;
// kFail: 503) and count as fallbacks().
class DoSingleflightStrategy final : public Strategy {
 public:
  explicit DoSingleflightStrategy(const DoSingleflightConfig& config) : config_(config) {}
  // Reads every parameter and calls params.Finish(); errors name the JSON path.
  static absl::StatusOr<std::unique_ptr<Strategy>> Create(JsonReader& params);

  std::string_view kind() const override { return "do_singleflight"; }
  nlohmann::json params() const override { return DoSingleflightConfigJson(config_); }
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override;
  std::unique_ptr<DurableObject> NewDurableObject(DurableObjectContext& ctx) override;
  const DoSingleflightConfig& config() const { return config_; }

 private:
  const DoSingleflightConfig config_;
};

}  // namespace credsim

#endif  // CREDSIM_STRATEGIES_DO_SINGLEFLIGHT_STRATEGY_H_
