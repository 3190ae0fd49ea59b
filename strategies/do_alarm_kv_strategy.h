// `do_alarm_kv`: a Durable Object per role refreshes the credentials ahead of expiry from its
// `alarm()` and writes them to Workers KV; the request path reads L1, then KV, and never calls
// STS while the refresher is healthy (sources.md §S5 "Durable Object alarm refresh → KV",
// an ADR; sources.md §P8 "DO alarm proactive refresh → KV").
//
// JSON params (flat; the L1 keys are those of ParseL1Config):
//   "variant": "v2", "refresh_lead": "60s", "min_serve": "5s", "claim_timeout": "30s"  (L1)
//   "alarm_lead": "10m"          the object refreshes at E - alarm_lead - U * alarm_jitter
//   "alarm_jitter": "5m"         U in [0, 1) from a hash of (key, credential id)
//   "failure_rearm": "3m"        after a failed alarm the object re-arms itself this far ahead
//   "cache_ttl": "60s"           KV cacheTtl of request-path reads
//   "kv_min_remaining": "2m"     a KV value is usable while E > now + kv_min_remaining
//   "kv_expiry_margin": "2m"     KV expirationTtl = E - now - kv_expiry_margin
//   "fallback": "fail"           KV has nothing usable: "fail" (503, the ADR: the request path
//                                never contacts the object), "do" (the hybrid: ask the
//                                object), "sts" (mint from the isolate)
//   "prewarm": true              the deployment calls each role's object at t = 0 (op init)
//   "revocation": {...}          see strategies/revocation_filter.h
// The alarm lead is called `alarm_lead` because `refresh_lead` is L1's key.
#ifndef CREDSIM_STRATEGIES_DO_ALARM_KV_STRATEGY_H_
#define CREDSIM_STRATEGIES_DO_ALARM_KV_STRATEGY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

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

enum class KvFallback : uint8_t {
  kFail,           // answer 503 (the ADR: the request path only reads KV)
  kDurableObject,  // the hybrid: ask the role's object (its current credentials or a fetch)
  kSts,            // sign the JWT and call STS from the isolate
};

// Lower bound of `alarm_lead` and `failure_rearm` (see ParseDoAlarmKvConfig).
inline constexpr Duration kMinAlarmInterval = Duration::Seconds(1);
// Upper bound of `alarm_jitter`: the longest STS credential lifetime.
inline constexpr Duration kMaxAlarmJitter = Duration::Hours(12);
// The earliest refresh of a credential after its issue (see AlarmKvObject::RefreshTime).
inline constexpr Duration kMinRefreshGap = Duration::Seconds(1);

struct DoAlarmKvConfig {
  L1Config l1;  // sources.md §S2: v2 is the current L1
  // sources.md §S5 (ADR): the object refreshes 10 minutes before expiry. sources.md §P8:
  // the lead must cover STS latency + the ~2 min alarm retry window + KV propagation (60 s).
  Duration alarm_lead = Duration::Minutes(10);  // >= kMinAlarmInterval
  // Assumption: each refresh fires up to this much earlier than E - alarm_lead, by a
  // deterministic uniform draw per (key, credential) (AlarmJitterFraction), so objects
  // prewarmed together do not all refresh in the same second (issue 11 item 6). 5 min keeps
  // the refresh 10-15 min before expiry, inside the half of the lifetime the ADR leaves.
  Duration alarm_jitter = Duration::Minutes(5);  // >= 0
  // Assumption: after a failed refresh the handler re-arms the alarm this far ahead, so the
  // chain continues after the platform's retries (2+4+...+64 = 126 s, sources.md §P9) give
  // up. Longer than that window so the re-armed alarm never fires inside a retry series.
  Duration failure_rearm = Duration::Minutes(3);  // >= kMinAlarmInterval
  // sources.md §P8: KV cacheTtl default 60 s (30 s minimum on the current limits page).
  Duration cache_ttl = Duration::Seconds(60);
  // Assumption: a KV value is used only while it has more than 2 min to live, which covers
  // L1's 60 s refresh lead plus slack for clock skew and AWS-side use.
  Duration kv_min_remaining = Duration::Minutes(2);
  // Assumption: KV entries expire 2 min before the credentials (equal to kv_min_remaining, so
  // KV never returns a value the request path would reject for age).
  Duration kv_expiry_margin = Duration::Minutes(2);
  // sources.md §S5 (ADR): "the request path only reads KV and never contacts the
  // object"; the ADR rejects refreshing on the request path, so a KV miss fails (503).
  // "do" keeps the hybrid (the object coalesces the fallback fetch), "sts" mints in the
  // isolate.
  KvFallback fallback = KvFallback::kFail;
  // sources.md §P8: pre-populate the key before traffic starts (a cached KV miss can hide a
  // new key for cacheTtl). The deployment sends op init to the object of every known
  // (role, session); the object accepts an init for any key.
  bool prewarm = true;
  RevocationOptions revocation;
};

// The jitter fraction U in [0, 1) of a refresh: a hash of the key and the credential id
// (deterministic: same run, same draws; a new credential draws anew).
double AlarmJitterFraction(CredentialKey key, uint64_t credential_id);

// Reads the L1 keys and the keys above (caller calls r.Finish()).
absl::Status ParseDoAlarmKvConfig(JsonReader& r, DoAlarmKvConfig* out);
nlohmann::json DoAlarmKvConfigJson(const DoAlarmKvConfig& c);

