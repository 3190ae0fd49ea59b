#include "strategies/l1_cache.h"

#include <exception>
#include <string>

namespace credsim {
namespace {
// True for the exceptions by which the runtime abandons a request.
bool IsCancellation(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const RequestCancelled&) {
    return true;
  } catch (const RuntimeCancelled&) {
    return true;
  } catch (...) {
    return false;
  }
}
}  // namespace

Task<AuthResult> StsCredentialSource::Fetch(CredentialKey key) {
  co_await signer_.SignJwt(key);
  const StsResult r = co_await sts_.AssumeRoleWithWebIdentity(key);
  AuthResult out;
  out.source = Tier::kSts;
  if (!r.ok()) {
    out.status = StatusFor(r.error);
    co_return out;
  }
  out.credentials = r.credentials;
  co_return out;
}

std::string_view L1VariantName(L1Variant v) {
  switch (v) {
    case L1Variant::kV0: return "v0";
    case L1Variant::kV1: return "v1";
    case L1Variant::kV2: return "v2";
  }
  return "v2";
}

std::string_view L1V1WaitName(L1V1Wait w) {
  return w == L1V1Wait::kHolderPromise ? "holder_promise" : "waiter_promise";
}

absl::Status ParseL1Config(JsonReader& r, L1Config* out) {
  L1Config c;
  const std::string v =
      r.GetEnum("variant", std::string(L1VariantName(c.variant)), {"v0", "v1", "v2"},
          {.doc = "L1 single-flight variant: v0 = no single-flight (multistore <= 0.4), v1 = "
                  "per-key lock held across the STS call (0.5.0-0.7.1; on Workers waiters are "
                  "cancelled, 500), v2 = claim-based renewal (0.7.2, current).",
           .source = "sources.md §S2 \"L1 (per-isolate) cache\"."});
  c.variant = v == "v0" ? L1Variant::kV0 : v == "v1" ? L1Variant::kV1 : L1Variant::kV2;
  c.refresh_lead = r.GetDuration("refresh_lead", c.refresh_lead,
      {.doc = "Serve a cached credential while its expiration E > now + refresh_lead (v0/v1: "
              "the 60 s serve margin; v2: REFRESH_LEAD).",
       .source = "sources.md §S2 \"L1 (per-isolate) cache\": REFRESH_LEAD = 60 s."});
  c.min_serve = r.GetDuration("min_serve", c.min_serve,
      {.doc = "v2 MIN_SERVE: while another request holds a live renewal claim, others keep "
              "serving the old credential while E > now + min_serve.",
       .source = "sources.md §S2 \"L1 (per-isolate) cache\": MIN_SERVE = 5 s."});
  c.claim_timeout = r.GetDuration("claim_timeout", c.claim_timeout,
      {.doc = "v2 CLAIM_TIMEOUT: a renewal claim older than this no longer holds other "
              "requests off.",
       .source = "sources.md §S2 \"L1 (per-isolate) cache\": CLAIM_TIMEOUT = 30 s."});
  const std::string w = r.GetEnum("v1_wait", std::string(L1V1WaitName(c.v1_wait)),
                                  {"waiter_promise", "holder_promise"},
          {.doc = "v1 only, on the Workers runtime "
                  "(world.workers.cross_request_waits_cancelled): what a waiter for the lock "
                  "awaits. \"waiter_promise\": a promise of its own request (a per-waiter waker "
                  "queue; multistore v1's Rust/wasm shape): cancelled at once as hung, 500. "
                  "\"holder_promise\": the holder's promise (a JavaScript shared-promise lock): "
                  "served when the holder's fetch lands; if the holder's request is cancelled "
                  "first, its waiters and every later miss for the key get 500 at once (the lock "
                  "stays pinned in that isolate: no JavaScript cleanup runs). A cancelled "
                  "\"waiter_promise\" holder (a Rust guard) releases the lock on every runtime "
                  "(assumption: dropping the cancelled future drops its guard). The cache is "
                  "checked holding the lock (multistore v1, double-checked). Natively both wait.",
           .source = "docs/platform-conformance.md v1-lock-herd (shared: 80 x 200; queue/executor: "
                     "1 x 200, 79 x 500) and cross-request-waits."});
  c.v1_wait = w == "holder_promise" ? L1V1Wait::kHolderPromise : L1V1Wait::kWaiterPromise;
  if (!r.ok()) return r.status();
  *out = c;
  return absl::OkStatus();
}

