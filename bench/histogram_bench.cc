// Histogram costs: Record() throughput on latency-like values, Percentile() and Cdf() on a
// populated histogram, and Merge().
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "benchmark/benchmark.h"
#include "sim/engine/histogram.h"

namespace credsim {
namespace {

// Lognormal-ish latencies (median 2 ms, sigma 1.2) from a fixed-seed xorshift generator.
std::vector<int64_t> Latencies(size_t n) {
  uint64_t s = 0x243F6A8885A308D3ull;
  auto unit = [&s] {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return static_cast<double>((s * 0x2545F4914F6CDD1Dull) >> 11) * 0x1.0p-53;
  };
  std::vector<int64_t> out(n);
  for (auto& v : out) {
    const double z = std::sqrt(-2.0 * std::log(1.0 - unit())) * std::cos(2 * std::numbers::pi * unit());
    v = static_cast<int64_t>(std::exp(std::log(2e6) + 1.2 * z));
  }
  return out;
}

void BM_HistogramRecord(benchmark::State& state) {
  const std::vector<int64_t> values = Latencies(1 << 16);
  Histogram h;
  size_t i = 0;
  for (auto _ : state) {
    h.Record(values[i]);
    i = (i + 1) & (values.size() - 1);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

void BM_HistogramRecordSameValue(benchmark::State& state) {
  Histogram h;
  // Read through a volatile each time so the index computation cannot be hoisted. (GCC can
  // miscompile benchmark::DoNotOptimize(T&)'s "+m,r" constraint on a local, so inputs are
  // passed through volatiles instead.)
  volatile int64_t v = 1234567;
  for (auto _ : state) h.Record(v);
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecordSameValue);

void BM_HistogramPercentile(benchmark::State& state) {
  Histogram h;
  for (int64_t v : Latencies(1 << 20)) h.Record(v);
  const double q = static_cast<double>(state.range(0)) / 1000.0;
  volatile double vq = q;
  for (auto _ : state) benchmark::DoNotOptimize(h.Percentile(vq));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramPercentile)->Arg(500)->Arg(990)->Arg(999);

void BM_HistogramCdf(benchmark::State& state) {
  Histogram h;
  for (int64_t v : Latencies(1 << 20)) h.Record(v);
  for (auto _ : state) benchmark::DoNotOptimize(h.Cdf(static_cast<size_t>(state.range(0))));
}
BENCHMARK(BM_HistogramCdf)->Arg(200);

void BM_HistogramMerge(benchmark::State& state) {
  Histogram a, b;
  for (int64_t v : Latencies(1 << 16)) b.Record(v);
  for (auto _ : state) {
    a.Merge(b);
    benchmark::DoNotOptimize(a.count());
  }
}
BENCHMARK(BM_HistogramMerge);

}  // namespace
}  // namespace credsim
