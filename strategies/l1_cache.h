// L1Cache: the per-isolate credential cache of the real proxy (multistore's CredentialCache in
// the OnceLock'd OidcCredentialProvider), with its three historical single-flight variants
// (sources.md §S2 "L1 (per-isolate) cache"). A miss calls a lower tier given as a
// CredentialSource, so the same cache fronts STS (`l1`), the Cache API (`l1_l2`), Workers KV
// (`kv`) or a Durable Object.
//
// JSON keys read by ParseL1Config (flat, in the strategy's params):
//   "variant": "v0" | "v1" | "v2" (default "v2"), "refresh_lead": "60s", "min_serve": "5s",
//   "claim_timeout": "30s", "v1_wait": "waiter_promise" | "holder_promise" (default
//   "waiter_promise").
#ifndef CREDSIM_STRATEGIES_L1_CACHE_H_
#define CREDSIM_STRATEGIES_L1_CACHE_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "sim/config/json_reader.h"
#include "sim/engine/task.h"
#include "sim/engine/time.h"
#include "strategies/ports/ports.h"
#include "strategies/revocation_filter.h"
#include "strategies/ports/strategy.h"

namespace credsim {

// A lower tier that L1 calls on a miss.
//
// Contract: Fetch returns either status kOk with valid credentials and `source` set to the tier
// that produced them (kSts, kL2, kKv, kDurableObject), or a non-200 status (credentials are
// then ignored and nothing is cached by L1). It may throw RequestCancelled / RuntimeCancelled
// (the request was cancelled); L1 lets them propagate. Implementations must copy what they
// need from their arguments before the first suspension.
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  virtual Task<AuthResult> Fetch(CredentialKey key) = 0;
};

// The basic lower tier: sign the web-identity JWT, then call STS AssumeRoleWithWebIdentity.
// Errors map with StatusFor(StsError); successful results have source kSts.
class StsCredentialSource final : public CredentialSource {
 public:
  StsCredentialSource(TokenSigner& signer, StsClient& sts) : signer_(signer), sts_(sts) {}
  Task<AuthResult> Fetch(CredentialKey key) override;

 private:
  TokenSigner& signer_;
  StsClient& sts_;
};

enum class L1Variant : uint8_t {
  kV0,  // multistore <= 0.4: no single-flight
  kV1,  // 0.5.0-0.7.1: per-key async lock held across the fetch
  kV2,  // 0.7.2 (current): claim-based renewal
};
std::string_view L1VariantName(L1Variant v);

// What a v1 waiter awaits, which decides its fate on the Workers runtime
// (docs/platform-conformance.md#v1-lock-herd). Natively both shapes just wait.
enum class L1V1Wait : uint8_t {
  // Each waiter awaits a promise created in its own request (a per-waiter waker queue; what
  // multistore v1 does as Rust in wasm): the runtime's hang detection cancels it at once (500).
  kWaiterPromise,
  // Every waiter awaits the holder's promise (a JavaScript shared-promise lock): served when
  // the holder settles it while its request is alive; 500 at once when the holder's request
  // ends first (conformance: cross-request-waits).
  kHolderPromise,
};
std::string_view L1V1WaitName(L1V1Wait w);

struct L1Config {
  L1Variant variant = L1Variant::kV2;  // sources.md §S2: v2 is current
  // Serve from L1 while E > now + refresh_lead (v0, v1: the 60 s serve margin; v2:
  // REFRESH_LEAD). sources.md §S2: 60 s.
  Duration refresh_lead = Duration::Seconds(60);
  // v2 MIN_SERVE: a live claim lets others serve the old credential while E > now + min_serve.
  // sources.md §S2: 5 s.
  Duration min_serve = Duration::Seconds(5);
  // v2 CLAIM_TIMEOUT: a claim older than this no longer holds others off.
  // sources.md §S2: 30 s.
  Duration claim_timeout = Duration::Seconds(30);
  // v1 only: the lock's shape (see L1V1Wait). Default: multistore v1's own shape, which the
  // conformance suite shows cancelled on Workers (79 of 80 waiters, 500).
  L1V1Wait v1_wait = L1V1Wait::kWaiterPromise;
};

// Reads variant, refresh_lead, min_serve, claim_timeout, v1_wait from `r` (caller calls
// r.Finish()).
absl::Status ParseL1Config(JsonReader& r, L1Config* out);
// Writes the same keys into `out` (for Strategy::params()).
void L1ConfigToJson(const L1Config& c, nlohmann::json* out);

