#include "sim/world/world.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <stdexcept>

#include "absl/container/flat_hash_set.h"
#include "sim/world/colo_cache_sim.h"
#include "sim/world/durable_object_sim.h"
#include "sim/world/kv_sim.h"
#include "sim/engine/random.h"
#include "sim/world/revocation_feed_sim.h"
#include "sim/world/sts_sim.h"
#include "sim/world/token_signer_sim.h"

namespace credsim {
namespace {
// Requests that arrived before the end may finish for this long after it.
constexpr Duration kDrain = Duration::Hours(1);
}  // namespace

class World::Runtime final : public IsolateRuntime {
 public:
  explicit Runtime(bool cancelled) : cancelled_(cancelled) {}
  bool cross_request_waits_cancelled() const override { return cancelled_; }

 private:
  bool cancelled_;
};

class World::Network final : public ColoNetwork {
 public:
  explicit Network(const ColoSet& colos) : colos_(colos) {}
  Duration Rtt(uint32_t a, uint32_t b) const override { return colos_.Rtt(a, b); }

 private:
  const ColoSet& colos_;
};

// The STS port of a caller that stands for one running before t = 0 under the steady-state
// start (WorldConfig::initial_state): the first successful credential for each key is
// back-dated (StsService::BackDated), as if the caller had held a credential of random age;
// later ones pass through. Only such callers get one; every other caller uses the colo's
// StsClientSim directly. The set of keys seen is O(keys this caller asked for); it is only
// searched on STS calls.
class World::SteadyStartSts final : public StsClient {
 public:
  SteadyStartSts(StsClientSim& inner, StsService& service) : inner_(inner), service_(service) {}
  Task<StsResult> AssumeRoleWithWebIdentity(CredentialKey key) override {
    StsResult r = co_await inner_.AssumeRoleWithWebIdentity(key);
    if (r.ok() && seen_.insert(key.packed()).second) {
      r.credentials = service_.BackDated(key, r.credentials);
    }
    co_return r;
  }

