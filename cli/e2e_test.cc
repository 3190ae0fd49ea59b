// End-to-end tests of the scenario loader and runner: small in-test scenarios shaped like the
// library ones (scenarios/*.json) but shorter and smaller, run through ParseScenario and
// RunScenario, with assertions on results.json; determinism of the whole pipeline; and a
// table of bad scenario documents, each rejected with an error that starts with its own JSON
// path (and, through LoadScenario, with the file name).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/runner.h"
#include "cli/scenario.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace credsim {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kScenarioDir = std::string(CREDSIM_SOURCE_DIR) + "/scenarios";

Scenario MustParse(const json& j) {
  absl::StatusOr<Scenario> sc = ParseScenario(j, "test", kScenarioDir);
  EXPECT_TRUE(sc.ok()) << sc.status();
  return sc.ok() ? *std::move(sc) : Scenario{};
}

json MustRun(const Scenario& sc, int threads = 2) {
  RunOptions options;
  options.threads = threads;
  absl::StatusOr<json> r = RunScenario(sc, options);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : json();
}

// The entry of `results` for strategy `name` (fails the test if absent).
const json& Entry(const json& results, const std::string& name) {
  static const json kNull;
  for (const json& s : results.at("strategies")) {
    if (s.at("name") == name) return s;
  }
  ADD_FAILURE() << "no strategy " << name << " in results";
  return kNull;
}

uint64_t StsCalls(const json& results, const std::string& name) {
  return Entry(results, name).at("sts_calls").get<uint64_t>();
}

// long-tail-cold, scaled down: 60 colos (instead of 330), 300 roles (instead of 2,000),
// 30 min (instead of 2 h); same short idle eviction and Zipf 0.8 popularity.
json LongTailColdSmall() {
  return json::parse(R"({
    "name": "long-tail-cold-small",
    "seed": 1,
    "duration": "30m",
    "warmup": "5m",
    "world": {
      "colos": {"count": 60},
      "isolates": {"idle_eviction": {"exponential": {"mean": "3m"}}}
    },
    "traffic": {"roles": 300, "popularity": {"zipf": 0.8}, "rate": 8},
    "strategies": ["none", "l1", "l1_l2"]
  })");
}

// flash-crowd, scaled down: 30 colos with 2 servers each; background traffic for roles 0-2
// via explicit role_rates, and role 3 (rate 0) gets requests only from the burst, hot
// everywhere. No warm-up, so every STS call of the 30 min run is counted; STS stalls are off
// so that no fetch fails and has to be repeated (the property is about the mechanism).
json FlashCrowdSmall() {
  return json::parse(R"({
    "name": "flash-crowd-small",
    "seed": 1,
    "duration": "30m",
    "warmup": "0s",
    "initial_state": "cold",
    "world": {
      "colos": {"count": 30, "servers_per_colo": 2},
      "sts": {"stall_probability": 0}
    },
    "traffic": {
      "role_rates": [0.5, 0.2, 0.1, 0],
      "bursts": [{"start": "12m", "duration": "3m", "rate": 150, "role": 3, "colos": "uniform"}]
    },
    "strategies": [
      "none",
      {"name": "l1_v0", "kind": "l1", "params": {"variant": "v0"}},
      {"name": "l1", "kind": "l1", "params": {"variant": "v2"}},
      "l1_l2",
      "do_singleflight"
    ]
  })");
}

// ---------------------------------------------------------------------------------------------
// End-to-end runs.

TEST(EndToEnd, LongTailColdOrdersStsCallsNoneThenL1ThenL1L2) {
  const json results = MustRun(MustParse(LongTailColdSmall()));
  ASSERT_TRUE(results.is_object());
  EXPECT_EQ(results.at("scenario"), "long-tail-cold-small");
  ASSERT_EQ(results.at("strategies").size(), 3u);

  // Paired comparison: every strategy sees exactly the same requests.
  const uint64_t requests = Entry(results, "none").at("requests").get<uint64_t>();
  EXPECT_GT(requests, 10000u);  // 8/s for 30 min ≈ 14,400
  EXPECT_LT(requests, 20000u);
  EXPECT_EQ(Entry(results, "l1").at("requests"), requests);
  EXPECT_EQ(Entry(results, "l1_l2").at("requests"), requests);

  const uint64_t none = StsCalls(results, "none");
  const uint64_t l1 = StsCalls(results, "l1");
  const uint64_t l1_l2 = StsCalls(results, "l1_l2");
  // `none` calls STS for every request; L1 only per (isolate, role) miss; L2 shares per colo.
  EXPECT_GE(none, l1);
  EXPECT_GE(l1, l1_l2);
  // In a cold long tail the gaps are large, not marginal.
  EXPECT_GT(none, l1 + l1 / 10) << "none " << none << " l1 " << l1;
  EXPECT_GT(l1, l1_l2) << "l1 " << l1 << " l1_l2 " << l1_l2;
  // Every request of `none` reaches STS (one attempt, no retries; far below the quota).
  const uint64_t none_failed = Entry(results, "none").at("errors").at("total").get<uint64_t>();
  EXPECT_EQ(Entry(results, "none").at("served_by").at("sts"), requests - none_failed);
}

