// Revocation feed option usable with any strategy (Fly.io tkdb pattern, sources.md §S5
// "Verification cache with revocation feed"): caches poll the authority's revocation feed every
// `poll_interval` and drop revoked entries; past `disconnect_threshold` without a successful
// poll they serve nothing cached (fail closed; a new isolate has no successful poll until its
// first one succeeds, see RevocationFilter::Admit). Optionally a credential whose use fails with
// 403 is dropped from L1 (`drop_on_403`, applied by the provider's OnCredentialRejected).
//
// JSON (child "revocation" of a strategy's params):
//   "revocation": {"enabled": false, "poll_interval": "30s", "disconnect_threshold": "5m",
//                  "drop_on_403": false}
#ifndef CREDSIM_STRATEGIES_REVOCATION_FILTER_H_
#define CREDSIM_STRATEGIES_REVOCATION_FILTER_H_

#include <cstdint>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "sim/config/json_reader.h"
#include "sim/engine/task.h"
#include "sim/engine/time.h"
#include "strategies/ports/ports.h"

namespace credsim {

// Lower bound of `poll_interval` (see ParseRevocationOptions).
inline constexpr Duration kMinPollInterval = Duration::Seconds(1);

struct RevocationOptions {
  bool enabled = false;  // assumption: off by default (the real proxy has no feed)
  // Assumption (tkdb-like); sweep it. Bounds how long a revoked credential stays servable.
  Duration poll_interval = Duration::Seconds(30);  // >= kMinPollInterval
  // Assumption; past this age of the last successful poll nothing cached is served.
  Duration disconnect_threshold = Duration::Minutes(5);
  // Drop the L1 entry when AWS rejects its credentials with 403.
  bool drop_on_403 = false;
};

// Reads the child object "revocation" of `params` (absent → defaults). Unknown keys inside it
// are reported by the child reader's error (surfacing in params.Finish()).
absl::Status ParseRevocationOptions(JsonReader& params, RevocationOptions* out);
nlohmann::json RevocationOptionsJson(const RevocationOptions& o);

// Per-isolate view of the revocation feed. Workers isolates have no background timers, so
// polling happens lazily on the request path: MaybePoll() polls when `poll_interval` has passed
// since the last poll attempt (the first call always polls) and no poll is in flight;
// concurrent callers do not wait for an in-flight poll. Admit() decides whether a cached
// credential may be served. When disabled or `feed` is null, MaybePoll does nothing and Admit
// always returns true. Memory is O(roles revoked).
class RevocationFilter {
 public:
  RevocationFilter(const RevocationOptions& options, RevocationFeed* feed, Clock& clock);
  RevocationFilter(const RevocationFilter&) = delete;
  RevocationFilter& operator=(const RevocationFilter&) = delete;

  bool active() const { return active_; }
  // True when a MaybePoll() call would poll now (cheap; lets callers skip the coroutine).
  bool poll_due() const;
  Task<void> MaybePoll();

  // False if a seen revocation event covers `c` (event role == key.role or kAllRoles, and
  // c.issued_at < revoked_before), or if the last successful poll is older than
  // disconnect_threshold (fail closed: nothing is admitted, every request goes to STS).
  //
  // Before its first successful poll the filter has no feed position (fail closed at birth):
  // it admits only credentials issued at or after its construction instant, and only while
  // the construction is at most disconnect_threshold ago. Reason: an event covers credentials
  // issued before its time, and the feed publishes it after that time, so a successful poll
  // at construction could only have revoked credentials issued before construction; for later
  // ones (this isolate's own STS mints, or a shared tier's entry written since) an isolate
  // that never polled knows exactly as much as one that polled at birth. Credentials issued
  // before construction (an older L2/KV/DO entry) are refused until a poll succeeds: an
  // isolate born during a feed outage never serves them, and goes fully closed once
  // disconnect_threshold has passed since its birth. Concurrent requests of a new isolate do
  // not wait for its first poll (a cross-request wait on Workers), so they are treated the
  // same way while it is in flight.
  bool Admit(CredentialKey key, const Credentials& c) const;
  bool has_feed_position() const { return last_success_.has_value(); }

  const RevocationOptions& options() const { return options_; }
  int polls() const { return polls_; }
  int failed_polls() const { return failed_polls_; }

 private:
  const RevocationOptions options_;
  RevocationFeed* const feed_;
  Clock& clock_;
  const bool active_;
  bool polling_ = false;
  const Time created_;
  std::optional<Time> last_attempt_;
  std::optional<Time> last_success_;  // none: no feed position yet
  uint64_t cursor_ = 0;
  std::optional<Time> all_roles_before_;
  absl::flat_hash_map<uint32_t, Time> role_before_;
  int polls_ = 0;
  int failed_polls_ = 0;
};

}  // namespace credsim

#endif  // CREDSIM_STRATEGIES_REVOCATION_FILTER_H_
