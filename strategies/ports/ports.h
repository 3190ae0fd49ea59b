// The ports a caching strategy may use. Strategies see only these interfaces (plus the
// coroutine runtime in sim/task.h), never the scenario, the RNG or the event queue. The
// simulator provides simulated adapters (sim/*_sim.h); a production build would implement the
// same interfaces over the real Workers runtime and AWS STS, like LevelDB's Env.
//
// Coroutine methods take their small arguments (keys, credentials, requests, durations) by
// value: a Task starts lazily, so a reference parameter could dangle if the caller passed a
// temporary and awaited the Task later (sim/task.h). Ports themselves are long-lived.
//
// Credential values are typed (`Credentials`) instead of serialized bytes: a real adapter
// serializes the STS response body; the simulation only needs identity and lifetimes.
#ifndef CREDSIM_STRATEGIES_PORTS_PORTS_H_
#define CREDSIM_STRATEGIES_PORTS_PORTS_H_

#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string_view>

#include "sim/engine/task.h"
#include "sim/engine/time.h"

namespace credsim {

// Cache key: role (data connection) and session subject, packed so lookups hash one integer.
struct CredentialKey {
  uint32_t role = 0;
  uint32_t session = 0;
  uint64_t packed() const { return (static_cast<uint64_t>(role) << 32) | session; }
  friend bool operator==(const CredentialKey&, const CredentialKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const CredentialKey& k) {
    return H::combine(std::move(h), k.packed());
  }
};

// One issued set of temporary AWS credentials.
struct Credentials {
  uint64_t id = 0;   // unique per STS issuance (0 = none)
  Time issued_at;    // when STS minted them (revocation compares against this)
  Time expiration;   // the STS <Expiration>
  bool valid() const { return id != 0; }
};

// What the Worker answers when credentials cannot be obtained.
enum class FailureStatus : uint16_t {
  kOk = 200,
  kForbidden = 403,       // STS AccessDenied / revoked credentials
  kInternal = 500,        // request cancelled by the runtime (v1 lock waiters)
  kBadGateway = 502,      // other STS errors (Throttling, InvalidIdentityToken, ...)
  kUnavailable = 503,     // STS timeout, unparseable response, edge timeout
};

// Why an STS exchange failed, and the status the Worker answers with (sources.md §S3
// "The mint", "Error mapping seen by the client"): AccessDenied -> 403; every other STS
// error document (Throttling, InvalidIdentityToken, IDPCommunicationError, a 5xx error body)
// -> 502; only a timeout, a connection error or an unparseable body -> 503.
enum class StsError : uint8_t {
  kNone,
  kAccessDenied,          // -> 403
  kThrottling,            // token bucket exhausted -> 502
  kInvalidIdentityToken,  // -> 502
  kIdpCommunication,      // transient -> 502
  kTimeout,               // client-side timeout -> 503
  kOutage,                // no parseable answer: endpoint unreachable, connection refused or
                          // reset, unparseable body -> 503
  kServiceError,          // STS answered with a 5xx error document (InternalFailure,
                          // ServiceUnavailable XML) -> 502
};
inline FailureStatus StatusFor(StsError e) {
  switch (e) {
    case StsError::kNone: return FailureStatus::kOk;
    case StsError::kAccessDenied: return FailureStatus::kForbidden;
    case StsError::kThrottling:
    case StsError::kInvalidIdentityToken:
    case StsError::kIdpCommunication:
    case StsError::kServiceError: return FailureStatus::kBadGateway;
    case StsError::kTimeout:
    case StsError::kOutage: return FailureStatus::kUnavailable;
  }
  return FailureStatus::kBadGateway;
}

struct StsResult {
  StsError error = StsError::kNone;
  Credentials credentials;
  bool ok() const { return error == StsError::kNone; }
};

// The clock port: Now() and waiting (`co_await Sleep(clock, d)`), see sim/task.h.
using Clock = Executor;

// Thrown by a port when the runtime cancels a request that waits on another request's I/O
// (Workers: "code had hung"); the client sees a 500.
struct RuntimeCancelled : std::exception {
  const char* what() const noexcept override { return "runtime cancelled a hung request"; }
};

// Properties of the runtime that hosts the isolate.
class IsolateRuntime {
 public:
  virtual ~IsolateRuntime() = default;
  // Workers: a request awaiting a promise that only another request's I/O resolves is
  // cancelled. Native runtimes (tokio, node) let it wait.
  virtual bool cross_request_waits_cancelled() const = 0;
};

// Signs the RS256 web-identity JWT (CPU work on the isolate).
class TokenSigner {
 public:
  virtual ~TokenSigner() = default;
  virtual Task<void> SignJwt(CredentialKey key) = 0;
};

// AWS STS AssumeRoleWithWebIdentity as seen from one Worker (timeout, retries included).
class StsClient {
 public:
  virtual ~StsClient() = default;
  virtual Task<StsResult> AssumeRoleWithWebIdentity(CredentialKey key) = 0;
};

// The per-colo Cache API (caches.default). Read errors surface as `error`.
struct CacheMatch {
  bool error = false;
  std::optional<Credentials> value;
};
class ColoCache {
 public:
  virtual ~ColoCache() = default;
  virtual bool enabled() const = 0;  // false on *.workers.dev: match/put do nothing
  virtual Task<CacheMatch> Match(CredentialKey key) = 0;
  // Resolves whether or not the entry was stored (like the real put()).
  virtual Task<void> Put(CredentialKey key, Credentials value, Duration ttl) = 0;
};

// Workers KV namespace.
enum class KvStatus : uint8_t { kOk, kNotFound, kError, kRateLimited, kInvalidTtl };
struct KvRead {
  KvStatus status = KvStatus::kNotFound;
  std::optional<Credentials> value;
};
class KvNamespace {
 public:
  virtual ~KvNamespace() = default;
  virtual Task<KvRead> Get(CredentialKey key, Duration cache_ttl) = 0;
  virtual Task<KvStatus> Put(CredentialKey key, Credentials value,
                             Duration expiration_ttl) = 0;
};

// Request/response of a Durable Object call. The object is strategy code (see
// DurableObject below); the stub routes to the single object for `key`.
struct DoRequest {
  CredentialKey key;
  uint32_t op = 0;             // strategy-defined
  uint64_t stale_id = 0;       // e.g. "the credential I hold is bad; give me another"
};
struct DoResponse {
  bool overloaded = false;     // platform rejected the call (do not retry)
  bool error = false;          // other platform error
  FailureStatus status = FailureStatus::kOk;
  Credentials credentials;
};
class DurableObjectStub {
 public:
  virtual ~DurableObjectStub() = default;
  virtual Task<DoResponse> Fetch(DoRequest request) = 0;
};

// Durable storage of one object (survives hibernation and eviction).
class DurableStorage {
 public:
  virtual ~DurableStorage() = default;
  virtual Task<std::optional<Credentials>> Get(CredentialKey key) = 0;
  virtual Task<void> Put(CredentialKey key, Credentials value) = 0;
};

// What a Durable Object instance can use. Its memory is lost when the platform evicts it
// (the adapter then constructs a new instance with the same storage).
class DurableObjectContext {
 public:
  virtual ~DurableObjectContext() = default;
  virtual Clock& clock() = 0;
  virtual DurableStorage& storage() = 0;
  virtual StsClient& sts() = 0;
  virtual TokenSigner& signer() = 0;
  virtual KvNamespace& kv() = 0;
  // One alarm per object; setting replaces the previous one.
  virtual void SetAlarm(Time at) = 0;
  virtual std::optional<Time> GetAlarm() const = 0;
};

class DurableObject {
 public:
  virtual ~DurableObject() = default;
  virtual Task<DoResponse> Fetch(DoRequest request) = 0;
  // Throwing (or returning false) makes the platform retry with backoff (2 s doubling, up
  // to 6 retries), unless the handler set an alarm meanwhile: then that alarm runs instead
  // (the runtime's behaviour, docs/platform-conformance.md#do-alarms).
  virtual Task<bool> Alarm() { co_return true; }
};

// Revocation feed of the credential authority (Fly.io tkdb pattern).
struct RevocationEvent {
  static constexpr uint32_t kAllRoles = UINT32_MAX;
  uint32_t role = kAllRoles;  // which role's sessions were revoked
  Time revoked_before;        // credentials issued before this instant stop working
};
struct RevocationPoll {
  bool ok = false;                           // false: feed unreachable
  uint64_t cursor = 0;                       // pass back on the next poll
  std::span<const RevocationEvent> events;   // published since the previous cursor
};
class RevocationFeed {
 public:
  virtual ~RevocationFeed() = default;
  virtual Task<RevocationPoll> Poll(uint64_t cursor) = 0;
};

// Routes to the one Durable Object of a key, from the caller's colo.
class DurableObjectNamespace {
 public:
  virtual ~DurableObjectNamespace() = default;
  virtual DurableObjectStub& Get(CredentialKey key) = 0;
};

}  // namespace credsim

#endif  // CREDSIM_STRATEGIES_PORTS_PORTS_H_