TEST(EndToEnd, FlashCrowdSingleflightMakesOneCallPerRoleAndLifetime) {
  const json results = MustRun(MustParse(FlashCrowdSmall()));
  ASSERT_TRUE(results.is_object());
  // Roles 0-2 get background traffic for 30 min (hundreds of requests each) and role 3 gets
  // the burst: 4 roles received requests. Credentials last 1 h (default) and the run lasts
  // 30 min with no warm-up, so one credential lifetime covers the run: one call per role.
  const uint64_t roles_with_requests = 4;
  EXPECT_EQ(StsCalls(results, "do_singleflight"), roles_with_requests);
  EXPECT_EQ(Entry(results, "do_singleflight").at("errors").at("total"), 0);
  EXPECT_EQ(Entry(results, "do_singleflight").at("sts_throttled"), 0);

  // The herd: per-isolate caches call STS at least once per isolate that saw the burst
  // role, far more than the single-flight object.
  const uint64_t requests = Entry(results, "none").at("requests").get<uint64_t>();
  EXPECT_GT(requests, 150u * 180u * 9 / 10);  // the burst alone: 150/s for 3 min
  EXPECT_GT(StsCalls(results, "l1"), 30u);    // > one per colo at least
  EXPECT_GE(StsCalls(results, "l1_v0"), StsCalls(results, "l1"));
  EXPECT_GE(StsCalls(results, "l1"), StsCalls(results, "l1_l2"));
  EXPECT_GT(StsCalls(results, "l1_l2"), StsCalls(results, "do_singleflight"));
  EXPECT_GE(StsCalls(results, "none"), StsCalls(results, "l1_v0"));
}

TEST(EndToEnd, SingleflightRenewsOncePerEffectiveCredentialLifetime) {
  // One steady role, 15 min credentials (the AWS minimum), 30 min run, no warm-up. The object
  // renews when its credential has less than do_refresh_lead (5 min) left and L1 renews 60 s
  // before expiry, so consecutive calls are 10-14 min apart: calls at ~0, ~10-14 and
  // ~20-28 min, i.e. exactly ceil(30 / period) = 3 for any period in [10, 15).
  json j = json::parse(R"({
    "name": "singleflight-lifetimes",
    "duration": "30m",
    "warmup": "0s",
    "initial_state": "cold",
    "world": {
      "colos": {"count": 20},
      "sts": {"stall_probability": 0, "credential_duration": "15m"}
    },
    "traffic": {"role_rates": [2]},
    "strategies": ["do_singleflight", "l1"]
  })");
  const json results = MustRun(MustParse(j));
  ASSERT_TRUE(results.is_object());
  EXPECT_EQ(StsCalls(results, "do_singleflight"), 3u);
  EXPECT_EQ(Entry(results, "do_singleflight").at("errors").at("total"), 0);
  EXPECT_EQ(Entry(results, "do_singleflight").at("expired_credential_uses"), 0);
  EXPECT_GT(StsCalls(results, "l1"), 3u);
}