// Per-isolate cache keyed by CredentialKey. Get() serves a cached credential (source kL1) or
// calls the source on a miss, according to the variant:
//
// v0: serve if E > now + refresh_lead; otherwise fetch. No single-flight: N concurrent misses
//     make N fetches. Successful fetches are stored (last writer wins).
// v1: multistore 0.5.0-0.7.1: acquire the key's lock, then serve if E > now + refresh_lead
//     (the check is made holding the lock, after any wait; an uncontended acquisition is
//     synchronous, so a hit never waits and does not materialize the lock). If another
//     request holds the lock (i.e. is fetching), the waiter's fate depends on the runtime and
//     on config.v1_wait (docs/platform-conformance.md#v1-lock-herd):
//       - native runtime (!runtime.cross_request_waits_cancelled()), either shape: it waits for
//         the lock to be released, then acquires it and checks the cache;
//       - Workers, kWaiterPromise: it throws RuntimeCancelled at once (the runtime's "code had
//         hung" cancellation, a 500);
//       - Workers, kHolderPromise: it waits like a native waiter while the holder is alive.
//     The holder fetches, stores on success and releases the lock (a failed fetch releases it
//     too; the woken waiters re-check and one of them fetches). If the holder's request is
//     cancelled (RequestCancelled/RuntimeCancelled through the fetch):
//       - kWaiterPromise (a Rust guard): the lock is released on every runtime, as dropping
//         the cancelled future drops its MutexGuard (assumption: no source says the runtime
//         keeps an abandoned future alive); waiters (native) re-check, later misses fetch;
//       - kHolderPromise on Workers (a JavaScript lock): the lock stays held forever, since
//         the abandoned request's cleanup never runs (docs/platform-conformance.md
//         #cross-request-waits), so every later miss of the key in the isolate is a 500 at
//         once, and the holder's waiters throw RuntimeCancelled at that instant ("promise was
//         created by a request that has since ended"); natively it is released.
// v2: 1. no entry → fetch, no claim (cold keys are not single-flighted);
//     2. E > now + refresh_lead → serve;
//     3. a live claim (now < renewing_since + claim_timeout) and E > now + min_serve → serve
//        the old credential;
//     4. otherwise claim (renewing_since = now) and fetch (in the last min_serve everyone does).
//     Success replaces the entry (clears the claim; last writer wins). A failed fetch (non-200
//     or an exception other than a cancellation) releases the claim and fails that request
//     only. A claimant whose request is cancelled leaves the claim pinned until it times out.
//
// With a RevocationFilter, an entry that the filter does not admit is a miss and is erased
// (including its claim). No allocation on the hit path (the coroutine frame is pooled).
class L1Cache {
 public:
  struct Stats {
    int64_t hits = 0;          // served from L1 (including stale serves)
    int64_t stale_hits = 0;    // v2 case 3: served the old credential under a live claim
    int64_t fetches = 0;       // calls to the source
    int64_t fetch_failures = 0;
    int64_t lock_waits = 0;          // v1: waits for another request's fetch
    int64_t runtime_cancels = 0;     // v1 Workers: waiters and misses cancelled (500)
    int64_t not_admitted = 0;        // entries dropped by the revocation filter
  };

  // `filter` may be null. All references must outlive the cache.
  L1Cache(const L1Config& config, Clock& clock, IsolateRuntime& runtime,
          CredentialSource& source, const RevocationFilter* filter);
  L1Cache(const L1Cache&) = delete;
  L1Cache& operator=(const L1Cache&) = delete;

  Task<AuthResult> Get(CredentialKey key);
  // Get()'s synchronous cases (CredentialProvider::TryGetCredentialsNow): a hit, or a v2 stale
  // hit under a live claim, fills *out (counted as Get() counts it) and returns true. Returns
  // false where Get() would fetch, wait for a lock or fail (v1); the only effect it may have
  // then is the erasure of an entry the filter does not admit, which Get() would make too.
  bool TryGet(CredentialKey key, AuthResult* out);

  // Drops the entry for `key` (and any claim); returns whether one existed.
  bool Erase(CredentialKey key);
  // Drops the entry only if it holds credentials `credential_id` (not a newer one).
  bool EraseIfId(CredentialKey key, uint64_t credential_id);

  // Inspection (tests, metrics).
  std::optional<Credentials> Peek(CredentialKey key) const;
  std::optional<Time> claim(CredentialKey key) const;  // v2 renewing_since
  bool locked(CredentialKey key) const;                // v1 lock held
  size_t size() const { return entries_.size(); }
  const Stats& stats() const { return stats_; }
  const L1Config& config() const { return config_; }

 private:
  struct Entry {
    Credentials credentials;
    std::optional<Time> renewing_since;  // v2 claim
  };
  // Set(true): released, re-check the cache; Set(false): the holder was abandoned (Workers,
  // kHolderPromise), the waiters fail.
  using Lock = SharedResult<bool>;

  Task<AuthResult> GetV0(CredentialKey key);
  Task<AuthResult> GetV1(CredentialKey key);
  Task<AuthResult> GetV2(CredentialKey key);
  // The entry for key if present and admitted by the filter; erases non-admitted entries.
  Entry* FindAdmitted(CredentialKey key);
  // Serves the admitted entry for `key` at `now` if the variant allows it without fetching
  // (fresh, or v2 stale under a live claim); returns false otherwise.
  bool TryServe(CredentialKey key, Time now, AuthResult* out);
  AuthResult Hit(const Entry& e);
  void Store(CredentialKey key, const Credentials& c);
  void ReleaseLock(CredentialKey key, Lock* lock);
  void ReleaseClaim(CredentialKey key);

  const L1Config config_;
  Clock& clock_;
  IsolateRuntime& runtime_;
  CredentialSource& source_;
  const RevocationFilter* filter_;
  absl::flat_hash_map<CredentialKey, Entry> entries_;
  // v1: the lock lives in the holder's frame; null = held forever by an abandoned holder.
  absl::flat_hash_map<CredentialKey, Lock*> locks_;
  Stats stats_;
};

}  // namespace credsim

#endif  // CREDSIM_STRATEGIES_L1_CACHE_H_
