// StrategyResult's derived values (the cost model), the signal list as the one source of
// results.json metrics, timeseries.csv columns and the docs/results.md table
// (cli/results.h, sim/world/run_signals.h, docs/results.md).
#include "cli/results.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/world/run_signals.h"
#include "strategies/ports/strategy.h"

namespace credsim {
namespace {

TEST(StrategyResultCost, RateLimitedKvWritesAreCountedButNotBilled) {
  WorldConfig world;
  RunMetrics m(Time(), Time() + Duration::Hours(1), Duration::Minutes(1));
  m.kv_writes = 1000000;
  m.kv_writes_rate_limited = 500000;
  const nlohmann::json r =
      StrategyResult(StrategySpec{"kv", "kv", nlohmann::json::object()},
                     nlohmann::json::object(), m, world);
  // $5.00 per million accepted writes; the 429s only appear in the counters.
  EXPECT_DOUBLE_EQ(r["cost_usd"]["kv_writes"].get<double>(), 5.0);
  EXPECT_EQ(r["kv"]["writes_rate_limited"].get<uint64_t>(), 500000u);
}

// A run with something in every field, over 3 buckets of 20 minutes.
RunMetrics BusyMetrics(const WorldConfig& world) {
  RunMetrics m(Time(), Time() + Duration::Hours(1), world.interval);
  m.requests = 1000;
  m.errors[RunMetrics::ErrorIndex(503)] = 10;
  m.errors[RunMetrics::ErrorIndex(403)] = 2;
  m.served_from[static_cast<int>(Tier::kL1)] = 900;
  m.served_from[static_cast<int>(Tier::kSts)] = 88;
  m.cold_requests = 50;
  for (int i = 1; i <= 1000; ++i) m.auth_latency.Record(int64_t{i} * 1000000);
  m.sts_calls = 98;
  m.sts_peak.Add(Time() + Duration::Seconds(3), 7);
  m.worker_cpu_ms = 1234.5;
  m.cache_matches = 4;
  m.cache_hits = 1;
  m.request_series.Add(Time() + Duration::Minutes(30), 5);
  m.sts_series.Add(Time() + Duration::Minutes(50), 2);
  m.error_series.Add(Time(), 1);
  return m;
}

WorldConfig TwentyMinuteBuckets() {
  WorldConfig world;
  world.interval = Duration::Minutes(20);
  return world;
}

// The metric keys of a strategy entry: every leaf (a non-object value) except name, kind and
// params, as '.'-joined paths.
void Leaves(const nlohmann::json& j, const std::string& prefix, std::set<std::string>* out) {
  for (const auto& [k, v] : j.items()) {
    const std::string path = prefix.empty() ? k : prefix + "." + k;
    if (prefix.empty() && (k == "name" || k == "kind" || k == "params")) continue;
    if (v.is_object()) {
      Leaves(v, path, out);
    } else {
      out->insert(path);
    }
  }
}

std::set<std::string> SignalKeys() {
  std::set<std::string> keys;
  for (const RunSignal& s : RunSignals()) keys.insert(std::string(s.key));
  return keys;
}

TEST(StrategyResultSignals, TheEntryHoldsExactlyTheSignalsWhetherOrNotAnythingHappened) {
  const WorldConfig world = TwentyMinuteBuckets();
  const StrategySpec spec{"x", "none", nlohmann::json::object()};
  for (const RunMetrics& m : {BusyMetrics(world), RunMetrics(Time(), Time() + Duration::Hours(1),
                                                              world.interval)}) {
    nlohmann::json r = StrategyResult(spec, nlohmann::json::object(), m, world);
    // Windows and breakdowns are their own sections (cli/results_breakdown.h).
    for (const char* k : {"windows", "top_colos", "top_roles"}) {
      EXPECT_TRUE(r.contains(k)) << k;
      r.erase(k);
    }
    std::set<std::string> leaves;
    Leaves(r, "", &leaves);
    EXPECT_EQ(leaves, SignalKeys());
  }
}

TEST(StrategyResultSignals, ValuesComeFromTheirFields) {
  const WorldConfig world = TwentyMinuteBuckets();
  const RunMetrics m = BusyMetrics(world);
  const nlohmann::json r =
      StrategyResult(StrategySpec{"x", "none", nlohmann::json::object()},
                     nlohmann::json::object(), m, world);
  EXPECT_EQ(r["requests"].get<uint64_t>(), 1000u);
  EXPECT_EQ(r["errors"]["503"].get<uint64_t>(), 10u);
  EXPECT_EQ(r["errors"]["total"].get<uint64_t>(), 12u);
  EXPECT_DOUBLE_EQ(r["error_ratio"].get<double>(), 0.012);
  EXPECT_EQ(r["served_by"]["l1"].get<uint64_t>(), 900u);
  EXPECT_DOUBLE_EQ(r["hit_ratio"]["l1"].get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(r["hit_ratio"]["l2"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(r["hit_ratio"]["kv"].get<double>(), 0.0);  // no reads: 0
  EXPECT_DOUBLE_EQ(r["warm_request_ratio"].get<double>(), 0.95);
  EXPECT_EQ(r["sts_calls_peak_per_s"].get<uint64_t>(), 7u);
  EXPECT_NEAR(r["auth_latency_ms"]["p50"].get<double>(), 500, 2);
  EXPECT_DOUBLE_EQ(r["auth_latency_ms"]["max"].get<double>(), 1000);
  EXPECT_DOUBLE_EQ(r["auth_latency_ms"]["mean"].get<double>(), 500.5);
  EXPECT_FALSE(r["auth_latency_cdf_ms"].empty());
  EXPECT_DOUBLE_EQ(r["worker_cpu_ms"].get<double>(), 1234.5);
  EXPECT_EQ(r["timeseries"]["t_s"], nlohmann::json::parse("[0.0, 1200.0, 2400.0]"));
  EXPECT_EQ(r["timeseries"]["requests"], nlohmann::json::parse("[0, 5, 0]"));
  EXPECT_EQ(r["timeseries"]["sts_calls"], nlohmann::json::parse("[0, 0, 2]"));
  EXPECT_EQ(r["timeseries"]["errors"], nlohmann::json::parse("[1, 0, 0]"));
}

TEST(StrategyResultSignals, AnEmptyHistogramWritesIntegerZeros) {
  const WorldConfig world = TwentyMinuteBuckets();
  const nlohmann::json r = StrategyResult(
      StrategySpec{"x", "none", nlohmann::json::object()}, nlohmann::json::object(),
      RunMetrics(Time(), Time() + Duration::Hours(1), world.interval), world);
  EXPECT_EQ(r["auth_latency_ms"].dump(),
            R"({"max":0,"mean":0,"p50":0,"p90":0,"p99":0,"p999":0})");
  EXPECT_EQ(r["auth_latency_cdf_ms"].dump(), "[]");
}

TEST(TimeseriesCsvTest, ColumnsAreTheSeriesSignals) {
  const WorldConfig world = TwentyMinuteBuckets();
  nlohmann::json results;
  results["scenario"] = "s";
  results["strategies"] = {StrategyResult(StrategySpec{"a", "none", nlohmann::json::object()},
                                          nlohmann::json::object(), BusyMetrics(world), world)};
  EXPECT_EQ(TimeseriesCsv(results),
            "scenario,strategy,t_s,requests,sts_calls,errors,errors_403,errors_429,errors_500,"
            "errors_502,errors_503\n"
            "s,a,0.0,0,0,1,0,0,0,0,0\n"
            "s,a,1200.0,5,0,0,0,0,0,0,0\n"
            "s,a,2400.0,0,2,0,0,0,0,0,0\n");
}

// docs/results.md: the per-strategy table between the run_signals markers.
constexpr char kBegin[] = "<!-- BEGIN run_signals";
constexpr char kEnd[] = "<!-- END run_signals -->";
std::string DocsPath() { return std::string(CREDSIM_SOURCE_DIR) + "/docs/results.md"; }

std::string ReadDocs() {
  std::ifstream in(DocsPath());
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// Where the generated table sits in `doc`: [from, to), or npos if a marker is missing.
std::pair<size_t, size_t> TableSpan(const std::string& doc) {
  const size_t begin = doc.find(kBegin);
  const size_t body = begin == std::string::npos ? begin : doc.find("-->\n", begin);
  if (body == std::string::npos) return {std::string::npos, std::string::npos};
  const size_t from = body + 4;
  const size_t to = doc.find(kEnd, from);
  return {to == std::string::npos ? to : from, to};
}

TEST(ResultsDocs, TheSignalTableIsUpToDate) {
  const std::string doc = ReadDocs();
  const auto [from, to] = TableSpan(doc);
  ASSERT_NE(from, std::string::npos)
      << DocsPath() << " lacks the markers " << kBegin << " ... --> and " << kEnd;
  const std::string want = RunSignalsMarkdown();
  if (std::getenv("CREDSIM_UPDATE_DOCS") != nullptr) {
    std::ofstream(DocsPath()) << doc.substr(0, from) << want << doc.substr(to);
    GTEST_SKIP() << "rewrote " << DocsPath();
  }
  EXPECT_EQ(doc.substr(from, to - from), want)
      << DocsPath() << " is out of date with sim/world/run_signals.cc: run "
      << "CREDSIM_UPDATE_DOCS=1 cli_test --gtest_filter='ResultsDocs.*' and commit the result";
}

TEST(ResultsDocs, EveryKeyIsDocumentedAndEveryDocumentedKeyExists) {
  // The committed table's keys (first cell of each row) against what StrategyResult writes.
  const std::string doc = ReadDocs();
  const auto [from, to] = TableSpan(doc);
  ASSERT_NE(from, std::string::npos) << DocsPath();
  std::set<std::string> documented;
  std::istringstream table(doc.substr(from, to - from));
  for (std::string line; std::getline(table, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    documented.insert(line.substr(3, line.find('`', 3) - 3));
  }
  const WorldConfig world = TwentyMinuteBuckets();
  nlohmann::json r =
      StrategyResult(StrategySpec{"x", "none", nlohmann::json::object()},
                     nlohmann::json::object(), BusyMetrics(world), world);
  // Windows and breakdowns have their own sections of docs/results.md.
  for (const char* k : {"windows", "top_colos", "top_roles"}) r.erase(k);
  std::set<std::string> written;
  Leaves(r, "", &written);
  EXPECT_EQ(documented, written);
}

}  // namespace
}  // namespace credsim