// The object of `do_alarm_kv` (one per role; one entry per CredentialKey it was asked for).
//
// Fetch (op kDoOpInit or kDoOpGet): answers its current credential if it is valid, not
// request.stale_id and E > now + kv_min_remaining; otherwise refreshes (joining a refresh in
// flight). kDoOpInit also rewrites KV if this instance has not written the current credential.
// Either op arms the alarm if none is set.
//
// Refresh (single-flight per key, Spawned as the object's own work): sign the JWT, call STS,
// write storage, write KV with expirationTtl = E - now - kv_expiry_margin, then re-arm the alarm;
// then resolve the joined callers. A refresh is due at RefreshTime = E - alarm_lead -
// AlarmJitterFraction(key, id) * alarm_jitter; the jitter never moves it before the
// credential's half-life (the lead itself is honoured), and a credential with less life than
// alarm_lead + kMinRefreshGap (back-dated by a steady start, or a lead >= the STS lifetime) is
// refreshed kMinRefreshGap after issue: at once, but never a spin. An init (or get) for a key the object has
// not seen adds it to the directory and mints for it, so one object serves any session.
//
// Alarm(): refreshes every due entry (and retries a failed KV write); returns false if any of it
// failed. The platform retries a failed invocation after 2 s, 4 s, ... up to 6 times only if
// the handler did not set an alarm meanwhile (alarm_retry.set_alarm_cancels_retry, true by
// default as workerd does: docs/platform-conformance.md#do-alarms); this handler always
// re-arms, so by default a failure is retried at failure_rearm instead. Re-arming is
// guaranteed like a `finally`: every exit path of Alarm() (and every refresh) sets the alarm to
// the earliest of: each entry's RefreshTime, or now + failure_rearm for an entry whose last
// attempt failed. So after a failure an alarm is always pending failure_rearm ahead, whether
// the platform keeps retrying (its retries run first; a success re-arms at E - alarm_lead) or
// stops retrying (or never retries a handler that re-armed itself): the chain cannot die.
//
// Memory is lost when the platform evicts the instance, but an alarm fires on a fresh instance,
// which must know its keys: the object keeps a directory in its own storage under the reserved
// role kDirectoryRole: {kDirectoryRole, 0}.id = number of keys, {kDirectoryRole, i + 1}.id =
// CredentialKey::packed() of key i. A fresh instance loads the directory and the stored
// credentials once (single-flight) before serving or refreshing.
class AlarmKvObject final : public DurableObject {
 public:
  static constexpr uint32_t kDirectoryRole = UINT32_MAX;

  AlarmKvObject(DurableObjectContext& ctx, const DoAlarmKvConfig& config);
  Task<DoResponse> Fetch(DoRequest request) override;
  Task<bool> Alarm() override;

  int sts_calls() const { return sts_calls_; }
  int refreshes() const { return refreshes_; }
  int kv_write_failures() const { return kv_write_failures_; }

 private:
  struct Entry {
    CredentialKey key;
    Credentials current;               // !valid(): none
    uint64_t kv_id = 0;                // id this instance last wrote to KV successfully
    std::optional<Time> retry_at;      // set while the last attempt for this key failed
    std::unique_ptr<SharedResult<DoResponse>> refresh;  // in flight while !ready()
  };

  Task<void> EnsureDirectory();
  Task<void> LoadDirectory();
  Entry* AddEntry(CredentialKey key);
  Task<Entry*> EntryFor(CredentialKey key);
  Task<DoResponse> Refresh(Entry* e);
  Task<void> RunRefresh(Entry* e);
  Task<bool> WriteKv(Entry* e);
  Time RefreshTime(CredentialKey key, const Credentials& c) const;
  bool NeedsRefresh(const Entry& e) const;
  bool Servable(const Credentials& c, uint64_t stale_id) const;
  void Arm();

  DurableObjectContext& ctx_;
  const Duration alarm_lead_;
  const Duration alarm_jitter_;
  const Duration failure_rearm_;
  const Duration serve_min_;
  const Duration kv_expiry_margin_;
  std::vector<std::unique_ptr<Entry>> entries_;             // directory order
  absl::flat_hash_map<CredentialKey, Entry*> index_;        // lookups only
  bool directory_loaded_ = false;
  std::unique_ptr<SharedResult<bool>> directory_load_;
  uint64_t persisted_count_ = 0;
  bool alarm_running_ = false;
  int sts_calls_ = 0;
  int refreshes_ = 0;
  int kv_write_failures_ = 0;
};

// The per-isolate provider of `do_alarm_kv` is a DurableObjectProvider
// (strategies/durable_object_client.h) with config.l1 whose tier reads KV (cacheTtl = cache_ttl)
// and accepts a value that the revocation filter admits, that AWS has not rejected, and with
// E > now + kv_min_remaining (source kKv). Otherwise (counted as fallbacks()) `fallback`: 503
// (kFail, the default: the request path never contacts the object), the object
// (kDurableObject, the hybrid: source kDurableObject; passes the rejected KV credential as
// stale_id; an overloaded or failing platform answers 503), or STS (source kSts).
class DoAlarmKvStrategy final : public Strategy {
 public:
  explicit DoAlarmKvStrategy(const DoAlarmKvConfig& config) : config_(config) {}
  // Reads every parameter and calls params.Finish(); errors name the JSON path.
  static absl::StatusOr<std::unique_ptr<Strategy>> Create(JsonReader& params);

  std::string_view kind() const override { return "do_alarm_kv"; }
  nlohmann::json params() const override { return DoAlarmKvConfigJson(config_); }
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override;
  std::unique_ptr<DurableObject> NewDurableObject(DurableObjectContext& ctx) override;
  bool prewarm_durable_objects() const override { return config_.prewarm; }
  const DoAlarmKvConfig& config() const { return config_; }

 private:
  const DoAlarmKvConfig config_;
};

}  // namespace credsim

#endif  // CREDSIM_STRATEGIES_DO_ALARM_KV_STRATEGY_H_
