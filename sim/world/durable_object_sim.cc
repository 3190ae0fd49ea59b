#include "sim/world/durable_object_sim.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "sim/world/durable_object_input_gate.h"
#include "sim/engine/token_bucket.h"

namespace credsim {

// ---------------------------------------------------------------------------------------------
// Per-object ports (defined after Object, which they reach through a back pointer).

class DurableObjectPlatform::Storage final : public DurableStorage {
 public:
  Storage(DurableObjectPlatform* platform, Object* object) : p_(platform), o_(object) {}
  Task<std::optional<Credentials>> Get(CredentialKey key) override {
    return p_->StorageGet(o_, key);
  }
  Task<void> Put(CredentialKey key, Credentials value) override {
    return p_->StoragePut(o_, key, value);  // by value into the coroutine frame
  }

 private:
  DurableObjectPlatform* p_;
  Object* o_;
};

class DurableObjectPlatform::Context final : public DurableObjectContext {
 public:
  Context(DurableObjectPlatform* platform, Object* object) : p_(platform), o_(object) {}
  Clock& clock() override { return p_->executor_; }
  DurableStorage& storage() override;
  StsClient& sts() override;
  TokenSigner& signer() override;
  KvNamespace& kv() override;
  void SetAlarm(Time at) override { p_->SetAlarm(o_, at); }
  std::optional<Time> GetAlarm() const override;

 private:
  DurableObjectPlatform* p_;
  Object* o_;
  // Adapters of the object's colo, resolved on first use.
  StsClient* sts_ = nullptr;
  TokenSigner* signer_ = nullptr;
  KvNamespace* kv_ = nullptr;
};

// One Durable Object: placement, input gate, admission, instance, storage and alarm state.
class DurableObjectPlatform::Object {
 public:
  Object(DurableObjectPlatform* platform, uint32_t role, uint32_t colo, Time now)
      : role(role),
        colo(colo),
        gate(platform->executor_),
        bucket(platform->config_.soft_limit_rps,
               std::max<int64_t>(1, static_cast<int64_t>(
                                        std::floor(platform->config_.soft_limit_rps))),
               now),
        storage(platform, this),
        context(platform, this) {}

  struct Stored {
    Credentials value;
    Time exposure_from;  // start of the exposure not yet added to the metrics
  };

  const uint32_t role;
  const uint32_t colo;
  DurableObjectInputGate gate;
  TokenBucket bucket;  // soft throughput limit
  Storage storage;
  Context context;
  std::map<uint64_t, Stored> stored;  // durable; ordered so FinishRun sums deterministically
  bool counted_place = false;

  // In memory (declared after `context`, so it is destroyed first).
  std::shared_ptr<DurableObject> instance;
  Time instance_since;
  int queued = 0;     // admitted calls waiting for the input gate
  int in_flight = 0;  // admitted calls and alarm invocations not finished
  Time last_activity;
  TimerId idle_timer;

  // Alarm.
  std::optional<Time> alarm;
  TimerId alarm_timer;
  TimerId retry_timer;
  int retry_attempt = 0;
  bool alarm_running = false;
  bool alarm_set_while_running = false;  // SetAlarm during the running invocation
  std::optional<int> deferred_attempt;
};

DurableStorage& DurableObjectPlatform::Context::storage() { return o_->storage; }

StsClient& DurableObjectPlatform::Context::sts() {
  if (sts_ == nullptr) sts_ = &p_->env_.sts(o_->colo);
  return *sts_;
}

TokenSigner& DurableObjectPlatform::Context::signer() {
  if (signer_ == nullptr) signer_ = &p_->env_.signer(o_->colo);
  return *signer_;
}

KvNamespace& DurableObjectPlatform::Context::kv() {
  if (kv_ == nullptr) kv_ = &p_->env_.kv(o_->colo);
  return *kv_;
}

std::optional<Time> DurableObjectPlatform::Context::GetAlarm() const { return o_->alarm; }

// ---------------------------------------------------------------------------------------------
// Caller side.

class DurableObjectPlatform::Stub final : public DurableObjectStub {
 public:
  Stub(DurableObjectPlatform* platform, Object* object, uint32_t caller_colo)
      : p_(platform), o_(object), caller_colo_(caller_colo) {}