TEST(EndToEnd, ResultsDocumentHasTheScenarioHeaderAndStrategyOrder) {
  json j = FlashCrowdSmall();
  j["duration"] = "2m";
  j["traffic"]["bursts"] = json::array();
  j["description"] = "d";
  j["claim"] = "c";
  j["seed"] = 42;
  j["timeseries_interval"] = "30s";
  const json results = MustRun(MustParse(j));
  ASSERT_TRUE(results.is_object());
  EXPECT_EQ(results.at("description"), "d");
  EXPECT_EQ(results.at("claim"), "c");
  EXPECT_EQ(results.at("seed"), 42);
  // Exact equality of these is checked in ResultsHeaderDurationsAreWholeSeconds.
  EXPECT_DOUBLE_EQ(results.at("duration_s").get<double>(), 120);
  EXPECT_EQ(results.at("warmup_s"), 0);
  EXPECT_DOUBLE_EQ(results.at("timeseries_interval_s").get<double>(), 30);
  std::vector<std::string> names;
  for (const json& s : results.at("strategies")) names.push_back(s.at("name"));
  EXPECT_EQ(names, (std::vector<std::string>{"none", "l1_v0", "l1", "l1_l2", "do_singleflight"}));
  EXPECT_EQ(Entry(results, "l1_v0").at("params").at("variant"), "v0");
  EXPECT_EQ(Entry(results, "l1_v0").at("kind"), "l1");
  // 2 min at 30 s intervals: 4 buckets, and they add up to the totals.
  const json& ts = Entry(results, "none").at("timeseries");
  ASSERT_EQ(ts.at("t_s").size(), 4u);
  EXPECT_EQ(ts.at("t_s")[0], 0);
  EXPECT_EQ(ts.at("t_s")[3], 90);
  uint64_t req = 0, sts = 0;
  for (size_t i = 0; i < 4; ++i) {
    req += ts.at("requests")[i].get<uint64_t>();
    sts += ts.at("sts_calls")[i].get<uint64_t>();
  }
  EXPECT_EQ(req, Entry(results, "none").at("requests"));
  EXPECT_EQ(sts, Entry(results, "none").at("sts_calls"));
}

TEST(EndToEnd, ResultsHeaderDurationsAreWholeSeconds) {
  json j = FlashCrowdSmall();
  j["duration"] = "2m";
  j["warmup"] = "1m";
  j["timeseries_interval"] = "30s";
  j["traffic"]["bursts"] = json::array();
  j["strategies"] = json::array({"l1"});
  const json results = MustRun(MustParse(j));
  ASSERT_TRUE(results.is_object());
  EXPECT_EQ(results.at("duration_s").dump(), "120.0");
  EXPECT_EQ(results.at("warmup_s").dump(), "60.0");
  EXPECT_EQ(results.at("timeseries_interval_s").dump(), "30.0");
}

// ---------------------------------------------------------------------------------------------
// Determinism.

TEST(Determinism, TwoRunsGiveByteIdenticalResults) {
  const json j = LongTailColdSmall();
  const std::string a = MustRun(MustParse(j)).dump(2);
  const std::string b = MustRun(MustParse(j)).dump(2);
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
}

TEST(Determinism, ThreadCountDoesNotChangeResults) {
  const Scenario sc = MustParse(FlashCrowdSmall());
  const std::string one = MustRun(sc, 1).dump();
  const std::string two = MustRun(sc, 2).dump();
  const std::string many = MustRun(sc, 5).dump();
  EXPECT_EQ(one, two);
  EXPECT_EQ(one, many);
}

TEST(Determinism, TheSeedChangesTheResults) {
  // Guards the two tests above against comparing constants.
  json j = LongTailColdSmall();
  j["strategies"] = json::array({"l1"});
  const json a = MustRun(MustParse(j));
  j["seed"] = 2;
  const json b = MustRun(MustParse(j));
  ASSERT_TRUE(a.is_object() && b.is_object());
  EXPECT_NE(a.at("strategies")[0].at("requests"), b.at("strategies")[0].at("requests"));
}

// ---------------------------------------------------------------------------------------------
// Bad scenario files.

struct BadCase {
  const char* label;
  // Applied to a valid base scenario (`merge_patch` semantics, so nested objects merge).
  const char* patch;
  const char* error_prefix;  // the message must start with this (the JSON path first)
};

// A valid base: small so that it validates quickly.
json BaseScenario() {
  return json::parse(R"({
    "name": "base",
    "duration": "10m",
    "warmup": "1m",
    "world": {"colos": {"count": 10}},
    "traffic": {"roles": 20, "rate": 5},
    "strategies": ["none", "l1"]
  })");
}

