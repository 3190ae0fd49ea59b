// Steady-state EventQueue throughput: N events pending; each iteration pops the earliest event
// and schedules a new one at now + a pseudo-random delay, so the queue size stays at N.
#include <cstdint>
#include <vector>

#include "benchmark/benchmark.h"
#include "sim/engine/event_queue.h"
#include "sim/engine/time.h"

namespace credsim {
namespace {

// xorshift64*: cheap deterministic delays, independent of the standard library.
struct Rng {
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

void BM_EventQueueSteadyState(benchmark::State& state) {
  const int64_t pending = state.range(0);
  EventQueue q;
  Rng rng;
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
  Rng rng;
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

}  // namespace
}  // namespace credsim