  Task<DoResponse> Fetch(DoRequest request) override {
    const Duration rtt = p_->network_.Rtt(caller_colo_, o_->colo);
    const Duration forward = rtt / 2;
    SharedResult<DoResponse> result(p_->executor_);
    // The request is copied into the root's frame before this coroutine first suspends.
    Spawn(p_->RunFetch(o_, request, forward, &result));
    DoResponse response = co_await result.Wait();
    co_await Sleep(p_->executor_, rtt - forward);
    co_return response;
  }

 private:
  DurableObjectPlatform* p_;
  Object* o_;
  uint32_t caller_colo_;
};

class DurableObjectPlatform::NamespaceImpl final : public DurableObjectNamespace {
 public:
  NamespaceImpl(DurableObjectPlatform* platform, uint32_t colo) : p_(platform), colo_(colo) {}

  DurableObjectStub& Get(CredentialKey key) override {
    auto it = stubs_.find(key.role);
    if (it != stubs_.end()) return *it->second;
    Object& object = p_->ObjectFor(key, colo_);
    std::unique_ptr<Stub>& stub = stubs_[key.role];
    stub = std::make_unique<Stub>(p_, &object, colo_);
    return *stub;
  }

 private:
  DurableObjectPlatform* p_;
  uint32_t colo_;
  absl::flat_hash_map<uint32_t, std::unique_ptr<Stub>> stubs_;  // by role; lookups only
};

// ---------------------------------------------------------------------------------------------
// Platform.

DurableObjectPlatform::DurableObjectPlatform(const DurableObjectConfig& config,
                                             Executor& executor, EventQueue& queue,
                                             const ColoNetwork& network, DurableObjectEnv env,
                                             DurableObjectFactory factory, Rng rng,
                                             RunMetrics& metrics)
    : config_(config),
      executor_(executor),
      queue_(queue),
      network_(network),
      env_(std::move(env)),
      factory_(std::move(factory)),
      rng_(rng),
      metrics_(metrics) {}

DurableObjectPlatform::~DurableObjectPlatform() {
  for (const std::unique_ptr<Object>& o : objects_in_order_) {
    for (TimerId id : {o->idle_timer, o->alarm_timer, o->retry_timer}) {
      if (id.valid()) queue_.Cancel(id);
    }
  }
}

DurableObjectNamespace& DurableObjectPlatform::Namespace(uint32_t caller_colo) {
  std::unique_ptr<NamespaceImpl>& ns = namespaces_[caller_colo];
  if (!ns) ns = std::make_unique<NamespaceImpl>(this, caller_colo);
  return *ns;
}

DurableObjectPlatform::Object& DurableObjectPlatform::ObjectFor(CredentialKey key,
                                                                uint32_t caller_colo) {
  auto it = objects_.find(key.role);
  if (it != objects_.end()) return *it->second;
  const uint32_t colo =
      config_.placement == DurableObjectPlacement::kHint ? config_.location_colo : caller_colo;
  objects_in_order_.push_back(std::make_unique<Object>(this, key.role, colo, executor_.Now()));
  Object* o = objects_in_order_.back().get();
  objects_.emplace(key.role, o);
  return *o;
}

const DurableObjectPlatform::Object* DurableObjectPlatform::FindObject(CredentialKey key) const {
  auto it = objects_.find(key.role);
  return it == objects_.end() ? nullptr : it->second;
}

std::optional<uint32_t> DurableObjectPlatform::ObjectColo(CredentialKey key) const {
  const Object* o = FindObject(key);
  if (o == nullptr) return std::nullopt;
  return o->colo;
}

bool DurableObjectPlatform::InMemory(CredentialKey key) const {
  const Object* o = FindObject(key);
  return o != nullptr && o->instance != nullptr;
}

Duration DurableObjectPlatform::Sample(const Distribution& d) {
  return std::max(Duration(), Duration::FromSecondsF(d.Sample(rng_)));
}

bool DurableObjectPlatform::Measuring() const { return metrics_.Measuring(executor_.Now()); }

// ---- Calls -----------------------------------------------------------------------------------

Task<void> DurableObjectPlatform::RunFetch(Object* o, DoRequest request, Duration forward,
                                           SharedResult<DoResponse>* out) {
  co_await Sleep(executor_, forward);  // own root: never cancelled

  // Admission at the object.
  if (o->queued >= config_.max_queue || !o->bucket.TryTake(executor_.Now())) {
    if (Measuring()) ++metrics_.do_overloaded;
    DoResponse rejected;
    rejected.overloaded = true;
    rejected.status = FailureStatus::kUnavailable;
    out->Set(rejected);
    co_return;
  }
  if (Measuring()) ++metrics_.do_requests;
  BeginWork(o);

  // Event delivery: CPU with the input gate closed.
  ++o->queued;
  co_await o->gate.Lock();
  --o->queued;
  co_await Sleep(executor_, Sample(config_.service_time));
  o->gate.Unlock();

  // The object's code, with the gate open except during its storage operations.
  DoResponse response;
  bool failed = false;
  std::shared_ptr<DurableObject> instance = EnsureInstance(o);
  if (instance == nullptr) {
    failed = true;
  } else {
    try {
      response = co_await instance->Fetch(request);
    } catch (...) {
      failed = true;
    }
  }
  if (failed) {
    response = DoResponse{};
    response.error = true;
    response.status = FailureStatus::kUnavailable;
  }
  instance.reset();
  out->Set(std::move(response));  // `out` must not be touched after this
  EndWork(o);
}

// ---- Alarms ----------------------------------------------------------------------------------

void DurableObjectPlatform::SetAlarm(Object* o, Time at) {
  if (o->alarm_timer.valid()) queue_.Cancel(o->alarm_timer);
  if (Measuring()) ++metrics_.do_storage_writes;  // setAlarm() is billed as a row write
  o->alarm = at;
  if (o->alarm_running) o->alarm_set_while_running = true;
  o->alarm_timer = queue_.Schedule(std::max(at, executor_.Now()), [this, o] { OnAlarmTimer(o); });
}

void DurableObjectPlatform::OnAlarmTimer(Object* o) {
  o->alarm_timer = TimerId();
  o->alarm.reset();
  StartAlarm(o, 0);
}

void DurableObjectPlatform::OnRetryTimer(Object* o) {
  o->retry_timer = TimerId();
  StartAlarm(o, o->retry_attempt);
}

void DurableObjectPlatform::StartAlarm(Object* o, int attempt) {
  if (attempt == 0 && o->retry_timer.valid()) {  // a new series drops a pending retry
    queue_.Cancel(o->retry_timer);
    o->retry_timer = TimerId();
  }
  if (o->alarm_running) {
    if (!o->deferred_attempt || attempt == 0) o->deferred_attempt = attempt;
    return;
  }
  o->alarm_running = true;
  o->alarm_set_while_running = false;
  Spawn(RunAlarm(o, attempt));
}

Task<void> DurableObjectPlatform::RunAlarm(Object* o, int attempt) {
  if (Measuring()) {
    ++metrics_.do_requests;
    ++metrics_.do_alarm_invocations;
  }
  BeginWork(o);
  co_await HoldInputGate(o->gate, executor_, Sample(config_.service_time));

  bool ok = false;
  std::shared_ptr<DurableObject> instance = EnsureInstance(o);
  if (instance != nullptr) {
    try {
      ok = co_await instance->Alarm();
    } catch (...) {
      ok = false;
    }
  }
  instance.reset();
  o->alarm_running = false;

  // A failed invocation is not retried when a new series already came due while it ran, or
  // (set_alarm_cancels_retry) when an alarm was set while it ran: that alarm replaces the retry
  // and runs as a fresh invocation (docs/platform-conformance.md#do-alarms).
  const bool superseded = (o->deferred_attempt.has_value() && *o->deferred_attempt == 0) ||
                          (config_.alarm_retry.set_alarm_cancels_retry &&
                           o->alarm_set_while_running && o->alarm.has_value());
  o->alarm_set_while_running = false;
  if (!ok && !superseded) {
    if (attempt < config_.alarm_retry.max_retries) {
      double delay_s = config_.alarm_retry.initial.seconds();
      for (int i = 0; i < attempt; ++i) delay_s *= config_.alarm_retry.factor;
      // Late by up to `jitter` of the nominal delay; no draw at 0, so the stream is unchanged.
      if (config_.alarm_retry.jitter > 0) {
        delay_s *= 1 + config_.alarm_retry.jitter * rng_.Uniform01();
      }
      o->retry_attempt = attempt + 1;
      o->retry_timer =
          queue_.After(Duration::FromSecondsF(delay_s), [this, o] { OnRetryTimer(o); });
    } else if (Measuring()) {
      ++metrics_.do_alarm_failures;
    }
  }
  if (o->deferred_attempt) {
    const int next = *o->deferred_attempt;
    o->deferred_attempt.reset();
    StartAlarm(o, next);
  }
  EndWork(o);
}

// ---- Memory ----------------------------------------------------------------------------------

std::shared_ptr<DurableObject> DurableObjectPlatform::EnsureInstance(Object* o) {
  if (o->instance == nullptr) {
    std::unique_ptr<DurableObject> fresh = factory_ ? factory_(o->context) : nullptr;
    if (fresh == nullptr) return nullptr;
    o->instance = std::move(fresh);
    o->instance_since = executor_.Now();
    ++instances_created_;
  }
  return o->instance;
}

void DurableObjectPlatform::BeginWork(Object* o) { ++o->in_flight; }

void DurableObjectPlatform::EndWork(Object* o) {
  if (--o->in_flight > 0) return;
  const Time now = executor_.Now();
  o->last_activity = now;
  if (!o->idle_timer.valid()) {
    o->idle_timer =
        queue_.Schedule(now + config_.evict_after_idle, [this, o] { OnIdleTimer(o); });
  }
}

void DurableObjectPlatform::OnIdleTimer(Object* o) {
  o->idle_timer = TimerId();
  if (o->instance == nullptr || o->in_flight > 0) return;  // EndWork re-arms
  const Time now = executor_.Now();
  const Time due = o->last_activity + config_.evict_after_idle;
  if (now >= due) {
    DropInstance(o, now);
  } else {
    o->idle_timer = queue_.Schedule(due, [this, o] { OnIdleTimer(o); });
  }
}

void DurableObjectPlatform::DropInstance(Object* o, Time now) {
  if (o->instance == nullptr) return;
  AddActive(o->instance_since, now);
  o->instance.reset();  // running events keep their own reference until they finish
  if (metrics_.Measuring(now)) ++metrics_.do_evictions;
}

void DurableObjectPlatform::EvictAll(Time now) {
  for (const std::unique_ptr<Object>& o : objects_in_order_) DropInstance(o.get(), now);
}

void DurableObjectPlatform::AddActive(Time from, Time to) {
  const Time a = std::max(from, metrics_.measure_from);
  const Time b = std::min(to, metrics_.measure_to);
  if (b > a) metrics_.do_active_seconds += (b - a).seconds();
}

void DurableObjectPlatform::FinishRun(Time end) {
  for (const std::unique_ptr<Object>& o : objects_in_order_) {
    if (o->instance != nullptr && o->instance_since < end) {
      AddActive(o->instance_since, end);
      o->instance_since = end;
    }
    for (auto& [packed, s] : o->stored) {
      if (!s.value.valid()) continue;
      const Time to = std::min(s.value.expiration, end);
      AddExposure(o.get(), s.exposure_from, to);
      s.exposure_from = std::max(s.exposure_from, to);
    }
  }
}

// ---- Storage ---------------------------------------------------------------------------------

void DurableObjectPlatform::AddExposure(Object* o, Time from, Time to) {
  if (to <= from) return;
  metrics_.AddExposure(from, to);
  if (!o->counted_place && to > metrics_.measure_from && from < metrics_.measure_to) {
    o->counted_place = true;
    ++metrics_.places_holding_credentials;
  }
}

Task<std::optional<Credentials>> DurableObjectPlatform::StorageGet(Object* o, CredentialKey key) {
  co_await HoldInputGate(o->gate, executor_, Sample(config_.storage_latency));
  if (Measuring()) ++metrics_.do_storage_reads;
  auto it = o->stored.find(key.packed());
  if (it == o->stored.end()) co_return std::nullopt;
  co_return it->second.value;
}

Task<void> DurableObjectPlatform::StoragePut(Object* o, CredentialKey key, Credentials value) {
  co_await HoldInputGate(o->gate, executor_, Sample(config_.storage_latency));
  const Time now = executor_.Now();
  if (Measuring()) ++metrics_.do_storage_writes;
  auto [it, inserted] = o->stored.try_emplace(key.packed());
  Object::Stored& s = it->second;
  if (!inserted && s.value.valid()) {
    AddExposure(o, s.exposure_from, std::min(now, s.value.expiration));
  }
  s.value = value;
  s.exposure_from = now;
}

}  // namespace credsim