const BadCase kBadCases[] = {
    {"unknown top-level key", R"({"durration": "1h"})", "durration: unknown key; accepted: "},
    {"unknown nested key", R"({"world": {"sts": {"latncy": "150ms"}}})",
     "world.sts.latncy: unknown key; accepted: "},
    {"unknown world section", R"({"world": {"colo": {"count": 3}}})",
     "world.colo: unknown key; accepted: "},
    {"bad duration string", R"({"duration": "5 minutes"})", "duration: "},
    {"duration not a string", R"({"warmup": 300})",
     "warmup: expected a duration string such as"},
    {"zero duration", R"({"duration": "0s"})", "duration: must be > 0"},
    {"negative number", R"({"traffic": {"rate": -5}})", "traffic.rate: -5 is out of range"},
    {"negative role rate", R"({"traffic": {"role_rates": [1, -2]}})",
     "traffic.role_rates[1]: expected a number from 0 to"},
    {"credential_duration below AWS minimum",
     R"({"world": {"sts": {"credential_duration": "10m"}}})",
     "world.sts.credential_duration: 10m is out of range; AWS accepts"},
    {"credential_duration above AWS maximum",
     R"({"world": {"sts": {"credential_duration": "13h"}}})",
     "world.sts.credential_duration: 13h is out of range; AWS accepts"},
    {"unknown strategy kind", R"({"strategies": ["none", "l3"]})",
     "strategies[1].kind: \"l3\" is not a strategy; expected one of none, l1, l1_l2, kv, "},
    {"strategy object without kind", R"({"strategies": [{"name": "x"}]})",
     "strategies[0].kind: required; expected one of "},
    {"unknown strategy key", R"({"strategies": [{"kind": "l1", "parms": {}}]})",
     "strategies[0].parms: unknown key; accepted: "},
    {"unknown strategy param", R"({"strategies": [{"kind": "l1", "params": {"refresh_leed": "1m"}}]})",
     "strategies[0].params.refresh_leed: unknown key; accepted: "},
    {"unknown nested strategy param",
     R"({"strategies": ["none", {"kind": "kv", "params": {"revocation": {"poll_intervl": "5s"}}}]})",
     "strategies[1].params.revocation.poll_intervl: unknown key; accepted: "},
    {"bad strategy param value",
     R"({"strategies": [{"kind": "do_singleflight", "params": {"do_refresh_lead": "soon"}}]})",
     "strategies[0].params.do_refresh_lead: "},
    {"bad distribution name",
     R"({"world": {"isolates": {"idle_eviction": {"gaussian": {"mean": "3m"}}}}})",
     "world.isolates.idle_eviction: unknown distribution \"gaussian\""},
    {"bad distribution parameter in world.sts",
     R"({"world": {"sts": {"latency": {"lognormal": {"median": "0ms", "p99": "1s"}}}}})",
     "world.sts.latency.lognormal.median: "},
    {"bad distribution parameter in world.durable_objects",
     R"({"world": {"durable_objects": {"service_time": {"uniform": {"min": "5ms", "max": "1ms"}}}}})",
     "world.durable_objects.service_time.uniform.max: must be >= min"},
    {"failover to a non-existent colo",
     R"({"traffic": {"failovers": [{"at": "1m", "from": 0, "to": 10}]}})",
     "traffic.failovers[0].to: colo 10 does not exist; expected 0..9"},
    {"failover from a non-existent colo",
     R"({"traffic": {"failovers": [{"at": "1m", "from": 3, "to": 1}, {"at": "2m", "from": 12, "to": 1}]}})",
     "traffic.failovers[1].from: colo 12 does not exist; expected 0..9"},
    {"burst for a non-existent role", R"({"traffic": {"bursts": [{"start": "1m", "role": 20}]}})",
     "traffic.bursts[0].role: role 20 does not exist; expected -1 or 0..19"},
    {"unknown burst key", R"({"traffic": {"bursts": [{"start": "1m", "rte": 5}]}})",
     "traffic.bursts[0].rte: unknown key; accepted: "},
    {"duplicate strategy names", R"({"strategies": ["l1", {"kind": "l1"}]})",
     "strategies[1]: strategy name \"l1\" is used twice"},
    {"duplicate explicit names",
     R"({"strategies": [{"name": "a", "kind": "l1"}, {"name": "a", "kind": "kv"}]})",
     "strategies[1]: strategy name \"a\" is used twice"},
    {"bad enum value in a strategy",
     R"({"strategies": [{"kind": "l1", "params": {"variant": "v3"}}]})",
     "strategies[0].params.variant: \"v3\" is not accepted; expected one of v0, v1, v2"},
    {"bad enum value in the world", R"({"world": {"colos": {"sts_region": "mars"}}})",
     "world.colos.sts_region: \"mars\" is not accepted; expected one of "},
    {"bad curve type", R"({"traffic": {"curve": {"type": "sine"}}})",
     "traffic.curve.type: \"sine\" is not accepted; expected one of constant, piecewise, diurnal"},
    {"wrong type (string for integer)", R"({"traffic": {"roles": "many"}})",
     "traffic.roles: expected an integer"},
    {"wrong type (string for bool)", R"({"world": {"workers": {"custom_domain": "yes"}}})",
     "world.workers.custom_domain: expected true or false"},
    {"wrong type (section not an object)", R"({"traffic": 5})",
     "traffic: expected an object, got number"},
    {"empty strategies list", R"({"strategies": []})",
     "strategies: expected \"all\" or a non-empty array"},
    {"probability out of range", R"({"world": {"sts": {"stall_probability": 1.5}}})",
     "world.sts.stall_probability: 1.5 is out of range"},
    {"missing trace file", R"({"traffic": {"trace": {"path": "no/such/trace.csv"}}})",
     "traffic.trace.path: cannot open trace file"},
};