 private:
  StsClientSim& inner_;
  StsService& service_;
  absl::flat_hash_set<uint64_t> seen_;
};

struct World::Colo {
  std::unique_ptr<ColoCacheSim> cache;
  std::unique_ptr<KvColoView> kv;
  std::unique_ptr<StsClientSim> sts;
  // The STS port of the colo's Durable Objects under a steady start (null: `sts`).
  std::unique_ptr<SteadyStartSts> object_sts;
  std::vector<bool> server_used;  // a server's first isolate stands for one running at t = 0
  std::unique_ptr<TokenSignerSim> signer;  // CPU-time source of the colo's signatures
  DurableObjectNamespace* durable_objects = nullptr;
  std::vector<Isolate*> servers;  // live isolate per server (nullptr: none)
  std::vector<Rng> server_rng;    // per-server stream: cold starts, idle timeouts, lifetimes
};

// One isolate: its own single-threaded signer (signatures queue behind each other) and the
// ports its provider sees, allocated once at the cold start.
struct World::Isolate {
  Isolate(Colo& c, SimExecutor& executor, IsolateRuntime& runtime, RevocationFeed* feed,
          StsService* backdate)
      : signer(*c.signer),
        steady_sts(backdate != nullptr ? std::make_unique<SteadyStartSts>(*c.sts, *backdate)
                                       : nullptr),
        ports{executor,   runtime, signer, StsPort(c), *c.cache, *c.kv, *c.durable_objects,
              feed} {}
  StsClient& StsPort(Colo& c) {
    return steady_sts != nullptr ? static_cast<StsClient&>(*steady_sts) : *c.sts;
  }
  SerialTokenSigner signer;
  std::unique_ptr<SteadyStartSts> steady_sts;  // the first isolate of a server, steady start
  IsolatePorts ports;
  std::unique_ptr<CredentialProvider> provider;  // declared after ports: destroyed first
  uint32_t colo = 0;
  uint32_t server = 0;
  Time ready_at;
  uint32_t inflight = 0;
  bool detached = false;
  // Idle eviction (World::ArmIdle): the current idle period (its arrival, draw, sequence
  // number, and deadline once known) and the one pending check at or before its end.
  bool idle_armed = false;
  bool idle_known = false;
  Time idle_from;
  double idle_u = 0;
  uint64_t idle_seq = 0;
  Time idle_deadline;
  TimerId idle_timer;
  Time idle_timer_at;
  uint64_t idle_timer_seq = 0;
  double idle_timer_u = 0;
  Time idle_timer_from;
  TimerId death_timer;
};

struct World::RequestSlot {
  bool active = false;  // between OnArrival and Release
  bool cancelled = false;
  bool recorded = false;
  Time start;
  Arrival arrival;
  Isolate* isolate = nullptr;
  bool cold = false;
  uint64_t serial = 0;  // unique per request (edge deadlines tell a reused slot by it)
  RequestSlot* next_free = nullptr;
};

World::World(const WorldConfig& config, std::shared_ptr<const Trace> trace, Strategy& strategy)
    : config_(config),
      trace_(std::move(trace)),
      strategy_(strategy),
      executor_(queue_),
      metrics_(Time() + config.warmup, Time() + config.warmup + config.duration, config.interval),
      recorder_(metrics_, config.workers.cpu_per_request, config.isolates.cold_start_cpu),
      colos_(config.colos, BaseRequestRateForServers(config.traffic,
                                                     config.warmup + config.duration,
                                                     trace_.get())),
      aws_(config.revocation) {
  end_ = Time() + config.warmup + config.duration;
  const uint64_t seed = config.seed;
  // Measurement only (no draw depends on these): breakdown rows and results windows.
  metrics_.by_colo.assign(colos_.size(), BreakdownCounters{});
  metrics_.by_role.assign(RoleCount(config.traffic, trace_.get()), BreakdownCounters{});
  metrics_.windows = RunWindows(RunWindowSpecs(config), metrics_.measure_from, metrics_.measure_to);
  runtime_ = std::make_unique<Runtime>(config.workers.cross_request_waits_cancelled);
  network_ = std::make_unique<Network>(colos_);
  sts_ = std::make_unique<StsService>(config.sts, executor_, metrics_, Rng::ForStream(seed, "sts"));
  kv_store_ = std::make_unique<KvStore>(config.kv, Rng::ForStream(seed, "kv"), metrics_);
  feed_ = std::make_unique<RevocationFeedSim>(config.revocation, executor_);

  ColoCacheConfig cache_config = config.cache_api;
  if (!config.workers.custom_domain) cache_config.enabled = false;
  for (uint32_t c = 0; c < colos_.size(); ++c) {
    auto colo = std::make_unique<Colo>();
    colo->cache = std::make_unique<ColoCacheSim>(cache_config, Rng::ForStream(seed, "cache", c),
                                                 executor_, metrics_);
    colo->kv = std::make_unique<KvColoView>(*kv_store_, c, Rng::ForStream(seed, "kv.colo", c),
                                            executor_);
    // The path RTT is used only with sts.network "add_rtt" (beyond the in-region RTT).
    // Shared by the colo's isolates and the Durable Objects it hosts: their STS calls are
    // attributed to colo c in the breakdown.
    colo->sts = std::make_unique<StsClientSim>(*sts_, colos_.RttToRegion(c, colos_.sts_region()),
                                               config.colos.intra_region_rtt, c);
    colo->signer = std::make_unique<TokenSignerSim>(config.sts.signing_cpu, executor_, metrics_,
                                                    Rng::ForStream(seed, "signer", c));
    if (config.initial_state == InitialState::kSteady) {
      colo->object_sts = std::make_unique<SteadyStartSts>(*colo->sts, *sts_);
    }
    const int servers = colos_.colo(c).servers;
    colo->servers.assign(servers, nullptr);
    colo->server_used.assign(servers, false);
    for (int s = 0; s < servers; ++s) {
      colo->server_rng.push_back(Rng::ForStream(seed, "isolates", (uint64_t{c} << 20) | s));
    }
    colo_state_.push_back(std::move(colo));
  }

  DurableObjectEnv env;
  env.sts = [this](uint32_t c) -> StsClient& {
    Colo& colo = *colo_state_[c];
    return colo.object_sts != nullptr ? static_cast<StsClient&>(*colo.object_sts) : *colo.sts;
  };
  // Called once per object (on its first signature): each object gets its own serial signer,
  // as an object is single-threaded.
  env.signer = [this](uint32_t c) -> TokenSigner& {
    return object_signers_.emplace_back(*colo_state_[c]->signer);
  };
  env.kv = [this](uint32_t c) -> KvNamespace& { return *colo_state_[c]->kv; };
  durable_objects_ = std::make_unique<DurableObjectPlatform>(
      config.durable_objects, executor_, queue_, *network_, std::move(env),
      [this](DurableObjectContext& ctx) { return strategy_.NewDurableObject(ctx); },
      Rng::ForStream(seed, "durable_objects"), metrics_);

  feed_port_ = config.revocation.events.empty() && config.revocation.feed_outages.empty()
                   ? nullptr
                   : feed_.get();
  for (uint32_t c = 0; c < colos_.size(); ++c) {
    colo_state_[c]->durable_objects = &durable_objects_->Namespace(c);
  }
  traffic_ = std::make_unique<TrafficGenerator>(config.traffic, colos_, seed, trace_);
  if (absl::StatusOr<uint32_t> d = ResolveDeployColo(config, colos_); d.ok()) {
    deploy_colo_ = *d;
  } else {
    config_error_ = std::string(d.status().message());
  }
}

World::~World() {
  // First the coroutine frames still suspended (requests cut off by the drain limit or a
  // failure, DO calls, alarms, strategy background work): destroying them runs only their
  // locals' destructors, which may still reach isolates, providers, Durable Object instances
  // and adapters, so all of those must be alive. Pending events are dropped with them.
  executor_.Shutdown();
  // Detached isolates whose requests were cut off: their Serve frames are gone, so settle
  // the in-flight counts here (each isolate is deleted once).
  for (RequestSlot& s : slots_) {
    if (!s.active) continue;
    s.active = false;
    Isolate* iso = s.isolate;
    if (iso->detached && --iso->inflight == 0) delete iso;
  }
  // Live isolates are owned here.
  for (auto& colo : colo_state_) {
    for (Isolate*& iso : colo->servers) {
      delete iso;
      iso = nullptr;
    }
  }
}

size_t World::live_isolates() const {
  size_t n = 0;
  for (const auto& colo : colo_state_) {
    for (const Isolate* iso : colo->servers) n += iso != nullptr;
  }
  return n;
}

namespace {

// One prewarm chain of a role's object: sessions first, first + step, ... < sessions, one call
// at a time. `stub` is owned by the Durable Object platform, which outlives every coroutine.
Task<void> PrewarmChain(DurableObjectStub& stub, uint32_t role, int64_t first, int64_t step,
                        int64_t sessions) {
  for (int64_t s = first; s < sessions; s += step) {
    DoRequest req;
    req.key = CredentialKey{role, static_cast<uint32_t>(s)};
    req.op = 0;
    co_await stub.Fetch(req);
  }
}

}  // namespace

void World::Fail(const std::string& message) {
  executor_.OnRootFailure(std::make_exception_ptr(std::invalid_argument(message)));
}

const RunMetrics& World::Run() {
  if (!config_error_.empty()) {
    Fail(config_error_);
    return metrics_;
  }
  // Cold roles (bursts with "role": "cold") are unknown to the deployment: never prewarmed.
  const int64_t roles = static_cast<int64_t>(traffic_->base_role_count());
  const int64_t sessions = config_.traffic.sessions_per_role;
  if (strategy_.prewarm_durable_objects()) {
    if (absl::Status s = CheckPrewarmKeys(roles, sessions); !s.ok()) {
      Fail(std::string(s.message()));
      return metrics_;
    }
  }
  traffic_->Start(queue_, end_, this);
  // Fleet-wide restarts / deploys.
  std::vector<Duration> restarts = config_.isolates.restarts;
  if (config_.isolates.restart_interval) {
    for (Duration t = *config_.isolates.restart_interval; Time() + t < end_;
         t += *config_.isolates.restart_interval) {
      restarts.push_back(t);
    }
  }
  for (Duration t : restarts) {
    if (Time() + t < end_) queue_.Schedule(Time() + t, [this] { RestartFleet(); });
  }
  if (strategy_.prewarm_durable_objects()) {
    // The deployment calls every (role, session) the traffic can produce from the deploy
    // colo. Every object is placed there at t = 0, before any arrival (first-caller
    // placement); the calls are paced at workers.prewarm_rate (role r starts at r / rate).
    DurableObjectNamespace& ns = *colo_state_[deploy_colo_]->durable_objects;
    const int64_t chains = std::min(sessions, kPrewarmCallsPerObject);
    for (int64_t r = 0; r < roles; ++r) {
      const uint32_t role = static_cast<uint32_t>(r);
      DurableObjectStub& stub = ns.Get(CredentialKey{role, 0});  // places the object
      const Time at = Time() + Duration::FromSecondsF(static_cast<double>(r) /
                                                      config_.workers.prewarm_rate);
      if (at >= end_) break;
      queue_.Schedule(at, [this, &stub, role, chains, sessions] {
        for (int64_t c = 0; c < chains; ++c) {
          Spawn(executor_, PrewarmChain(stub, role, c, chains, sessions));
        }
      });
    }
  }
  queue_.RunUntil(end_);
  if (executor_.failed()) return metrics_;  // a root failed: the run stopped there
  // Let requests that arrived before the end finish (they are measured by arrival time);
  // edge timeouts bound this unless they are disabled.
  const Time drain_limit = end_ + kDrain;
  while (in_flight_ > 0 && queue_.now() <= drain_limit && !executor_.failed() &&
         queue_.Step()) {
  }
  if (executor_.failed()) return metrics_;
  FinishAccounting();
  if (progress_ != nullptr) {
    progress_->sim_nanos.store(queue_.now().nanos(), std::memory_order_relaxed);
    progress_->arrivals.store(arrivals_, std::memory_order_relaxed);
    progress_->done.store(true, std::memory_order_relaxed);
  }
  return metrics_;
}

void World::FinishAccounting() {
  for (auto& colo : colo_state_) {
    colo->cache->FinishExposure(end_);
    colo->kv->FinishExposure(end_);
  }
  kv_store_->FinishExposure(end_);
  durable_objects_->FinishRun(end_);
}

void World::RestartFleet() {
  for (auto& colo : colo_state_) {
    for (Isolate* iso : colo->servers) {
      if (iso) Detach(iso);
    }
  }
  durable_objects_->EvictAll(queue_.now());
}

World::Isolate* World::IsolateFor(const Arrival& a) {
  Colo& colo = *colo_state_[a.colo];
  Isolate*& slot = colo.servers[a.server];
  const Time now = queue_.now();
  Rng& rng = colo.server_rng[a.server];
  // Samples can be arbitrarily large (a wide lognormal, a tiny hazard rate): anything past the
  // end of the run (drain included) never happens in it, so clamp or skip it there rather
  // than overflow the clock.
  const Duration left = (end_ + kDrain + Duration::Hours(1)) - now;
  if (slot == nullptr) {
    // Two draws per cold start (start time, death), whatever the configuration.
    // Steady start: only the first isolate of a server back-dates (see WorldConfig).
    const bool first = !colo.server_used[a.server];
    colo.server_used[a.server] = true;
    auto* iso = new Isolate(colo, executor_, *runtime_, feed_port_,
                            first && config_.initial_state == InitialState::kSteady ? sts_.get()
                                                                                   : nullptr);
    iso->colo = a.colo;
    iso->server = a.server;
    iso->ready_at = now + std::min(Duration::FromSecondsF(config_.isolates.cold_start.Sample(rng)), left);
    std::optional<Duration> life = config_.isolates.max_lifetime;
    const double u = rng.UniformOpen01();  // always drawn: keeps the stream aligned
    if (config_.isolates.random_evictions_per_hour > 0) {
      const Duration random_death =
          Duration::FromSecondsF(-std::log(u) * 3600 / config_.isolates.random_evictions_per_hour);
      if (!life || random_death < *life) life = random_death;
    }
    iso->provider = strategy_.NewProvider(iso->ports);
    if (life && *life < left) iso->death_timer = queue_.After(*life, [this, iso] { Detach(iso); });
    slot = iso;
    ++isolates_created_;
    recorder_.IsolateCreated(now);
  }
  Isolate* iso = slot;
  // Every arrival starts a new idle period with a fresh timeout: one draw per arrival, always
  // (also with "idle_eviction": null), so the stream stays aligned.
  const double u_idle = rng.UniformOpen01();
  iso->idle_armed = false;
  if (config_.isolates.evict_when_idle) ArmIdle(iso, now, u_idle);
  return iso;
}

// Idle eviction. The current idle period (from the last arrival, with its draw u) ends at
// (deadline, idle_seq): the key a timer scheduled by that arrival would have (its sequence
// number is taken at the arrival). Rather than cancel and re-schedule a timer on every arrival,
// one pending check per isolate is kept at or before that key: it is moved only when the new
// deadline is earlier, and a check that finds a later deadline re-arms itself there
// (OnIdleCheck). The eviction therefore runs at exactly the key it had when every arrival
// re-scheduled its timer, and no other event's order changes.
//
// The deadline itself (a quantile and a rounding) is computed only when needed: the quantile
// is non-decreasing in u, so an arrival at least kIdleMargin after the one that set the pending
// check, with a draw u at least that one's, has a deadline no earlier than the pending check;
// its deadline is worked out when the check runs. (The margin absorbs any rounding-level
// non-monotonicity of a quantile function, far below a microsecond.) A sequence number taken
// for a period that then turns out to end past the run is never used: a gap in the sequence
// changes no order.
namespace {
constexpr Duration kIdleMargin = Duration::Micros(1);
}  // namespace

void World::ArmIdle(Isolate* iso, Time now, double u) {
  iso->idle_from = now;
  iso->idle_u = u;
  iso->idle_seq = queue_.ReserveSeq();
  iso->idle_armed = true;
  iso->idle_known = false;
  const bool pending = queue_.IsPending(iso->idle_timer);
  if (pending && u >= iso->idle_timer_u && now >= iso->idle_timer_from + kIdleMargin) return;
  if (!ResolveIdle(iso)) return;
  if (pending) {
    // Equal times: the pending check has the older sequence number, so it still runs first.
    if (iso->idle_deadline >= iso->idle_timer_at) return;
    queue_.Cancel(iso->idle_timer);
  }
  ScheduleIdleCheck(iso);
}

bool World::ResolveIdle(Isolate* iso) {
  if (iso->idle_known) return true;
  // Samples can be arbitrarily large: anything past the end of the run (drain included)
  // never happens in it (the same bound as IsolateFor's, from the arrival's instant).
  const Duration left = (end_ + kDrain + Duration::Hours(1)) - iso->idle_from;
  const Duration idle =
      Duration::FromSecondsF(config_.isolates.idle_eviction.Quantile(iso->idle_u));
  if (!(idle < left)) {
    iso->idle_armed = false;
    return false;
  }
  iso->idle_deadline = iso->idle_from + idle;
  iso->idle_known = true;
  return true;
}

void World::ScheduleIdleCheck(Isolate* iso) {
  iso->idle_timer_at = iso->idle_deadline;
  iso->idle_timer_seq = iso->idle_seq;
  iso->idle_timer_u = iso->idle_u;
  iso->idle_timer_from = iso->idle_from;
  iso->idle_timer = queue_.ScheduleReserved(iso->idle_deadline, iso->idle_seq,
                                            [this, iso] { OnIdleCheck(iso); });
}

void World::OnIdleCheck(Isolate* iso) {
  if (!iso->idle_armed) return;  // the last arrival set no idle eviction
  if (iso->idle_seq == iso->idle_timer_seq) {
    Detach(iso);  // no arrival since: the idle period ended
    return;
  }
  // A later arrival moved the deadline on (never earlier: ArmIdle).
  if (ResolveIdle(iso)) ScheduleIdleCheck(iso);
}

void World::Detach(Isolate* iso) {
  if (iso->detached) return;
  iso->detached = true;
  queue_.Cancel(iso->idle_timer);
  queue_.Cancel(iso->death_timer);
  colo_state_[iso->colo]->servers[iso->server] = nullptr;
  MaybeDestroy(iso);
}

void World::MaybeDestroy(Isolate* iso) {
  if (iso->detached && iso->inflight == 0) delete iso;
}

void World::OnArrival(const Arrival& a) {
  if ((++arrivals_ & 0xFFFF) == 0 && progress_ != nullptr) {
    progress_->sim_nanos.store(queue_.now().nanos(), std::memory_order_relaxed);
    progress_->arrivals.store(arrivals_, std::memory_order_relaxed);
  }
  Isolate* iso = IsolateFor(a);
  // The fast path: a warm isolate whose provider answers without suspending is served here,
  // with exactly what Serve() would do for it (no edge timer: it could not fire), and no
  // coroutine, slot or event. Skipping the edge timer's schedule leaves the relative order
  // of every other event unchanged, so results are identical to the general path.
  if (iso->ready_at <= queue_.now()) {
    const CredentialKey key{a.role, a.session};
    if (AuthResult r; iso->provider->TryGetCredentialsNow(AuthRequest{key}, &r)) {
      const int status = r.status == FailureStatus::kOk ? UseCredentials(queue_.now(), iso, key, r)
                                                        : static_cast<int>(r.status);
      recorder_.Outcome(queue_.now(), a.colo, a.role, /*cold=*/false, status, r.source,
                        Duration());
      return;
    }
  }
  RequestSlot* s = free_slots_;
  if (s) {
    free_slots_ = s->next_free;
  } else {
    s = &slots_.emplace_back();
  }
  *s = RequestSlot();
  s->active = true;
  s->serial = ++request_serial_;
  s->start = queue_.now();
  s->arrival = a;
  s->isolate = iso;
  ++in_flight_;
  s->cold = iso->ready_at > s->start;
  ++iso->inflight;
  if (config_.workers.edge_timeout > Duration()) {
    ArmEdgeTimeout(s);
  }
  Spawn(executor_, Serve(s), &s->cancelled);
}

Task<void> World::Serve(RequestSlot* s) {
  Isolate* iso = s->isolate;
  int status = 503;
  Tier tier = Tier::kNone;
  Time auth_start = queue_.now();
  try {
    if (iso->ready_at > queue_.now()) co_await Sleep(executor_, iso->ready_at - queue_.now());
    auth_start = queue_.now();
    const CredentialKey key{s->arrival.role, s->arrival.session};
    AuthResult r = co_await iso->provider->GetCredentials(AuthRequest{key});
    tier = r.source;
    status = r.status == FailureStatus::kOk ? UseCredentials(s->start, iso, key, r)
                                            : static_cast<int>(r.status);
  } catch (const RuntimeCancelled&) {
    status = 500;
    recorder_.CancelledByRuntime(s->start);
  } catch (const RequestCancelled&) {
    status = 503;  // the edge timeout already answered
  }
  if (!s->recorded) {
    Record(s, status, tier, queue_.now() - auth_start);
  }
  --iso->inflight;
  MaybeDestroy(iso);
  Release(s);
}

int World::UseCredentials(Time start, Isolate* iso, CredentialKey key, const AuthResult& r) {
  const AwsVerdict verdict = aws_.Check(key.role, r.credentials, queue_.now());
  recorder_.CredentialsRejected(start, verdict);
  if (verdict == AwsVerdict::kRevoked) iso->provider->OnCredentialRejected(key, r.credentials);
  return AwsCredentialCheck::StatusOf(verdict);
}

// Every edge deadline is its request's arrival + workers.edge_timeout, so in arrival order the
// deadlines, and the sequence numbers taken for them, only grow: they form a FIFO already in
// the queue's (time, seq) order. Instead of a timer per request (a heap insert, and a cancel
// when the request finishes), the FIFO holds each request's (deadline, seq) and one event is
// pending, at the key of the earliest entry. When it runs, that entry's request is timed out
// if still unanswered; answered entries are dropped on the way to the next one. Timeouts run
// at exactly the keys their timers had, and no other event's order changes.
void World::ArmEdgeTimeout(RequestSlot* s) {
  edge_deadlines_.push_back(
      EdgeDeadline{queue_.now() + config_.workers.edge_timeout, queue_.ReserveSeq(), s, s->serial});
  if (!queue_.IsPending(edge_check_)) ScheduleEdgeCheck();
}

bool World::EdgeDeadline::live() const {
  return slot->active && slot->serial == serial && !slot->recorded;
}

void World::ScheduleEdgeCheck() {
  while (!edge_deadlines_.empty() && !edge_deadlines_.front().live()) edge_deadlines_.pop_front();
  if (edge_deadlines_.empty()) return;
  const EdgeDeadline& e = edge_deadlines_.front();
  edge_check_ = queue_.ScheduleReserved(e.at, e.seq, [this] { OnEdgeCheck(); });
}

void World::OnEdgeCheck() {
  // The front entry is the one this event was scheduled for (entries leave only here).
  const EdgeDeadline e = edge_deadlines_.front();
  edge_deadlines_.pop_front();
  if (e.live()) OnEdgeTimeout(e.slot);
  ScheduleEdgeCheck();
}

void World::OnEdgeTimeout(RequestSlot* s) {
  s->cancelled = true;
  recorder_.EdgeTimeout(s->start);
  Record(s, 503, Tier::kNone, config_.workers.edge_timeout);
}

void World::Record(RequestSlot* s, int status, Tier tier, Duration auth_latency) {
  s->recorded = true;
  recorder_.Outcome(s->start, s->arrival.colo, s->arrival.role, s->cold, status, tier,
                    auth_latency);
}

void World::Release(RequestSlot* s) {
  s->active = false;
  --in_flight_;
  s->next_free = free_slots_;
  free_slots_ = s;
}

}  // namespace credsim
