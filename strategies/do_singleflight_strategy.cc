#include "strategies/do_singleflight_strategy.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace credsim {

absl::Status ParseDoSingleflightConfig(JsonReader& r, DoSingleflightConfig* out) {
  DoSingleflightConfig c;
  // Read every key even after an error so that the accepted-key list stays complete.
  const absl::Status l1 = ParseL1Config(r, &c.l1);
  c.do_refresh_lead = r.GetDuration("do_refresh_lead", c.do_refresh_lead,
      {.doc = "The object serves its cached credential while E > now + do_refresh_lead, else "
              "it fetches a new one (must exceed L1's refresh_lead).",
       .source = "assumption: same margin as the L2 tier of PR #175."});
  const std::string fallback = r.GetEnum("overload_fallback", "sts", {"fail", "sts"},
      {.doc = "What a request does when the platform rejects the object call (overloaded; "
              "not retried): \"sts\" signs and calls STS from the isolate, \"fail\" answers 503.",
       .source = "sources.md §P8 Durable Object single-flight: overload errors must not be "
                 "retried; fall back."});
  c.overload_fallback =
      fallback == "fail" ? DoOverloadFallback::kFail : DoOverloadFallback::kSts;
  const absl::Status revocation = ParseRevocationOptions(r, &c.revocation);
  if (!l1.ok()) return l1;
  if (!r.ok()) return r.status();
  if (!revocation.ok()) return revocation;
  *out = c;
  return absl::OkStatus();
}

nlohmann::json DoSingleflightConfigJson(const DoSingleflightConfig& c) {
  nlohmann::json j = nlohmann::json::object();
  L1ConfigToJson(c.l1, &j);
  j["do_refresh_lead"] = FormatDuration(c.do_refresh_lead);
  j["overload_fallback"] = c.overload_fallback == DoOverloadFallback::kFail ? "fail" : "sts";
  j["revocation"] = RevocationOptionsJson(c.revocation);
  return j;
}

// ---------------------------------------------------------------------------------------------
// The object.

SingleflightObject::SingleflightObject(DurableObjectContext& ctx, Duration refresh_lead)
    : ctx_(ctx), refresh_lead_(refresh_lead) {}

bool SingleflightObject::Servable(const Credentials& c, uint64_t stale_id) const {
  return c.valid() && c.id != stale_id && c.expiration > ctx_.clock().Now() + refresh_lead_;
}

Task<DoResponse> SingleflightObject::Fetch(DoRequest request) {
  const CredentialKey key = request.key;
  const uint64_t stale_id = request.stale_id;
  std::unique_ptr<Entry>& slot = entries_[key];
  if (!slot) {
    slot = std::make_unique<Entry>();
    slot->key = key;
  }
  Entry* e = slot.get();
  if (Servable(e->cached, stale_id)) {
    DoResponse cached;
    cached.credentials = e->cached;
    co_return cached;
  }
  if (!e->fill || e->fill->ready()) {
    // Start the one fetch. A finished SharedResult is replaced: its waiters already hold
    // copies of its value.
    e->fill = std::make_unique<SharedResult<DoResponse>>(ctx_.clock());
    Spawn(Fill(e, stale_id));
  }
  co_return co_await e->fill->Wait();
}

Task<void> SingleflightObject::Fill(Entry* e, uint64_t stale_id) {
  DoResponse r;
  try {
    if (!e->storage_checked) {
      // A fresh instance (memory lost to hibernation or eviction): storage first.
      const std::optional<Credentials> stored = co_await ctx_.storage().Get(e->key);
      e->storage_checked = true;
      if (stored && Servable(*stored, stale_id)) {
        ++storage_hits_;
        e->cached = *stored;
        r.credentials = *stored;
        e->fill->Set(r);
        co_return;
      }
    }
    co_await ctx_.signer().SignJwt(e->key);
    ++sts_calls_;
    const StsResult sts = co_await ctx_.sts().AssumeRoleWithWebIdentity(e->key);
    if (sts.ok()) {
      // Persist after the result arrives; the reply waits until it is durable (output gate).
      co_await ctx_.storage().Put(e->key, sts.credentials);
      e->cached = sts.credentials;
      r.credentials = sts.credentials;
    } else {
      r.status = StatusFor(sts.error);
    }
  } catch (...) {
    // The object's own work was abandoned (e.g. a port threw): every joined caller gets 503.
    r = DoResponse();
    r.status = FailureStatus::kUnavailable;
  }
  e->fill->Set(r);
}

// ---------------------------------------------------------------------------------------------
// Request side.

namespace {

// The tier of the provider: the role's object; overloaded or platform errors follow
// overload_fallback, never retried (sources.md §P8).
class SingleflightTier final : public ObjectTier {
 public:
  SingleflightTier(const ObjectTierContext& ctx, DoOverloadFallback overload_fallback)
      : ObjectTier(ctx), overload_fallback_(overload_fallback) {}

  Task<AuthResult> Fetch(CredentialKey key) override {
    const std::optional<AuthResult> answer = co_await FetchFromObject(key, rejected().Get(key));
    if (answer) co_return *answer;
    CountFallback();
    if (overload_fallback_ == DoOverloadFallback::kFail) {
      co_return AuthResult{FailureStatus::kUnavailable, Credentials(), Tier::kNone};
    }
    co_return co_await FetchFromSts(key);
  }

 private:
  const DoOverloadFallback overload_fallback_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Strategy.

absl::StatusOr<std::unique_ptr<Strategy>> DoSingleflightStrategy::Create(JsonReader& params) {
  DoSingleflightConfig config;
  absl::Status s = ParseDoSingleflightConfig(params, &config);
  if (!s.ok()) return s;
  s = params.Finish();
  if (!s.ok()) return s;
  return std::unique_ptr<Strategy>(std::make_unique<DoSingleflightStrategy>(config));
}

std::unique_ptr<CredentialProvider> DoSingleflightStrategy::NewProvider(IsolatePorts& ports) {
  return std::make_unique<DurableObjectProvider>(
      config_.l1, config_.revocation, ports, [this](const ObjectTierContext& ctx) {
        return std::make_unique<SingleflightTier>(ctx, config_.overload_fallback);
      });
}

std::unique_ptr<DurableObject> DoSingleflightStrategy::NewDurableObject(
    DurableObjectContext& ctx) {
  return std::make_unique<SingleflightObject>(ctx, config_.do_refresh_lead);
}

}  // namespace credsim