json Patched(const char* patch) {
  json j = BaseScenario();
  const json p = json::parse(patch);
  // merge_patch replaces arrays wholesale, which is what the strategy cases want.
  j.merge_patch(p);
  return j;
}

TEST(BadScenario, BaseScenarioIsValid) {
  absl::StatusOr<Scenario> sc = ParseScenario(BaseScenario(), "base", kScenarioDir);
  ASSERT_TRUE(sc.ok()) << sc.status();
  EXPECT_EQ(sc->strategies.size(), 2u);
}

TEST(BadScenario, EachErrorStartsWithItsPath) {
  std::map<std::string, std::string> label_of;  // message -> case
  for (const BadCase& c : kBadCases) {
    SCOPED_TRACE(c.label);
    absl::StatusOr<Scenario> sc = ParseScenario(Patched(c.patch), "bad", kScenarioDir);
    ASSERT_FALSE(sc.ok());
    EXPECT_EQ(sc.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string msg(sc.status().message());
    EXPECT_THAT(msg, StartsWith(c.error_prefix));
    // Every case produces its own error.
    auto [it, inserted] = label_of.emplace(msg, c.label);
    EXPECT_TRUE(inserted) << "same error as \"" << it->second << "\": " << msg;
  }
}

TEST(BadScenario, WorldDistributionErrorsNameTheParameterPathOnce) {
  for (const char* patch :
       {R"({"world": {"isolates": {"idle_eviction": {"exponential": {"mean": "-3m"}}}}})",
        R"({"world": {"isolates": {"cold_start": {"uniform": {"min": "5ms", "max": "1ms"}}}}})"}) {
    SCOPED_TRACE(patch);
    absl::StatusOr<Scenario> sc = ParseScenario(Patched(patch), "bad", kScenarioDir);
    ASSERT_FALSE(sc.ok());
    const std::string msg(sc.status().message());
    EXPECT_THAT(msg, testing::AnyOf(StartsWith("world.isolates.idle_eviction.exponential.mean: "),
                                    StartsWith("world.isolates.cold_start.uniform.max: ")));
    EXPECT_EQ(msg.find("world.isolates", 1), std::string::npos) << msg;
  }
}

TEST(BadScenario, UnknownKeyErrorsListTheAcceptedKeys) {
  absl::StatusOr<Scenario> sc = ParseScenario(Patched(R"({"world": {"sts": {"latncy": "1s"}}})"),
                                              "bad", kScenarioDir);
  ASSERT_FALSE(sc.ok());
  EXPECT_THAT(std::string(sc.status().message()), HasSubstr("latency"));
  EXPECT_THAT(std::string(sc.status().message()), HasSubstr("credential_duration"));
}

TEST(BadScenario, TopLevelMustBeAnObject) {
  absl::StatusOr<Scenario> sc = ParseScenario(json::array(), "bad", kScenarioDir);
  ASSERT_FALSE(sc.ok());
  EXPECT_EQ(std::string(sc.status().message()), "(top level): expected a JSON object");
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "credsim_e2e_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content) const {
    const std::filesystem::path p = path_ / name;
    std::ofstream(p) << content;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

TEST(BadScenario, LoadScenarioPrefixesTheFileName) {
  TempDir dir;
  for (size_t i = 0; i < std::size(kBadCases); ++i) {
    const BadCase& c = kBadCases[i];
    SCOPED_TRACE(c.label);
    const std::string file = dir.Write("bad" + std::to_string(i) + ".json", Patched(c.patch).dump(2));
    absl::StatusOr<Scenario> sc = LoadScenario(file);
    ASSERT_FALSE(sc.ok());
    EXPECT_THAT(std::string(sc.status().message()), StartsWith(file + ": " + c.error_prefix));
  }
}

TEST(BadScenario, LoadScenarioReportsUnreadableAndInvalidFiles) {
  TempDir dir;
  const std::string missing = (dir.path() / "missing.json").string();
  absl::StatusOr<Scenario> sc = LoadScenario(missing);
  ASSERT_FALSE(sc.ok());
  EXPECT_EQ(std::string(sc.status().message()), missing + ": cannot open file: No such file or directory");

  const std::string broken = dir.Write("broken.json", "{\"name\": \"x\",");
  sc = LoadScenario(broken);
  ASSERT_FALSE(sc.ok());
  EXPECT_THAT(std::string(sc.status().message()), StartsWith(broken + ": not valid JSON"));
}

TEST(LoadScenario, NameDefaultsToTheFileStemAndPathIsKept) {
  TempDir dir;
  json j = BaseScenario();
  j.erase("name");
  const std::string file = dir.Write("my-scenario.json", j.dump());
  absl::StatusOr<Scenario> sc = LoadScenario(file);
  ASSERT_TRUE(sc.ok()) << sc.status();
  EXPECT_EQ(sc->name, "my-scenario");
  EXPECT_EQ(sc->path, file);
}

TEST(LoadScenario, EveryLibraryScenarioIsValid) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(kScenarioDir)) {
    // schema.json (JSON schema) and baselines.json (credsim check baseline) are not scenarios.
    if (e.path().extension() != ".json" || e.path().filename() == "schema.json" ||
        e.path().filename() == "baselines.json") {
      continue;
    }
    SCOPED_TRACE(e.path().string());
    absl::StatusOr<Scenario> sc = LoadScenario(e.path().string());
    ASSERT_TRUE(sc.ok()) << sc.status();
    EXPECT_EQ(sc->name, e.path().stem().string());
    EXPECT_FALSE(sc->strategies.empty());
    ++n;
  }
  EXPECT_GE(n, 9u);
}

