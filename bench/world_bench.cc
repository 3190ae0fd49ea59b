// End-to-end throughput: simulated requests per second of wall time for each strategy on a
// long-tail scenario (330 colos, 2,000 roles).
#include "benchmark/benchmark.h"
#include "cli/scenario.h"
#include "sim/world/world.h"
#include "strategies/registry.h"

namespace credsim {
namespace {

void BM_World(benchmark::State& state, const char* kind) {
  nlohmann::json j = {
      {"duration", "10m"},
      {"warmup", "1m"},
      {"world", {{"colos", {{"count", 330}}}}},
      {"traffic", {{"roles", 2000}, {"rate", 500}, {"popularity", {{"zipf", 0.8}}}}},
      {"strategies", {kind}}};
  auto sc = ParseScenario(j, "bench", ".");
  if (!sc.ok()) {
    state.SkipWithError(std::string(sc.status().message()).c_str());
    return;
  }
  uint64_t requests = 0;
  for (auto _ : state) {
    const nlohmann::json params = nlohmann::json::object();
    JsonReader r(params, "params");
    auto strategy = FindStrategy(kind)->create(r);
    World world(sc->world, nullptr, **strategy);
    requests += world.Run().requests;
  }
  state.counters["requests_per_s"] =
      benchmark::Counter(static_cast<double>(requests), benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(BM_World, none, "none")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_World, l1, "l1")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_World, l1_l2, "l1_l2")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_World, kv, "kv")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_World, do_singleflight, "do_singleflight")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_World, do_alarm_kv, "do_alarm_kv")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace credsim
