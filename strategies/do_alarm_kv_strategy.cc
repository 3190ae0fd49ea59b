#include "strategies/do_alarm_kv_strategy.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "fmt/format.h"

namespace credsim {
namespace {

// sources.md §P8: the current limits page allows cacheTtl down to 30 s.
constexpr Duration kMinCacheTtl = Duration::Seconds(30);

std::string_view FallbackName(KvFallback f) {
  switch (f) {
    case KvFallback::kFail: return "fail";
    case KvFallback::kDurableObject: return "do";
    case KvFallback::kSts: return "sts";
  }
  return "fail";
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

CredentialKey CountKey() { return CredentialKey{AlarmKvObject::kDirectoryRole, 0}; }
CredentialKey DirectoryKey(uint64_t i) {
  return CredentialKey{AlarmKvObject::kDirectoryRole, static_cast<uint32_t>(i + 1)};
}
CredentialKey Unpack(uint64_t packed) {
  return CredentialKey{static_cast<uint32_t>(packed >> 32), static_cast<uint32_t>(packed)};
}

}  // namespace

double AlarmJitterFraction(CredentialKey key, uint64_t credential_id) {
  const uint64_t h = SplitMix64(SplitMix64(key.packed()) ^ credential_id);
  return static_cast<double>(h >> 11) * 0x1.0p-53;  // [0, 1)
}

absl::Status ParseDoAlarmKvConfig(JsonReader& r, DoAlarmKvConfig* out) {
  DoAlarmKvConfig c;
  // Read every key even after an error so that the accepted-key list stays complete.
  const absl::Status l1 = ParseL1Config(r, &c.l1);
  c.alarm_lead = r.GetDuration("alarm_lead", c.alarm_lead,
      {.doc = "The object refreshes credentials at E - alarm_lead from its alarm().",
       .source = "sources.md §S5 \"Durable Object alarm refresh -> KV\" (ADR: 10 minutes before "
                 "expiry); sources.md §P8."});
  c.alarm_jitter = r.GetDuration("alarm_jitter", c.alarm_jitter,
      {.doc = "Each refresh fires up to this much earlier than E - alarm_lead: at E - "
              "alarm_lead - U * alarm_jitter, U in [0, 1) a deterministic hash of (key, "
              "credential id), never before the credential's half-life; so objects prewarmed "
              "together do not all refresh in the same second. At most 12h.",
       .source = "assumption (the ADR gives only the 10-minute lead; 5 min keeps the refresh "
                 "10-15 min before expiry)."});
  c.failure_rearm = r.GetDuration("failure_rearm", c.failure_rearm,
      {.doc = "After a failed refresh the handler re-arms the alarm this far ahead (longer "
              "than the platform's ~2 min retry series).",
       .source = "assumption (sources.md §P9 alarm retries)."});
  c.cache_ttl = r.GetDuration("cache_ttl", c.cache_ttl,
      {.doc = "KV cacheTtl of request-path reads.",
       .source = "sources.md §P4 cacheTtl: default 60 s, minimum 30 s."});
  c.kv_min_remaining = r.GetDuration("kv_min_remaining", c.kv_min_remaining,
      {.doc = "A KV value (or the object's credential) is usable while E > now + "
              "kv_min_remaining.",
       .source = "assumption (covers L1's 60 s lead plus slack)."});
  c.kv_expiry_margin = r.GetDuration("kv_expiry_margin", c.kv_expiry_margin,
      {.doc = "KV writes use expirationTtl = E - now - kv_expiry_margin.",
       .source = "assumption (equal to kv_min_remaining)."});
  const std::string fallback =
      r.GetEnum("fallback", std::string(FallbackName(c.fallback)), {"fail", "do", "sts"},
          {.doc = "When KV has nothing usable: \"fail\" (default, the ADR) answers 503, the "
                  "request path never contacts the object; \"do\" (the hybrid) asks the role's "
                  "object, which answers its credential or fetches one; \"sts\" signs and calls "
                  "STS from the isolate.",
           .source = "sources.md §S5 \"Durable Object alarm refresh -> KV\" (ADR: the request path "
                     "only reads KV, never contacts the object, never waits for a refresh); \"do\" "
                     "and \"sts\" are assumptions."});
  c.fallback = fallback == "sts"  ? KvFallback::kSts
               : fallback == "do" ? KvFallback::kDurableObject
                                  : KvFallback::kFail;
  c.prewarm = r.GetBool("prewarm", c.prewarm,
      {.doc = "The deployment sends an init to the object of every known (role, session) at "
              "t = 0 so KV is populated before traffic starts (the object accepts an init "
              "for any session).",
       .source = "sources.md §P8 KV: pre-populate the key before traffic starts."});
  // Both set alarms (events): a refresh that fails re-arms failure_rearm ahead, so a tiny
  // value would spin the alarm while STS is down; a lead below 1 s cannot cover even one STS
  // call. 1 s is also below every real alarm retry step (2 s).
  for (auto [key, value] : {std::pair{"alarm_lead", c.alarm_lead},
                            std::pair{"failure_rearm", c.failure_rearm}}) {
    if (r.ok() && value < kMinAlarmInterval) {
      r.Fail(r.PathOf(key), fmt::format("must be >= {}; got {}", FormatDuration(kMinAlarmInterval),
                                        FormatDuration(value)));
    }
  }
  // Above the longest STS lifetime (43200 s) the half-life floor always applies; the bound
  // also keeps E - alarm_lead - jitter far from the clock's range.
  if (r.ok() && (c.alarm_jitter < Duration() || c.alarm_jitter > kMaxAlarmJitter)) {
    r.Fail(r.PathOf("alarm_jitter"), fmt::format("must be in [0s, {}]; got {}",
                                                 FormatDuration(kMaxAlarmJitter),
                                                 FormatDuration(c.alarm_jitter)));
  }
  if (r.ok() && c.cache_ttl < kMinCacheTtl) {
    r.Fail(r.PathOf("cache_ttl"), "must be >= 30s (the KV minimum cacheTtl)");
  }
  const absl::Status revocation = ParseRevocationOptions(r, &c.revocation);
  if (!l1.ok()) return l1;
  if (!r.ok()) return r.status();
  if (!revocation.ok()) return revocation;
  *out = c;
  return absl::OkStatus();
}

nlohmann::json DoAlarmKvConfigJson(const DoAlarmKvConfig& c) {
  nlohmann::json j = nlohmann::json::object();
  L1ConfigToJson(c.l1, &j);
  j["alarm_lead"] = FormatDuration(c.alarm_lead);
  j["alarm_jitter"] = FormatDuration(c.alarm_jitter);
  j["failure_rearm"] = FormatDuration(c.failure_rearm);
  j["cache_ttl"] = FormatDuration(c.cache_ttl);
  j["kv_min_remaining"] = FormatDuration(c.kv_min_remaining);
  j["kv_expiry_margin"] = FormatDuration(c.kv_expiry_margin);
  j["fallback"] = std::string(FallbackName(c.fallback));
  j["prewarm"] = c.prewarm;
  j["revocation"] = RevocationOptionsJson(c.revocation);
  return j;
}

// ---------------------------------------------------------------------------------------------
// The object.

AlarmKvObject::AlarmKvObject(DurableObjectContext& ctx, const DoAlarmKvConfig& config)
    : ctx_(ctx),
      alarm_lead_(config.alarm_lead),
      alarm_jitter_(config.alarm_jitter),
      failure_rearm_(config.failure_rearm),
      serve_min_(config.kv_min_remaining),
      kv_expiry_margin_(config.kv_expiry_margin) {}

Time AlarmKvObject::RefreshTime(CredentialKey key, const Credentials& c) const {
  const Time lead_time = c.expiration - alarm_lead_;
  // A credential with less life than the lead (a back-dated one of a steady start, or
  // alarm_lead >= the STS lifetime) is refreshed at once, but never sooner than
  // kMinRefreshGap after it was issued, which bounds a misconfigured lead to one STS call per
  // kMinRefreshGap per key instead of a spin.
  if (lead_time <= c.issued_at + kMinRefreshGap) return c.issued_at + kMinRefreshGap;
  // Otherwise the lead is honoured, and the jitter only moves the refresh earlier while it
  // stays after the credential's half-life.
  const Time half_life = c.issued_at + (c.expiration - c.issued_at) / 2;
  const Duration jitter = Duration::Nanos(static_cast<int64_t>(
      AlarmJitterFraction(key, c.id) * static_cast<double>(alarm_jitter_.nanos())));
  return std::max(lead_time - jitter, std::min(lead_time, half_life));
}

bool AlarmKvObject::NeedsRefresh(const Entry& e) const {
  return !e.current.valid() || ctx_.clock().Now() >= RefreshTime(e.key, e.current);
}

bool AlarmKvObject::Servable(const Credentials& c, uint64_t stale_id) const {
  return c.valid() && c.id != stale_id && c.expiration > ctx_.clock().Now() + serve_min_;
}

void AlarmKvObject::Arm() {
  const Time now = ctx_.clock().Now();
  std::optional<Time> next;
  for (const std::unique_ptr<Entry>& e : entries_) {
    const Time due = e->retry_at            ? *e->retry_at
                     : e->current.valid()   ? RefreshTime(e->key, e->current)
                                            : now;
    if (!next || due < *next) next = due;
  }
  if (next) ctx_.SetAlarm(std::max(*next, now));
}

AlarmKvObject::Entry* AlarmKvObject::AddEntry(CredentialKey key) {
  entries_.push_back(std::make_unique<Entry>());
  Entry* e = entries_.back().get();
  e->key = key;
  index_.emplace(key, e);
  return e;
}

Task<void> AlarmKvObject::EnsureDirectory() {
  if (directory_loaded_) co_return;
  if (!directory_load_) {
    directory_load_ = std::make_unique<SharedResult<bool>>(ctx_.clock());
    Spawn(LoadDirectory());
  }
  if (directory_loaded_) co_return;
  (void)co_await directory_load_->Wait();
}

Task<void> AlarmKvObject::LoadDirectory() {
  try {
    const std::optional<Credentials> count = co_await ctx_.storage().Get(CountKey());
    const uint64_t n = count ? count->id : 0;
    persisted_count_ = n;
    for (uint64_t i = 0; i < n; ++i) {
      const std::optional<Credentials> record = co_await ctx_.storage().Get(DirectoryKey(i));
      if (!record) continue;
      const CredentialKey key = Unpack(record->id);
      if (index_.contains(key)) continue;
      Entry* e = AddEntry(key);
      const std::optional<Credentials> stored = co_await ctx_.storage().Get(key);
      if (stored) e->current = *stored;
    }
  } catch (...) {
    // Storage failed: continue with what was read (new keys are re-added on demand).
  }
  directory_loaded_ = true;
  directory_load_->Set(true);
}

Task<AlarmKvObject::Entry*> AlarmKvObject::EntryFor(CredentialKey key) {
  if (auto it = index_.find(key); it != index_.end()) co_return it->second;
  Entry* e = AddEntry(key);
  const uint64_t slot = entries_.size() - 1;
  Credentials record;
  record.id = key.packed();
  co_await ctx_.storage().Put(DirectoryKey(slot), record);
  persisted_count_ = std::max(persisted_count_, slot + 1);
  Credentials count;
  count.id = persisted_count_;
  co_await ctx_.storage().Put(CountKey(), count);
  co_return e;
}

Task<DoResponse> AlarmKvObject::Fetch(DoRequest request) {
  const CredentialKey key = request.key;
  const uint64_t stale_id = request.stale_id;
  const uint32_t op = request.op;
  co_await EnsureDirectory();
  Entry* e = co_await EntryFor(key);
  DoResponse r;
  if (Servable(e->current, stale_id)) {
    bool rearm = !ctx_.GetAlarm();
    if (op == kDoOpInit && e->kv_id != e->current.id && !co_await WriteKv(e)) {
      e->retry_at = ctx_.clock().Now() + failure_rearm_;
      rearm = true;
    }
    if (rearm && !alarm_running_) Arm();
    r.credentials = e->current;
    co_return r;
  }
  co_return co_await Refresh(e);
}

Task<DoResponse> AlarmKvObject::Refresh(Entry* e) {
  if (!e->refresh || e->refresh->ready()) {
    // A finished SharedResult is replaced: its waiters already hold copies of its value.
    e->refresh = std::make_unique<SharedResult<DoResponse>>(ctx_.clock());
    Spawn(RunRefresh(e));
  }
  co_return co_await e->refresh->Wait();
}

Task<bool> AlarmKvObject::WriteKv(Entry* e) {
  const Credentials c = e->current;
  const Duration ttl = c.expiration - ctx_.clock().Now() - kv_expiry_margin_;
  KvStatus status = KvStatus::kInvalidTtl;
  if (ttl > Duration()) status = co_await ctx_.kv().Put(e->key, c, ttl);
  if (status != KvStatus::kOk) {
    ++kv_write_failures_;
    co_return false;
  }
  e->kv_id = c.id;
  co_return true;
}

Task<void> AlarmKvObject::RunRefresh(Entry* e) {
  DoResponse r;
  try {
    co_await ctx_.signer().SignJwt(e->key);
    ++sts_calls_;
    const StsResult sts = co_await ctx_.sts().AssumeRoleWithWebIdentity(e->key);
    if (sts.ok()) {
      co_await ctx_.storage().Put(e->key, sts.credentials);
      e->current = sts.credentials;
      e->retry_at.reset();
      ++refreshes_;
      if (!co_await WriteKv(e)) e->retry_at = ctx_.clock().Now() + failure_rearm_;
      r.credentials = sts.credentials;
    } else {
      r.status = StatusFor(sts.error);
      e->retry_at = ctx_.clock().Now() + failure_rearm_;
    }
  } catch (...) {
    r = DoResponse();
    r.status = FailureStatus::kUnavailable;
    e->retry_at = ctx_.clock().Now() + failure_rearm_;
  }
  if (!alarm_running_) Arm();  // a running alarm handler re-arms once, at its end
  e->refresh->Set(r);
}

Task<bool> AlarmKvObject::Alarm() {
  alarm_running_ = true;
  bool ok = true;
  try {
    co_await EnsureDirectory();
    for (size_t i = 0; i < entries_.size(); ++i) {  // entries_ may grow meanwhile
      Entry* e = entries_[i].get();
      if (NeedsRefresh(*e)) {
        const DoResponse r = co_await Refresh(e);
        if (r.status != FailureStatus::kOk) ok = false;
      } else if (e->kv_id != e->current.id) {
        if (co_await WriteKv(e)) {
          e->retry_at.reset();
        } else {
          e->retry_at = ctx_.clock().Now() + failure_rearm_;
          ok = false;
        }
      }
    }
  } catch (...) {
    ok = false;
  }
  if (!ok) {
    // Whatever is still due gets a retry time, so Arm() never sets an alarm in the past twice.
    const Time now = ctx_.clock().Now();
    for (const std::unique_ptr<Entry>& e : entries_) {
      if (!e->retry_at && NeedsRefresh(*e)) e->retry_at = now + failure_rearm_;
    }
  }
  alarm_running_ = false;
  Arm();  // the `finally`: every exit leaves an alarm pending
  co_return ok;
}

// ---------------------------------------------------------------------------------------------
// Request side.

namespace {

// The tier of the provider: KV, then `fallback`.
class AlarmKvTier final : public ObjectTier {
 public:
  AlarmKvTier(const ObjectTierContext& ctx, const DoAlarmKvConfig& config)
      : ObjectTier(ctx),
        cache_ttl_(config.cache_ttl),
        kv_min_remaining_(config.kv_min_remaining),
        fallback_(config.fallback) {}