// ---------------------------------------------------------------------------------------------
// Strategy selection (credsim run --strategies).

TEST(SelectStrategies, KeepsNamesAndKindsInFilterOrder) {
  Scenario sc = MustParse(FlashCrowdSmall());
  ASSERT_TRUE(SelectStrategies("do_singleflight,l1", &sc).ok());
  std::vector<std::string> names;
  for (const auto& s : sc.strategies) names.push_back(s.name);
  // "l1" matches by name (l1) and by kind (l1_v0 and l1, both of kind l1).
  EXPECT_EQ(names, (std::vector<std::string>{"do_singleflight", "l1_v0", "l1"}));
}

TEST(SelectStrategies, AddsUnlistedKindsWithDefaults) {
  Scenario sc = MustParse(FlashCrowdSmall());
  ASSERT_TRUE(SelectStrategies("kv", &sc).ok());
  ASSERT_EQ(sc.strategies.size(), 1u);
  EXPECT_EQ(sc.strategies[0].name, "kv");
  EXPECT_EQ(sc.strategies[0].kind, "kv");

  sc = MustParse(FlashCrowdSmall());
  ASSERT_TRUE(SelectStrategies("all", &sc).ok());
  std::vector<std::string> names;
  for (const auto& s : sc.strategies) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"none", "l1_v0", "l1", "l1_l2", "do_singleflight",
                                             "kv", "do_alarm_kv"}));
}

TEST(SelectStrategies, RejectsUnknownNames) {
  Scenario sc = MustParse(FlashCrowdSmall());
  absl::Status s = SelectStrategies("l1,l9", &sc);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), StartsWith("--strategies: \"l9\" is neither"));
}

}  // namespace
}  // namespace credsim