void L1ConfigToJson(const L1Config& c, nlohmann::json* out) {
  (*out)["variant"] = std::string(L1VariantName(c.variant));
  (*out)["refresh_lead"] = FormatDuration(c.refresh_lead);
  (*out)["min_serve"] = FormatDuration(c.min_serve);
  (*out)["claim_timeout"] = FormatDuration(c.claim_timeout);
  (*out)["v1_wait"] = std::string(L1V1WaitName(c.v1_wait));
}

L1Cache::L1Cache(const L1Config& config, Clock& clock, IsolateRuntime& runtime,
                 CredentialSource& source, const RevocationFilter* filter)
    : config_(config), clock_(clock), runtime_(runtime), source_(source), filter_(filter) {}

Task<AuthResult> L1Cache::Get(CredentialKey key) {
  switch (config_.variant) {
    case L1Variant::kV0: return GetV0(key);
    case L1Variant::kV1: return GetV1(key);
    case L1Variant::kV2: break;
  }
  return GetV2(key);
}

L1Cache::Entry* L1Cache::FindAdmitted(CredentialKey key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  if (filter_ != nullptr && !filter_->Admit(key, it->second.credentials)) {
    ++stats_.not_admitted;
    entries_.erase(it);
    return nullptr;
  }
  return &it->second;
}

AuthResult L1Cache::Hit(const Entry& e) {
  ++stats_.hits;
  return AuthResult{FailureStatus::kOk, e.credentials, Tier::kL1};
}

void L1Cache::Store(CredentialKey key, const Credentials& c) {
  entries_.insert_or_assign(key, Entry{c, std::nullopt});
}

bool L1Cache::TryServe(CredentialKey key, Time now, AuthResult* out) {
  Entry* e = FindAdmitted(key);
  if (e == nullptr) return false;
  const Time expiration = e->credentials.expiration;
  if (expiration > now + config_.refresh_lead) {
    *out = Hit(*e);
    return true;
  }
  if (config_.variant == L1Variant::kV2 && e->renewing_since &&
      now < *e->renewing_since + config_.claim_timeout && expiration > now + config_.min_serve) {
    ++stats_.stale_hits;
    *out = Hit(*e);
    return true;
  }
  return false;
}

bool L1Cache::TryGet(CredentialKey key, AuthResult* out) {
  // v1: a held lock means a wait or a failure: not synchronous.
  if (config_.variant == L1Variant::kV1 && locks_.contains(key)) return false;
  return TryServe(key, clock_.Now(), out);
}

Task<AuthResult> L1Cache::GetV0(CredentialKey key) {
  if (AuthResult hit; TryServe(key, clock_.Now(), &hit)) co_return hit;
  ++stats_.fetches;
  AuthResult r = co_await source_.Fetch(key);
  if (r.status == FailureStatus::kOk) {
    Store(key, r.credentials);
  } else {
    ++stats_.fetch_failures;
  }
  co_return r;
}

void L1Cache::ReleaseLock(CredentialKey key, Lock* lock) {
  auto it = locks_.find(key);
  if (it != locks_.end() && it->second == lock) locks_.erase(it);
  lock->Set(true);  // wakes waiters (they copy the value, so `lock` may die right after)
}

