#include "strategies/revocation_filter.h"

#include <algorithm>

#include "fmt/format.h"

namespace credsim {

absl::Status ParseRevocationOptions(JsonReader& params, RevocationOptions* out) {
  RevocationOptions o;
  JsonReader r = params.Child("revocation",
      {.doc = "Revocation-feed option of the strategy's caches: poll the feed, drop revoked entries, fail closed when the feed is unreachable for too long, optionally drop a credential that AWS rejects with 403.",
       .source = "sources.md §S5 \"Verification cache with revocation feed\" (Fly.io tkdb)."});
  o.enabled = r.GetBool("enabled", o.enabled,
      {.doc = "Poll the revocation feed (scenario `revocation`) and drop revoked entries.",
       .source = "assumption: off by default (the real proxy has no feed)."});
  o.poll_interval = r.GetDuration("poll_interval", o.poll_interval,
      {.doc = "Time between feed polls (lazy, on the request path: isolates have no timers). "
              "Bounds how long a revoked credential stays servable.",
       .source = "assumption (tkdb-like); sweep it."});
  o.disconnect_threshold = r.GetDuration("disconnect_threshold", o.disconnect_threshold,
      {.doc = "Past this age of the last successful poll nothing cached is served (fail "
              "closed). A new isolate has no successful poll: until its first poll succeeds "
              "it serves only credentials issued since its creation, and only for "
              "disconnect_threshold after it (an isolate born during a feed outage never "
              "serves an older shared-tier entry).",
       .source = "assumption; fail closed per sources.md §S5 \"Verification cache with "
                 "revocation feed\"."});
  o.drop_on_403 = r.GetBool("drop_on_403", o.drop_on_403,
      {.doc = "Drop the L1 entry whose credentials AWS rejected with 403.",
       .source = "assumption."});
  // Each isolate polls at most once per interval; below 1 s a busy fleet would poll (and
  // schedule feed events) faster than any real authority would allow, flooding the queue.
  if (r.ok() && o.poll_interval < kMinPollInterval) {
    r.Fail(r.PathOf("poll_interval"),
           fmt::format("must be >= {}; got {}", FormatDuration(kMinPollInterval),
                       FormatDuration(o.poll_interval)));
  }
  absl::Status s = r.Finish();
  if (!s.ok()) return s;
  *out = o;
  return absl::OkStatus();
}

nlohmann::json RevocationOptionsJson(const RevocationOptions& o) {
  return nlohmann::json{{"enabled", o.enabled},
                        {"poll_interval", FormatDuration(o.poll_interval)},
                        {"disconnect_threshold", FormatDuration(o.disconnect_threshold)},
                        {"drop_on_403", o.drop_on_403}};
}

RevocationFilter::RevocationFilter(const RevocationOptions& options, RevocationFeed* feed,
                                   Clock& clock)
    : options_(options),
      feed_(feed),
      clock_(clock),
      active_(options.enabled && feed != nullptr),
      created_(clock.Now()) {}

bool RevocationFilter::poll_due() const {
  if (!active_ || polling_) return false;
  return !last_attempt_ || clock_.Now() - *last_attempt_ >= options_.poll_interval;
}

Task<void> RevocationFilter::MaybePoll() {
  if (!poll_due()) co_return;
  polling_ = true;
  last_attempt_ = clock_.Now();
  ++polls_;
  RevocationPoll p;
  try {
    p = co_await feed_->Poll(cursor_);
  } catch (...) {
    // The polling request was cancelled: the poll is abandoned; the next one retries.
    polling_ = false;
    throw;
  }
  polling_ = false;
  if (!p.ok) {
    ++failed_polls_;
    co_return;
  }
  cursor_ = p.cursor;
  last_success_ = clock_.Now();
  for (const RevocationEvent& e : p.events) {
    if (e.role == RevocationEvent::kAllRoles) {
      all_roles_before_ = all_roles_before_ ? std::max(*all_roles_before_, e.revoked_before)
                                            : e.revoked_before;
    } else {
      auto [it, inserted] = role_before_.try_emplace(e.role, e.revoked_before);
      if (!inserted) it->second = std::max(it->second, e.revoked_before);
    }
  }
}

bool RevocationFilter::Admit(CredentialKey key, const Credentials& c) const {
  if (!active_) return true;
  // Without a feed position the disconnect clock runs from construction, and only
  // credentials issued since then are candidates (see the header).
  if (!last_success_ && c.issued_at < created_) return false;
  const Time known = last_success_.value_or(created_);
  if (clock_.Now() - known > options_.disconnect_threshold) return false;
  if (all_roles_before_ && c.issued_at < *all_roles_before_) return false;
  auto it = role_before_.find(key.role);
  if (it != role_before_.end() && c.issued_at < it->second) return false;
  return true;
}

}  // namespace credsim
