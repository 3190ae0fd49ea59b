#include "strategies/durable_object_client.h"

#include <utility>

namespace credsim {

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

// ---------------------------------------------------------------------------------------------
// ObjectTier.

ObjectTier::ObjectTier(const ObjectTierContext& ctx)
    : ports_(ctx.ports),
      filter_(ctx.filter),
      rejected_(ctx.rejected),
      sts_(ctx.ports.signer, ctx.ports.sts) {}

Task<std::optional<AuthResult>> ObjectTier::FetchFromObject(CredentialKey key,
                                                            uint64_t stale_id) {
  const ObjectAnswer a = co_await AskDurableObject(ports_.durable_objects, ports_.clock, filter_,
                                                   key, kDoOpGet, stale_id);
  switch (a.kind) {
    case ObjectAnswer::Kind::kOk:
      co_return AuthResult{FailureStatus::kOk, a.credentials, Tier::kDurableObject};
    case ObjectAnswer::Kind::kFailed:
      co_return AuthResult{a.status, Credentials(), Tier::kNone};
    case ObjectAnswer::Kind::kNotAdmitted:
      co_return co_await sts_.Fetch(key);
    case ObjectAnswer::Kind::kUnavailable:
      break;
  }
  co_return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// DurableObjectProvider.

DurableObjectProvider::DurableObjectProvider(const L1Config& l1,
                                             const RevocationOptions& revocation,
                                             const IsolatePorts& ports, TierFactory make_tier)
    : filter_(revocation, ports.feed, ports.clock),
      tier_(make_tier(ObjectTierContext{ports, &filter_, &rejected_})),
      l1_(l1, ports.clock, ports.runtime, *tier_, &filter_) {}

Task<AuthResult> DurableObjectProvider::GetCredentials(AuthRequest request) {
  const CredentialKey key = request.key;
  if (filter_.poll_due()) co_await filter_.MaybePoll();
  co_return co_await l1_.Get(key);
}

bool DurableObjectProvider::TryGetCredentialsNow(const AuthRequest& request, AuthResult* out) {
  if (filter_.poll_due()) return false;  // GetCredentials would poll the feed first
  return l1_.TryGet(request.key, out);
}

void DurableObjectProvider::OnCredentialRejected(CredentialKey key, const Credentials& c) {
  if (!filter_.options().drop_on_403) return;
  l1_.EraseIfId(key, c.id);
  rejected_.Note(key, c.id);
}

}  // namespace credsim
