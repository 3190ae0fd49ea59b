#include "strategies/testing/fake_ports.h"

#include <algorithm>
#include <utility>

namespace credsim {

Task<void> FakeSigner::SignJwt(CredentialKey key) {
  ++calls;
  if (latency > Duration()) co_await Sleep(clock_, latency);
}

Task<StsResult> FakeSts::AssumeRoleWithWebIdentity(CredentialKey key) {
  ++calls;
  call_times.push_back(clock_.Now());
  StsError err = error;
  if (!next_errors.empty()) {
    err = next_errors.front();
    next_errors.pop_front();
  }
  Duration d = latency;
  if (!next_latencies.empty()) {
    d = next_latencies.front();
    next_latencies.pop_front();
  }
  ++in_flight;
  max_in_flight = std::max(max_in_flight, in_flight);
  struct InFlight {
    int& n;
    ~InFlight() { --n; }
  } guard{in_flight};
  co_await Sleep(clock_, d);
  ++completed;
  StsResult r;
  r.error = err;
  if (err == StsError::kNone) {
    ++successes;
    r.credentials.id = ++next_id_;
    r.credentials.issued_at = clock_.Now();
    r.credentials.expiration = clock_.Now() + lifetime;
    last_issued = r.credentials;
  }
  co_return r;
}

Task<CacheMatch> FakeColoCache::Match(CredentialKey key) {
  ++matches;
  if (!is_enabled) co_return CacheMatch{};
  co_await Sleep(clock_, match_latency);
  if (read_error) co_return CacheMatch{.error = true, .value = std::nullopt};
  std::optional<Credentials> v = Peek(key);
  if (v) ++hits;
  co_return CacheMatch{.error = false, .value = v};
}

Task<void> FakeColoCache::Put(CredentialKey key, Credentials value, Duration ttl) {
  ++puts;
  last_put_ttl = ttl;
  if (!is_enabled) co_return;
  const Credentials v = value;  // copy before suspending
  co_await Sleep(clock_, put_latency);
  if (drop_puts || ttl <= Duration()) co_return;
  entries_[key] = Entry{v, clock_.Now() + ttl};
}

void FakeColoCache::Insert(CredentialKey key, const Credentials& value, Duration ttl) {
  entries_[key] = Entry{value, clock_.Now() + ttl};
}

std::optional<Credentials> FakeColoCache::Peek(CredentialKey key) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || clock_.Now() >= it->second.expires_at) return std::nullopt;
  return it->second.value;
}

KvRead FakeKvStore::Read(int colo, CredentialKey key) const {
  auto it = slots_.find(key);
  if (it == slots_.end()) return KvRead{};
  const Time now = clock_.Now();
  const std::vector<Version>& vs = it->second.versions;
  for (auto v = vs.rbegin(); v != vs.rend(); ++v) {
    const bool visible = v->colo == colo || now >= v->written_at + propagation;
    if (!visible) continue;
    if (now >= v->expires_at) return KvRead{};
    return KvRead{.status = KvStatus::kOk, .value = v->value};
  }
  return KvRead{};
}

void FakeKvStore::Append(int colo, CredentialKey key, const Credentials& value, Duration ttl) {
  Slot& s = slots_[key];
  const Time now = clock_.Now();
  // Versions older than the newest one visible everywhere can never be read again.
  size_t keep_from = 0;
  for (size_t i = 0; i < s.versions.size(); ++i) {
    if (now >= s.versions[i].written_at + propagation) keep_from = i;
  }
  s.versions.erase(s.versions.begin(), s.versions.begin() + keep_from);
  s.versions.push_back(Version{value, now, now + ttl, colo});
  s.last_write = now;
}

void FakeKvStore::Write(int colo, CredentialKey key, const Credentials& value,
                        Duration expiration_ttl) {
  Append(colo, key, value, expiration_ttl);
}

Task<KvRead> FakeKvStore::Get(int colo, CredentialKey key, Duration cache_ttl) {
  ++gets;
  last_cache_ttl = cache_ttl;
  co_await Sleep(clock_, get_latency);
  if (get_error) co_return KvRead{.status = KvStatus::kError, .value = std::nullopt};
  co_return Read(colo, key);
}