Task<AuthResult> L1Cache::GetV1(CredentialKey key) {
  // multistore v1: `let _guard = lock.lock().await;` then check the cache under the lock
  // (double-checked: a waiter that acquires after another request's fetch finds its result).
  for (auto it = locks_.find(key); it != locks_.end(); it = locks_.find(key)) {
    // A pinned lock (abandoned JS holder, Workers) can never be released: fail at once.
    if (it->second == nullptr ||
        (runtime_.cross_request_waits_cancelled() &&
         config_.v1_wait == L1V1Wait::kWaiterPromise)) {
      ++stats_.runtime_cancels;
      throw RuntimeCancelled();
    }
    ++stats_.lock_waits;
    if (!co_await it->second->Wait()) {  // the holder was abandoned (Workers, kHolderPromise)
      ++stats_.runtime_cancels;
      throw RuntimeCancelled();
    }
    // Released: try to acquire again.
  }
  // The lock is free, so acquiring it is synchronous and nothing else runs before the check;
  // a hit releases it at once, which no other request can observe, so a hit does not
  // materialize the lock (no map insert on the hit path).
  if (AuthResult hit; TryServe(key, clock_.Now(), &hit)) co_return hit;
  Lock lock(clock_);
  locks_.emplace(key, &lock);
  ++stats_.fetches;
  AuthResult r;
  try {
    r = co_await source_.Fetch(key);
  } catch (...) {
    const bool cancelled = IsCancellation(std::current_exception());
    if (cancelled && runtime_.cross_request_waits_cancelled() &&
        config_.v1_wait == L1V1Wait::kHolderPromise) {
      // A JavaScript lock on Workers: the abandoned request's code (its `finally`) never runs
      // (docs/platform-conformance.md#cross-request-waits), so the key stays locked for good;
      // a null marker remains. Its waiters fail now, as the holder's promise can no longer
      // settle (they copy the value, so `lock` may die right after).
      locks_[key] = nullptr;
      lock.Set(false);
    } else {
      // A Rust guard (kWaiterPromise, multistore v1) is released when the holder's future is
      // dropped, on every runtime (assumption: the cancelled request's future is dropped; no
      // source says otherwise); an error path releases it too. Waiters re-check.
      if (!cancelled) ++stats_.fetch_failures;
      ReleaseLock(key, &lock);
    }
    throw;
  }
  if (r.status == FailureStatus::kOk) {
    Store(key, r.credentials);
  } else {
    ++stats_.fetch_failures;
  }
  ReleaseLock(key, &lock);
  co_return r;
}

Task<AuthResult> L1Cache::GetV2(CredentialKey key) {
  const Time now = clock_.Now();
  if (AuthResult hit; TryServe(key, now, &hit)) co_return hit;
  bool claimed = false;
  if (Entry* e = FindAdmitted(key); e != nullptr) {  // present but due: claim the renewal
    e->renewing_since = now;
    claimed = true;
  }
  ++stats_.fetches;
  AuthResult r;
  try {
    r = co_await source_.Fetch(key);
  } catch (...) {
    // A cancelled claimant leaves the claim pinned until claim_timeout (abandoned code never
    // releases it); any other failure releases it.
    if (!IsCancellation(std::current_exception())) {
      ++stats_.fetch_failures;
      if (claimed) ReleaseClaim(key);
    }
    throw;
  }
  if (r.status == FailureStatus::kOk) {
    Store(key, r.credentials);
  } else {
    ++stats_.fetch_failures;
    if (claimed) ReleaseClaim(key);
  }
  co_return r;
}

void L1Cache::ReleaseClaim(CredentialKey key) {
  if (auto it = entries_.find(key); it != entries_.end()) it->second.renewing_since.reset();
}

bool L1Cache::Erase(CredentialKey key) { return entries_.erase(key) > 0; }

bool L1Cache::EraseIfId(CredentialKey key, uint64_t credential_id) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.credentials.id != credential_id) return false;
  entries_.erase(it);
  return true;
}

std::optional<Credentials> L1Cache::Peek(CredentialKey key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second.credentials;
}

std::optional<Time> L1Cache::claim(CredentialKey key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second.renewing_since;
}

bool L1Cache::locked(CredentialKey key) const { return locks_.contains(key); }

}  // namespace credsim