  Task<AuthResult> Fetch(CredentialKey key) override {
    uint64_t stale_id = rejected().Get(key);
    const KvRead read = co_await ports().kv.Get(key, cache_ttl_);
    if (read.status == KvStatus::kOk && read.value && read.value->valid()) {
      const Credentials& c = *read.value;
      const bool admitted =
          c.id != stale_id && (filter() == nullptr || filter()->Admit(key, c));
      if (admitted && c.expiration > ports().clock.Now() + kv_min_remaining_) {
        co_return AuthResult{FailureStatus::kOk, c, Tier::kKv};
      }
      if (!admitted) stale_id = c.id;  // the object must replace it, not hand it back
    }
    CountFallback();
    switch (fallback_) {
      case KvFallback::kFail:
        co_return AuthResult{FailureStatus::kUnavailable, Credentials(), Tier::kNone};
      case KvFallback::kSts:
        co_return co_await FetchFromSts(key);
      case KvFallback::kDurableObject:
        break;
    }
    const std::optional<AuthResult> answer = co_await FetchFromObject(key, stale_id);
    if (answer) co_return *answer;
    // The platform rejected the call: not retried (sources.md §P8).
    co_return AuthResult{FailureStatus::kUnavailable, Credentials(), Tier::kNone};
  }

 private:
  const Duration cache_ttl_;
  const Duration kv_min_remaining_;
  const KvFallback fallback_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Strategy.

absl::StatusOr<std::unique_ptr<Strategy>> DoAlarmKvStrategy::Create(JsonReader& params) {
  DoAlarmKvConfig config;
  absl::Status s = ParseDoAlarmKvConfig(params, &config);
  if (!s.ok()) return s;
  s = params.Finish();
  if (!s.ok()) return s;
  return std::unique_ptr<Strategy>(std::make_unique<DoAlarmKvStrategy>(config));
}

std::unique_ptr<CredentialProvider> DoAlarmKvStrategy::NewProvider(IsolatePorts& ports) {
  return std::make_unique<DurableObjectProvider>(
      config_.l1, config_.revocation, ports, [this](const ObjectTierContext& ctx) {
        return std::make_unique<AlarmKvTier>(ctx, config_);
      });
}

std::unique_ptr<DurableObject> DoAlarmKvStrategy::NewDurableObject(DurableObjectContext& ctx) {
  return std::make_unique<AlarmKvObject>(ctx, config_);
}

}  // namespace credsim