Task<KvStatus> FakeKvStore::Put(int colo, CredentialKey key, Credentials value,
                                Duration expiration_ttl) {
  ++puts;
  last_expiration_ttl = expiration_ttl;
  const Credentials v = value;  // copy before suspending
  co_await Sleep(clock_, put_latency);
  if (put_error) co_return KvStatus::kError;
  if (expiration_ttl < min_expiration_ttl) co_return KvStatus::kInvalidTtl;
  auto it = slots_.find(key);
  if (it != slots_.end() && it->second.last_write &&
      clock_.Now() - *it->second.last_write < min_write_interval) {
    ++rate_limited;
    co_return KvStatus::kRateLimited;
  }
  ++writes;
  Append(colo, key, v, expiration_ttl);
  co_return KvStatus::kOk;
}

Task<RevocationPoll> FakeRevocationFeed::Poll(uint64_t cursor) {
  ++polls;
  co_await Sleep(clock_, latency);
  if (!reachable) co_return RevocationPoll{};
  RevocationPoll p;
  p.ok = true;
  p.cursor = events_.size();
  if (cursor < events_.size()) {
    p.events = std::span<const RevocationEvent>(events_.data() + cursor,
                                                events_.size() - cursor);
  }
  co_return p;
}

Task<std::optional<Credentials>> FakeDurableStorage::Get(CredentialKey key) {
  ++gets;
  co_await Sleep(clock_, latency);
  co_return Peek(key);
}

Task<void> FakeDurableStorage::Put(CredentialKey key, Credentials value) {
  ++puts;
  const Credentials v = value;
  co_await Sleep(clock_, latency);
  values_[key] = v;
}

