// The strategy interface. A Strategy is created once per run from its JSON parameters; the
// world asks it for one CredentialProvider per isolate (the per-isolate state, like the
// OnceLock'd OidcCredentialProvider of the real proxy) and, if it uses Durable Objects, for
// one DurableObject per object instance. Everything a strategy touches comes through ports.
#ifndef CREDSIM_STRATEGIES_PORTS_STRATEGY_H_
#define CREDSIM_STRATEGIES_PORTS_STRATEGY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"
#include "strategies/ports/ports.h"

namespace credsim {

// Where a request's credentials came from.
enum class Tier : uint8_t { kL1, kL2, kKv, kDurableObject, kSts, kNone };
inline constexpr int kTierCount = 6;
inline std::string_view TierName(Tier t) {
  switch (t) {
    case Tier::kL1: return "l1";
    case Tier::kL2: return "l2";
    case Tier::kKv: return "kv";
    case Tier::kDurableObject: return "do";
    case Tier::kSts: return "sts";
    case Tier::kNone: return "none";
  }
  return "none";
}

struct AuthRequest {
  CredentialKey key;
};

struct AuthResult {
  FailureStatus status = FailureStatus::kOk;
  Credentials credentials;
  Tier source = Tier::kNone;
};

// Everything a per-isolate provider may use. Ports are owned by the world and outlive the
// provider. `feed` is null when the scenario has no revocation feed.
struct IsolatePorts {
  Clock& clock;
  IsolateRuntime& runtime;
  TokenSigner& signer;
  StsClient& sts;
  ColoCache& colo_cache;
  KvNamespace& kv;
  DurableObjectNamespace& durable_objects;
  RevocationFeed* feed;
};

// Per-isolate credential provider: the code on the request path.
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  // Returns credentials for the request, or a failure status. May throw RequestCancelled or
  // RuntimeCancelled (the world maps them to 503 / 500).
  virtual Task<AuthResult> GetCredentials(AuthRequest request) = 0;
  // The synchronous fast path (performance only; no strategy needs it to be correct): if the
  // request can be answered now without suspending, fills *out and returns true, with exactly
  // the effects (state, counters, answer) a GetCredentials call completing without suspension
  // would have had. Otherwise returns false, and the effects it had (if any) must be ones a
  // following GetCredentials call for the same request makes idempotently (e.g. dropping a
  // revoked entry), so that "TryGetCredentialsNow false, then GetCredentials" behaves exactly
  // as GetCredentials alone. The world calls it first and falls back to GetCredentials.
  virtual bool TryGetCredentialsNow(const AuthRequest& request, AuthResult* out) {
    return false;
  }
  // The credentials returned for `key` were rejected by AWS with 403 (e.g. revoked).
  virtual void OnCredentialRejected(CredentialKey key, const Credentials& c) {}
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string_view kind() const = 0;
  // Parameters after defaults were applied (written to results.json).
  virtual nlohmann::json params() const = 0;
  virtual std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) = 0;
  // Strategies that use Durable Objects build the object code here.
  virtual std::unique_ptr<DurableObject> NewDurableObject(DurableObjectContext& ctx) {
    return nullptr;
  }
  // True if the world should call each role's object once at t = 0 (op 0), as a deployment
  // step would (e.g. to start an alarm refresh chain before traffic arrives).
  virtual bool prewarm_durable_objects() const { return false; }
};

}  // namespace credsim

#endif  // CREDSIM_STRATEGIES_PORTS_STRATEGY_H_
