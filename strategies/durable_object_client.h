// The request side of the Durable Object strategies (`do_singleflight`, `do_alarm_kv`): the
// operations their objects understand, the call to a key's object with the revocation filter's
// second chance (AskDurableObject), the ids AWS rejected (RejectedCredentials), and the
// per-isolate provider both strategies use (DurableObjectProvider: revocation poll, L1 in front
// of a strategy-specific lower tier, 403 handling). The strategies differ only in their tier
// (an ObjectTier subclass) and in their object code.
#ifndef CREDSIM_STRATEGIES_DURABLE_OBJECT_CLIENT_H_
#define CREDSIM_STRATEGIES_DURABLE_OBJECT_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "sim/engine/task.h"
#include "strategies/l1_cache.h"
#include "strategies/ports/ports.h"
#include "strategies/ports/strategy.h"
#include "strategies/revocation_filter.h"

namespace credsim {

// Durable Object operations (DoRequest.op) of both DO strategies.
inline constexpr uint32_t kDoOpInit = 0;  // deployment prewarm: make sure credentials exist
inline constexpr uint32_t kDoOpGet = 1;   // request path: return usable credentials

// What AskDurableObject got from the key's object.
struct ObjectAnswer {
  enum class Kind : uint8_t {
    kOk,           // credentials
    kFailed,       // the object answered an error status (e.g. the STS error)
    kUnavailable,  // the platform rejected the call (overloaded or other platform error)
    kNotAdmitted,  // the object only had credentials the revocation filter rejects
  };
  Kind kind = Kind::kUnavailable;
  FailureStatus status = FailureStatus::kUnavailable;
  Credentials credentials;
};

// Asks the key's object (op, stale_id) and applies the isolate's revocation filter (may be
// null) to the answer. If the filter rejects the credential, asks once more with stale_id = its
// id (so the object replaces it) and accepts that answer if the filter admits it or it was
// issued after the second call was sent (freshly minted, not a cached tier). An answer without
// an error status and without valid credentials is kFailed with 502. Platform errors are never
// retried (sources.md §P8).
// `objects` and `clock` are long-lived ports (owned by the world, outliving every request);
// everything else is taken by value (see sim/engine/task.h on coroutine parameters).
Task<ObjectAnswer> AskDurableObject(DurableObjectNamespace& objects, Clock& clock,
                                    const RevocationFilter* filter, CredentialKey key,
                                    uint32_t op, uint64_t stale_id);

// Ids of credentials AWS rejected with 403, per key (filled by OnCredentialRejected when
// revocation.drop_on_403 is set); passed to the object as stale_id. Get() is 0 for a key
// without a rejection; a later rejection of the same key replaces the id.
class RejectedCredentials {
 public:
  void Note(CredentialKey key, uint64_t id) { ids_.insert_or_assign(key, id); }
  uint64_t Get(CredentialKey key) const {
    auto it = ids_.find(key);
    return it == ids_.end() ? 0 : it->second;
  }

 private:
  absl::flat_hash_map<CredentialKey, uint64_t> ids_;
};

// What an ObjectTier sees: the isolate's ports, and the revocation filter and rejected ids of
// the DurableObjectProvider that owns the tier (never null; they outlive the tier).
struct ObjectTierContext {
  IsolatePorts ports;
  const RevocationFilter* filter;
  const RejectedCredentials* rejected;
};

// The strategy-specific lower tier of a DurableObjectProvider: what its L1 calls on a miss
// (the CredentialSource contract of strategies/l1_cache.h). Subclasses implement Fetch() with
// the protected helpers and count the misses their own tier could not serve with
// CountFallback().
class ObjectTier : public CredentialSource {
 public:
  explicit ObjectTier(const ObjectTierContext& ctx);
  ObjectTier(const ObjectTier&) = delete;
  ObjectTier& operator=(const ObjectTier&) = delete;

  int fallbacks() const { return fallbacks_; }

 protected:
  // Asks the key's object (op kDoOpGet, stale_id, through the provider's filter) and maps the
  // answer: kOk → the credentials with source kDurableObject; kFailed → the object's status
  // (source kNone); kNotAdmitted → mints here (FetchFromSts: a fresh mint is not a cached
  // tier). nullopt when the platform rejected the call (kUnavailable): the caller decides.
  Task<std::optional<AuthResult>> FetchFromObject(CredentialKey key, uint64_t stale_id);
  // Signs the JWT and calls STS from the isolate (source kSts; StsCredentialSource).
  Task<AuthResult> FetchFromSts(CredentialKey key) { return sts_.Fetch(key); }
  void CountFallback() { ++fallbacks_; }

  const IsolatePorts& ports() const { return ports_; }
  const RevocationFilter* filter() const { return filter_; }
  const RejectedCredentials& rejected() const { return *rejected_; }

 private:
  const IsolatePorts ports_;
  const RevocationFilter* const filter_;
  const RejectedCredentials* const rejected_;
  StsCredentialSource sts_;
  int fallbacks_ = 0;
};

// Per-isolate provider of the DO strategies: GetCredentials polls revocation when due, then
// asks an L1 (config `l1`, with the revocation filter) whose lower tier is the strategy's
// ObjectTier. OnCredentialRejected, when revocation.drop_on_403 is set, drops the L1 entry if
// it still holds those credentials and notes their id, which the tier passes to the object as
// stale_id. `make_tier` is called once, during construction.
class DurableObjectProvider final : public CredentialProvider {
 public:
  using TierFactory = absl::FunctionRef<std::unique_ptr<ObjectTier>(const ObjectTierContext&)>;

  DurableObjectProvider(const L1Config& l1, const RevocationOptions& revocation,
                        const IsolatePorts& ports, TierFactory make_tier);
  Task<AuthResult> GetCredentials(AuthRequest request) override;
  bool TryGetCredentialsNow(const AuthRequest& request, AuthResult* out) override;
  void OnCredentialRejected(CredentialKey key, const Credentials& c) override;

  const L1Cache& l1() const { return l1_; }
  const ObjectTier& tier() const { return *tier_; }
  int fallbacks() const { return tier_->fallbacks(); }

 private:
  RevocationFilter filter_;
  RejectedCredentials rejected_;
  const std::unique_ptr<ObjectTier> tier_;
  L1Cache l1_;
};

}  // namespace credsim

#endif  // CREDSIM_STRATEGIES_DURABLE_OBJECT_CLIENT_H_