std::optional<Credentials> FakeDurableStorage::Peek(CredentialKey key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

FakeDurableObjectContext::FakeDurableObjectContext(FakeDurableObjectHost& host,
                                                   CredentialKey key)
    : host_(host), key_(key), storage_(host.clock()) {}
Clock& FakeDurableObjectContext::clock() { return host_.clock(); }
StsClient& FakeDurableObjectContext::sts() { return host_.sts(); }
TokenSigner& FakeDurableObjectContext::signer() { return host_.signer(); }
KvNamespace& FakeDurableObjectContext::kv() { return host_.kv(); }
void FakeDurableObjectContext::SetAlarm(Time at) {
  ++alarms_set;
  alarm_ = at;
  ++alarm_seq_;
  host_.ScheduleAlarm(*this);
}

FakeDurableObjectHost::~FakeDurableObjectHost() = default;

FakeDurableObjectHost::Slot& FakeDurableObjectHost::slot(CredentialKey key) {
  std::unique_ptr<Slot>& s = slots_[key];
  if (!s) {
    s = std::make_unique<Slot>();
    s->ctx = std::make_unique<FakeDurableObjectContext>(*this, key);
  }
  return *s;
}

FakeDurableObjectContext& FakeDurableObjectHost::context(CredentialKey key) {
  return *slot(key).ctx;
}

DurableObject& FakeDurableObjectHost::instance(CredentialKey key) {
  Slot& s = slot(key);
  if (!s.object) {
    s.object = factory(*s.ctx);
    ++instances_created;
  }
  return *s.object;
}

void FakeDurableObjectHost::Evict(CredentialKey key) {
  Slot& s = slot(key);
  if (s.object) evicted_.push_back(std::move(s.object));
}

Task<void> FakeDurableObjectHost::FetchRoot(CredentialKey key, DoRequest request,
                                            SharedResult<DoResponse>* out) {
  DoResponse r;
  try {
    r = co_await instance(key).Fetch(request);
  } catch (...) {
    r = DoResponse{};
    r.error = true;
    r.status = FailureStatus::kUnavailable;
  }
  out->Set(r);
}

Task<DoResponse> FakeDurableObjectHost::RunFetch(DoRequest request) {
  const DoRequest req = request;
  ++fetches;
  SharedResult<DoResponse> result(clock_);
  Spawn(FetchRoot(req.key, req, &result));
  co_return co_await result.Wait();
}

Task<bool> FakeDurableObjectHost::RunAlarm(CredentialKey key) {
  ++alarms_run;
  context(key).alarm_.reset();
  bool ok = false;
  try {
    ok = co_await instance(key).Alarm();
  } catch (...) {
    ok = false;
  }
  co_return ok;
}

void FakeDurableObjectHost::ScheduleAlarm(FakeDurableObjectContext& ctx) {
  if (!auto_fire_alarms || !ctx.alarm_) return;
  Spawn(AlarmTimer(ctx.key_, ctx.alarm_seq_, *ctx.alarm_));
}

Task<void> FakeDurableObjectHost::AlarmTimer(CredentialKey key, uint64_t seq, Time at) {
  const Time now = clock_.Now();
  co_await Sleep(clock_, at > now ? at - now : Duration());
  FakeDurableObjectContext& ctx = context(key);
  if (ctx.alarm_seq_ != seq || !ctx.alarm_) co_return;  // replaced or cleared
  Duration backoff = alarm_first_backoff;
  for (int attempt = 0;; ++attempt) {
    const bool ok = co_await RunAlarm(key);
    if (ok || attempt >= alarm_max_retries) co_return;
    co_await Sleep(clock_, backoff);
    backoff = backoff * 2;
  }
}

DurableObjectStub& FakeDurableObjectNamespace::Get(CredentialKey key) {
  std::unique_ptr<Stub>& s = stubs_[key];
  if (!s) s = std::make_unique<Stub>(*this);
  return *s;
}

Task<DoResponse> FakeDurableObjectNamespace::Stub::Fetch(DoRequest request) {
  const DoRequest req = request;
  ++ns_.calls;
  co_await Sleep(ns_.clock_, ns_.rtt / 2);
  DoResponse r;
  if (ns_.overloaded) {
    r.overloaded = true;
    r.status = FailureStatus::kUnavailable;
  } else if (ns_.error) {
    r.error = true;
    r.status = FailureStatus::kUnavailable;
  } else {
    r = co_await ns_.host_.RunFetch(req);
  }
  co_await Sleep(ns_.clock_, ns_.rtt / 2);
  co_return r;
}

FakeEnv::FakeEnv() = default;

FakeColo& FakeEnv::colo(int i) {
  while (static_cast<int>(colos_.size()) <= i) {
    colos_.push_back(std::make_unique<FakeColo>(static_cast<int>(colos_.size()), clock,
                                                kv_store, do_host));
  }
  return *colos_[i];
}

IsolatePorts FakeEnv::Ports(int colo_id, bool with_feed) {
  FakeColo& c = colo(colo_id);
  return IsolatePorts{.clock = clock,
                      .runtime = runtime,
                      .signer = signer,
                      .sts = sts,
                      .colo_cache = c.cache,
                      .kv = c.kv,
                      .durable_objects = c.durable_objects,
                      .feed = with_feed ? &feed : nullptr};
}

namespace {
Task<void> RunRequest(CredentialProvider* provider, AuthRequest request, RequestOutcome* out,
                      Clock* clock) {
  out->started = clock->Now();
  try {
    out->result = co_await provider->GetCredentials(request);
    out->kind = RequestOutcome::Kind::kResult;
  } catch (const RuntimeCancelled&) {
    out->kind = RequestOutcome::Kind::kRuntimeCancelled;
  } catch (const RequestCancelled&) {
    out->kind = RequestOutcome::Kind::kRequestCancelled;
  } catch (...) {
    out->kind = RequestOutcome::Kind::kOtherException;
  }
  out->finished = clock->Now();
}
}  // namespace

void StartRequest(CredentialProvider& provider, CredentialKey key, RequestOutcome* out,
                  Clock& clock) {
  Spawn(RunRequest(&provider, AuthRequest{key}, out, &clock), &out->cancel);
}

OutcomeCounts Count(const std::vector<RequestOutcome>& outcomes) {
  OutcomeCounts c;
  for (const RequestOutcome& o : outcomes) {
    switch (o.kind) {
      case RequestOutcome::Kind::kPending: ++c.pending; break;
      case RequestOutcome::Kind::kRuntimeCancelled: ++c.runtime_cancelled; break;
      case RequestOutcome::Kind::kRequestCancelled: ++c.request_cancelled; break;
      case RequestOutcome::Kind::kOtherException: ++c.other_exception; break;
      case RequestOutcome::Kind::kResult:
        if (o.result.status == FailureStatus::kOk) {
          ++c.ok;
          ++c.by_source[static_cast<int>(o.result.source)];
        } else {
          ++c.failed;
        }
        break;
    }
  }
  return c;
}

}  // namespace credsim
