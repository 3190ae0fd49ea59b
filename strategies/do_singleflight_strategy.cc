#include "strategies/do_singleflight_strategy.h"

#include <string>
#include <utility>

namespace credsim {

absl::Status ParseDoSingleflightConfig(JsonReader& r, DoSingleflightConfig* out) {
  DoSingleflightConfig c;
  // Read every key even after an error so that the accepted-key list stays complete.
  const absl::Status l1 = ParseL1Config(r, &c.l1);
  c.do_refresh_lead = r.GetDuration("do_refresh_lead", c.do_refresh_lead);
  const std::string fallback = r.GetEnum("overload_fallback", "sts", {"fail", "sts"});
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

Task<ObjectAnswer> AskDurableObject(DurableObjectNamespace& objects, Clock& clock,
                                    const RevocationFilter* filter, CredentialKey key,
                                    uint32_t op, uint64_t stale_id) {
  DurableObjectStub& stub = objects.Get(key);
  DoRequest request;
  request.key = key;
  request.op = op;
  request.stale_id = stale_id;
  Time sent = clock.Now();
  DoResponse r = co_await stub.Fetch(request);
  ObjectAnswer answer;
  for (int round = 0;; ++round) {
    if (r.overloaded || r.error) {
      answer.kind = ObjectAnswer::Kind::kUnavailable;
      answer.status = FailureStatus::kUnavailable;
      co_return answer;
    }
    if (r.status != FailureStatus::kOk || !r.credentials.valid()) {
      answer.kind = ObjectAnswer::Kind::kFailed;
      answer.status =
          r.status != FailureStatus::kOk ? r.status : FailureStatus::kBadGateway;
      co_return answer;
    }
    const bool fresh = round > 0 && r.credentials.issued_at >= sent;
    if (filter == nullptr || fresh || filter->Admit(key, r.credentials)) {
      answer.kind = ObjectAnswer::Kind::kOk;
      answer.status = FailureStatus::kOk;
      answer.credentials = r.credentials;
      co_return answer;
    }
    if (round > 0) {
      answer.kind = ObjectAnswer::Kind::kNotAdmitted;
      answer.status = FailureStatus::kForbidden;
      co_return answer;
    }
    request.stale_id = r.credentials.id;
    sent = clock.Now();
    r = co_await stub.Fetch(request);
  }
}

DoSingleflightProvider::Source::Source(const DoSingleflightConfig& config,
                                       const IsolatePorts& ports,
                                       const RevocationFilter* filter,
                                       const RejectedCredentials* rejected)
    : config_(config),
      ports_(ports),
      filter_(filter),
      rejected_(rejected),
      sts_(ports.signer, ports.sts) {}

Task<AuthResult> DoSingleflightProvider::Source::Fetch(CredentialKey key) {
  const ObjectAnswer a = co_await AskDurableObject(ports_.durable_objects, ports_.clock, filter_,
                                                   key, kDoOpGet, rejected_->Get(key));
  switch (a.kind) {
    case ObjectAnswer::Kind::kOk:
      co_return AuthResult{FailureStatus::kOk, a.credentials, Tier::kDurableObject};
    case ObjectAnswer::Kind::kFailed:
      co_return AuthResult{a.status, Credentials(), Tier::kNone};
    case ObjectAnswer::Kind::kNotAdmitted:
      // The object only holds credentials the filter distrusts: mint here (not a cached tier).
      co_return co_await sts_.Fetch(key);
    case ObjectAnswer::Kind::kUnavailable:
      break;
  }
  ++fallbacks;  // overloaded or platform error: never retried (sources.md §P8)
  if (config_.overload_fallback == DoOverloadFallback::kFail) {
    co_return AuthResult{FailureStatus::kUnavailable, Credentials(), Tier::kNone};
  }
  co_return co_await sts_.Fetch(key);
}

DoSingleflightProvider::DoSingleflightProvider(const DoSingleflightConfig& config,
                                               const IsolatePorts& ports)
    : config_(config),
      filter_(config_.revocation, ports.feed, ports.clock),
      source_(config_, ports, &filter_, &rejected_),
      l1_(config_.l1, ports.clock, ports.runtime, source_, &filter_) {}

Task<AuthResult> DoSingleflightProvider::GetCredentials(AuthRequest request) {
  const CredentialKey key = request.key;
  if (filter_.poll_due()) co_await filter_.MaybePoll();
  co_return co_await l1_.Get(key);
}

void DoSingleflightProvider::OnCredentialRejected(CredentialKey key, const Credentials& c) {
  if (!config_.revocation.drop_on_403) return;
  l1_.EraseIfId(key, c.id);
  rejected_.Note(key, c.id);
}

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
  return std::make_unique<DoSingleflightProvider>(config_, ports);
}

std::unique_ptr<DurableObject> DoSingleflightStrategy::NewDurableObject(
    DurableObjectContext& ctx) {
  return std::make_unique<SingleflightObject>(ctx, config_.do_refresh_lead);
}

}  // namespace credsim
