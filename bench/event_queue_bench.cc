// EventQueue and WeightedChoice micro-benchmarks.
//
// BM_EventQueueHold: the classic hold model. N events are pending; each event, when it runs,
// schedules its replacement at now + an exponential delay, so the queue holds N events and
// every iteration is one pop and one push. items_per_second is events run per second.
// BM_EventQueueHoldCancel10: the same, plus on every 9th event a random pending event is
// cancelled and rescheduled, so 10 % of all scheduled events are cancelled before they run.
// BM_EventQueueSteadyState*: the older steady-state loops (uniform delays, Step + After from
// outside the callback; half of the timers cancelled far in the future).
// BM_WeightedChoiceSample: one WeightedChoice::Sample per iteration on Zipf(n, 1).
#include <cmath>
#include <cstdint>
#include <vector>

#include "benchmark/benchmark.h"
#include "sim/engine/event_queue.h"
#include "sim/engine/random.h"
#include "sim/engine/time.h"
#include "sim/engine/weighted_choice.h"

namespace credsim {
namespace {

// xorshift64*: cheap deterministic delays, independent of the standard library.
struct XorShift {
  uint64_t s = 0x9E3779B97F4A7C15ull;
  uint64_t Next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
  // Uniform-ish delay in [1us, 1us + 2^20 ns).
  Duration Delay() { return Duration::Micros(1) + Duration::Nanos(static_cast<int64_t>(Next() >> 44)); }
};

// Exponential delays with a 1 ms mean: a 4096-entry table of quantiles (fits in L1/L2, so the
// benchmark measures the queue, not log()) plus up to 1 us of jitter.
class ExpDelays {
 public:
  ExpDelays() {
    for (size_t i = 0; i < kSize; ++i) {
      const double u = (static_cast<double>(i) + 0.5) / kSize;
      table_[i] = static_cast<int64_t>(-std::log(u) * 1e6);
    }
  }
  Duration Next() {
    const uint64_t r = rng_.Next();
    return Duration::Nanos(table_[r & (kSize - 1)] + static_cast<int64_t>(r >> 54));
  }
  uint64_t Raw() { return rng_.Next(); }

 private:
  static constexpr size_t kSize = 4096;
  int64_t table_[kSize];
  XorShift rng_;
};

struct HoldModel {
  EventQueue q;
  ExpDelays delays;
  std::vector<TimerId> ids;  // ids[i]: the one pending event of index i (if cancelling)
  uint32_t cancel_every = 0;  // 0: never cancel
  uint32_t until_cancel = 0;
  uint64_t cancelled = 0;

  struct Fire {
    HoldModel* m;
    uint32_t i;
    void operator()() const { m->OnFire(i); }
  };
  void Arm(uint32_t i) {
    const TimerId id = q.After(delays.Next(), Fire{this, i});
    if (cancel_every != 0) ids[i] = id;
  }
  void OnFire(uint32_t i) {
    Arm(i);
    if (cancel_every != 0 && --until_cancel == 0) {
      until_cancel = cancel_every;
      const uint32_t victim = static_cast<uint32_t>(((delays.Raw() >> 32) * ids.size()) >> 32);
      cancelled += q.Cancel(ids[victim]);
      Arm(victim);
    }
  }
  HoldModel(size_t n, uint32_t every)
      : ids(every != 0 ? n : 0), cancel_every(every), until_cancel(every) {
    for (uint32_t i = 0; i < n; ++i) Arm(i);
  }
};

void RunHold(benchmark::State& state, uint32_t cancel_every) {
  const size_t n = static_cast<size_t>(state.range(0));
  HoldModel m(n, cancel_every);
  // Warm up: run every event once so the time distribution reaches its steady state.
  for (size_t i = 0; i < n; ++i) m.q.Step();
  const uint64_t cancelled0 = m.cancelled;
  for (auto _ : state) {
    m.q.Step();
  }
  if (m.q.pending() != n) state.SkipWithError("queue size drifted");
  state.SetItemsProcessed(state.iterations());
  state.counters["cancels_per_event"] =
      static_cast<double>(m.cancelled - cancelled0) / static_cast<double>(state.iterations());
}

void BM_EventQueueHold(benchmark::State& state) { RunHold(state, 0); }
BENCHMARK(BM_EventQueueHold)->Arg(1000)->Arg(100000)->Arg(1000000);

// One cancel per 9 runs: 1 of every 10 scheduled events is cancelled.
void BM_EventQueueHoldCancel10(benchmark::State& state) { RunHold(state, 9); }
BENCHMARK(BM_EventQueueHoldCancel10)->Arg(1000)->Arg(100000)->Arg(1000000);

void BM_EventQueueSteadyState(benchmark::State& state) {
  const int64_t pending = state.range(0);
  EventQueue q;
  XorShift rng;
  uint64_t fired = 0;
  auto cb = [&fired] { ++fired; };
  for (int64_t i = 0; i < pending; ++i) q.After(rng.Delay(), cb);

  for (auto _ : state) {
    q.Step();
    benchmark::DoNotOptimize(q.After(rng.Delay(), cb));
  }
  benchmark::DoNotOptimize(fired);
  if (q.pending() != static_cast<size_t>(pending)) state.SkipWithError("queue size drifted");
  state.SetItemsProcessed(state.iterations());
  state.counters["pending"] = static_cast<double>(q.pending());
}
BENCHMARK(BM_EventQueueSteadyState)->Arg(1000)->Arg(1000000);

// Same, but every iteration also schedules a timeout-like timer that is cancelled N/2
// iterations later (before it can fire): half of all scheduled timers are cancelled.
void BM_EventQueueSteadyStateHalfCancelled(benchmark::State& state) {
  const int64_t pending = state.range(0);
  EventQueue q;
  XorShift rng;
  uint64_t fired = 0;
  auto cb = [&fired] { ++fired; };
  // Timeouts are far beyond any regular event, so they are always still pending when
  // cancelled; each iteration pops one event, schedules two and cancels one.
  const Duration kTimeout = Duration::Seconds(3600);
  const size_t ring_size = static_cast<size_t>(pending / 2);
  std::vector<TimerId> ring(ring_size);
  for (int64_t i = 0; i < pending - static_cast<int64_t>(ring_size); ++i) q.After(rng.Delay(), cb);
  for (auto& id : ring) id = q.After(kTimeout + rng.Delay(), cb);

  size_t pos = 0;
  uint64_t cancelled = 0;
  for (auto _ : state) {
    q.Step();
    q.After(rng.Delay(), cb);
    cancelled += q.Cancel(ring[pos]);
    ring[pos] = q.After(kTimeout + rng.Delay(), cb);
    if (++pos == ring_size) pos = 0;
  }
  benchmark::DoNotOptimize(fired);
  if (cancelled != static_cast<uint64_t>(state.iterations())) state.SkipWithError("a timeout fired before its cancel");
  if (q.pending() != static_cast<size_t>(pending)) state.SkipWithError("queue size drifted");
  // One item = one popped event (plus its schedule and one schedule+cancel pair).
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventQueueSteadyStateHalfCancelled)->Arg(1000)->Arg(1000000);

void BM_WeightedChoiceSample(benchmark::State& state) {
  const WeightedChoice choice = WeightedChoice::Zipf(static_cast<size_t>(state.range(0)), 1.0);
  Rng rng(42);
  size_t sum = 0;
  for (auto _ : state) {
    sum += choice.Sample(rng);
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WeightedChoiceSample)->Arg(5)->Arg(100)->Arg(2000);

}  // namespace
}  // namespace credsim
