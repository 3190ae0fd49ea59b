#include "cli/sweep.h"

#include <map>
#include <string>

#include "cli/cli_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credsim {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using testing_util::CliTest;
using testing_util::Listing;
using testing_util::ReadFile;
using testing_util::TinyScenario;
using testing_util::WriteFile;
using testing_util::Words;
namespace fs = std::filesystem;

TEST(ApplyAxis, ObjectKeysAreCreated) {
  json doc = {{"traffic", {{"rate", 2}}}};
  ASSERT_TRUE(ApplyAxis(doc, "traffic.rate", 50).ok());
  ASSERT_TRUE(ApplyAxis(doc, "world.sts.stall_probability", 0.01).ok());
  EXPECT_EQ(doc["traffic"]["rate"], 50);
  EXPECT_EQ(doc["world"]["sts"]["stall_probability"], 0.01);
}

TEST(ApplyAxis, StrategySelectors) {
  json doc = {{"strategies", {"none", "l1", {{"name", "l1b"}, {"kind", "l1"}}, {{"kind", "kv"}}}}};
  ASSERT_TRUE(ApplyAxis(doc, "strategies[].params<l1>.variant", "v0").ok());
  EXPECT_EQ(doc["strategies"][0], "none");  // other kinds untouched
  EXPECT_EQ(doc["strategies"][1], (json{{"kind", "l1"}, {"params", {{"variant", "v0"}}}}));
  EXPECT_EQ(doc["strategies"][2]["params"]["variant"], "v0");
  ASSERT_TRUE(ApplyAxis(doc, "strategies[kv].params.l1_ttl", "5m").ok());
  EXPECT_EQ(doc["strategies"][3]["params"]["l1_ttl"], "5m");
  ASSERT_TRUE(ApplyAxis(doc, "strategies[2].name", "renamed").ok());
  EXPECT_EQ(doc["strategies"][2]["name"], "renamed");
}

TEST(ApplyAxis, ErrorsSayWhatIsAccepted) {
  json doc = {{"strategies", {"none"}}, {"traffic", {{"bursts", json::array()}}}};
  EXPECT_THAT(std::string(ApplyAxis(doc, "strategies[].params<kv>.x", 1).message()),
              HasSubstr("selects nothing"));
  EXPECT_THAT(std::string(ApplyAxis(doc, "traffic.bursts[0].rate", 1).message()),
              HasSubstr("has 0 elements"));
  EXPECT_THAT(std::string(ApplyAxis(doc, "traffic..rate", 1).message()), HasSubstr("expected keys"));
  EXPECT_THAT(std::string(ApplyAxis(doc, "seed", 1).message()), HasSubstr("cannot be an axis"));
  EXPECT_THAT(std::string(ApplyAxis(doc, "traffic.rate[", 1).message()), HasSubstr("'[' without ']'"));
  // Only strategy entries written as a kind become objects; another string is not an object.
  json names = {{"colos", {{"list", {"a", "b"}}}}};
  EXPECT_THAT(std::string(ApplyAxis(names, "colos.list[0].x", 1).message()), HasSubstr("is not an object"));
  EXPECT_EQ(names["colos"]["list"][0], "a");
}

TEST(ParseShard, AcceptsZeroBasedOnly) {
  auto s = ParseShard("3/4");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->first, 3u);
  EXPECT_EQ(s->second, 4u);
  EXPECT_THAT(std::string(ParseShard("4/4").status().message()), HasSubstr("K = 4 is not below N = 4"));
  EXPECT_TRUE(ParseShard("4294967294/4294967295").ok());
  EXPECT_THAT(std::string(ParseShard("1/4294967296").status().message()), HasSubstr("at most 4294967295"));
  for (const char* bad : {"1", "0/0", "-1/4", "a/4", "1/4/2", " 1/4", "1/ 4"}) {
    EXPECT_FALSE(ParseShard(bad).ok()) << bad;
  }
}

TEST(ShardFromEnvironment, Engines) {
  std::map<std::string, std::string> env;
  auto lookup = [&](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  EXPECT_FALSE(ShardFromEnvironment(lookup, std::nullopt).ok());
  env = {{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "5"}};
  EXPECT_EQ(*ShardFromEnvironment(lookup, std::nullopt), (std::pair<uint64_t, uint64_t>{2, 5}));
  env = {{"AWS_BATCH_JOB_ARRAY_INDEX", "7"}, {"AWS_BATCH_JOB_ARRAY_SIZE", "10"}};
  EXPECT_EQ(*ShardFromEnvironment(lookup, std::nullopt), (std::pair<uint64_t, uint64_t>{7, 10}));
  env = {{"JOB_COMPLETION_INDEX", "1"}};
  EXPECT_THAT(std::string(ShardFromEnvironment(lookup, std::nullopt).status().message()),
              HasSubstr("--shard-count"));
  EXPECT_EQ(*ShardFromEnvironment(lookup, 4), (std::pair<uint64_t, uint64_t>{1, 4}));
  env = {{"SLURM_ARRAY_TASK_ID", "5"}, {"SLURM_ARRAY_TASK_COUNT", "5"}};
  EXPECT_FALSE(ShardFromEnvironment(lookup, std::nullopt).ok());
}

class SweepCli : public CliTest {
 protected:
  void WriteSweep(const json& axes, int replications = 2) {
    json sc = TinyScenario("tiny");
    sc["duration"] = "3m";
    WriteFile(Work("tiny.json"), sc.dump(2));
    // Written as text: the axes' key order is the sweep's axis order.
    std::string text = R"({"name": "t", "scenario": "tiny.json", "replications": )" +
                       std::to_string(replications) + R"(, "seed": 7, "axes": )" + axes.dump() + "}";
    WriteFile(Work("sweep.json"), text);
  }
};

TEST_F(SweepCli, PlanListsRunsFirstAxisSlowest) {
  WriteFile(Work("tiny.json"), TinyScenario("tiny").dump());
  WriteFile(Work("sweep.json"),
            R"({"scenario": "tiny.json", "replications": 2, "seed": 7,
                "axes": {"traffic.rate": [1, 2], "strategies[].params<l1>.variant": ["v0", "v1", "v2"]}})");
  auto o = Run("sweep plan sweep.json");
  ASSERT_EQ(o.code, 0) << o.err;
  std::vector<std::string> lines;
  std::istringstream in(o.out);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 1u + 2 * 3 * 2);
  EXPECT_EQ(lines[0], "run\tpoint\treplication\tseed\tkey\ttraffic.rate\tstrategies[].params<l1>.variant");
  EXPECT_THAT(lines[1], ::testing::StartsWith("0\t0\t0\t7\t"));
  EXPECT_THAT(lines[1], ::testing::EndsWith("\t1\t\"v0\""));
  EXPECT_THAT(lines[2], ::testing::StartsWith("1\t0\t1\t8\t"));
  EXPECT_THAT(lines[3], ::testing::EndsWith("\t1\t\"v1\""));   // last axis fastest
  EXPECT_THAT(lines[7], ::testing::EndsWith("\t2\t\"v0\""));
}

TEST_F(SweepCli, BadSweepFilesAreExit2AndNameThePath) {
  WriteFile(Work("tiny.json"), TinyScenario("tiny").dump());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"scenario": "tiny.json"})", "axes: required"},
      {R"({"scenario": "tiny.json", "axes": {"traffic.rate": []}})", "axes.traffic.rate: expected a non-empty array"},
      {R"({"scenario": "tiny.json", "axes": {"traffic.rate": [1, 1]}})", "repeats"},
      {R"({"scenario": "tiny.json", "axes": {"traffic.rate": [-5]}})", "point 0 (traffic.rate=-5)"},
      {R"({"scenario": "nope.json", "axes": {"traffic.rate": [1]}})", "scenario:"},
      {R"({"scenario": "tiny.json", "axes": {"traffic.rate": [1]}, "replications": 0})", "replications"},
      {R"({"scenario": "tiny.json", "axes": {"traffic.rate": [1]}, "bogus": 1})", "bogus"},
      {R"({"scenario": "tiny.json", "axes": {"seed": [1, 2]}})", "cannot be an axis"},
  };
  for (const auto& [text, want] : cases) {
    WriteFile(Work("bad.json"), text);
    auto o = Run("sweep plan bad.json");
    EXPECT_EQ(o.code, 2) << text;
    EXPECT_THAT(o.err, HasSubstr("bad.json")) << text;
    EXPECT_THAT(o.err, HasSubstr(want)) << text;
  }
  WriteFile(Work("ok.json"), R"({"scenario": "tiny.json", "axes": {"traffic.rate": [1]}})");
  for (const char* shard : {"2/2", "x", "1/0"}) {
    auto o = Run(std::string("sweep run ok.json --out o --shard ") + shard);
    EXPECT_EQ(o.code, 2) << shard;
    EXPECT_THAT(o.err, HasSubstr("--shard")) << shard;
  }
  EXPECT_FALSE(fs::exists(Work("o")));
}

// The merge is byte-identical whatever the shard split and order; reruns do only what is
// missing; growing an axis reuses finished runs; merge refuses a partial sweep unless asked.
TEST_F(SweepCli, ShardedEqualsSerialAndResumes) {
  WriteSweep(json{{"traffic.rate", {1, 3}}}, 2);
  auto serial = Run("sweep run sweep.json --out a --quiet");
  ASSERT_EQ(serial.code, 0) << serial.err;
  ASSERT_EQ(Run("sweep merge sweep.json --out a").code, 0);
  for (const char* s : {"2/3", "0/3", "1/3"}) {
    auto o = Run(std::string("sweep run sweep.json --out b --quiet --shard ") + s);
    ASSERT_EQ(o.code, 0) << o.err;
  }
  ASSERT_EQ(Run("sweep merge sweep.json --out b").code, 0);
  for (const char* f : {"sweep.json", "sweep.csv", "sweep.md"}) {
    EXPECT_EQ(ReadFile(Work("a") / f), ReadFile(Work("b") / f)) << f;
  }
  // Nothing left to do: a rerun runs nothing.
  auto again = Run("sweep run sweep.json --out b");
  EXPECT_THAT(again.err, HasSubstr("4 already done, 0 to run"));

  // A missing run: merge exits 1 naming it, writes nothing; --partial merges.
  fs::remove(Work("b") / "sweep.json");
  auto plan = Run("sweep plan sweep.json");
  std::istringstream in(plan.out);
  std::string header, line;
  std::getline(in, header);
  std::getline(in, line);
  std::getline(in, line);  // run 1
  const std::string key = Words(line).at(4);
  fs::remove(Work("b") / "runs" / (key + ".json"));
  auto merge = Run("sweep merge sweep.json --out b");
  EXPECT_EQ(merge.code, 1);
  EXPECT_THAT(merge.err, HasSubstr("1 of 4 runs are missing: 1"));
  EXPECT_FALSE(fs::exists(Work("b") / "sweep.json"));
  ASSERT_EQ(Run("sweep merge sweep.json --out b --partial").code, 0);
  const json partial = json::parse(ReadFile(Work("b") / "sweep.json"));
  EXPECT_EQ(partial["complete"], false);
  EXPECT_EQ(partial["missing"], json::array({1}));

  // A malformed run file (hand-edited, foreign) is a missing run, not a crash.
  WriteFile(Work("b") / "runs" / (key + ".json"), R"({"key": 5, "strategies": [1]})");
  auto bad_merge = Run("sweep merge sweep.json --out b");
  EXPECT_EQ(bad_merge.code, 1) << bad_merge.err;
  EXPECT_THAT(bad_merge.err, HasSubstr("1 of 4 runs are missing: 1"));
  WriteFile(Work("b") / "runs" / (key + ".json"),
            R"({"key": ")" + key + R"(", "strategies": [{"name": "l1", "kind": "l1", "values": [1]}]})");
  EXPECT_EQ(Run("sweep merge sweep.json --out b").code, 1);
  // The path as typed does not reach the outputs: ./sweep.json merges to the same bytes.
  ASSERT_EQ(Run("sweep run ./sweep.json --out b --quiet").code, 0);
  ASSERT_EQ(Run("sweep merge ./sweep.json --out b").code, 0);
  ASSERT_EQ(Run("sweep merge sweep.json --out a").code, 0);
  EXPECT_EQ(ReadFile(Work("a") / "sweep.json"), ReadFile(Work("b") / "sweep.json"));

  // Growing the axis reuses the finished runs: only the new point's two runs run.
  WriteSweep(json{{"traffic.rate", {1, 3, 5}}}, 2);
  auto grown = Run("sweep run sweep.json --out a");
  ASSERT_EQ(grown.code, 0) << grown.err;
  EXPECT_THAT(grown.err, HasSubstr("4 already done, 2 to run"));
}

// One replication: no interval, so no verdict ("distinguishable": null), only means.
TEST_F(SweepCli, OneReplicationGivesNoVerdict) {
  WriteSweep(json{{"traffic.rate", {3}}}, 1);
  ASSERT_EQ(Run("sweep run sweep.json --out a --quiet").code, 0);
  ASSERT_EQ(Run("sweep merge sweep.json --out a").code, 0);
  const json j = json::parse(ReadFile(Work("a") / "sweep.json"));
  const json& c = j["points"][0]["cheapest_at_equal_error_ratio"];
  EXPECT_TRUE(c["distinguishable"].is_null() || c["runner_up"].is_null()) << c.dump();
  EXPECT_TRUE(j["points"][0]["strategies"][0]["stats"]["sts_calls"]["ci95"].is_null());
}

TEST_F(SweepCli, MergeHasIntervalsPerPointAndStrategy) {
  WriteSweep(json{{"traffic.rate", {1, 3}}}, 3);
  ASSERT_EQ(Run("sweep run sweep.json --out a --quiet --threads 2").code, 0);
  ASSERT_EQ(Run("sweep merge sweep.json --out a").code, 0);
  const json j = json::parse(ReadFile(Work("a") / "sweep.json"));
  ASSERT_EQ(j["points"].size(), 2u);
  EXPECT_EQ(j["points"][1]["values"]["traffic.rate"], 3);
  const json& none = j["points"][0]["strategies"][0];
  EXPECT_EQ(none["name"], "none");
  EXPECT_EQ(none["stats"]["sts_calls"]["n"], 3);
  EXPECT_TRUE(none["stats"]["sts_calls"]["ci95"].is_array());
  // A cache calls STS less than no cache, at every point.
  for (const json& p : j["points"]) {
    EXPECT_LT(p["strategies"][1]["stats"]["sts_calls"]["mean"].get<double>(),
              p["strategies"][0]["stats"]["sts_calls"]["mean"].get<double>());
  }
  const std::string csv = ReadFile(Work("a") / "sweep.csv");
  EXPECT_THAT(csv, ::testing::StartsWith("point,traffic.rate,strategy,metric,n,mean,sd,ci95_low,ci95_high\n"));
  EXPECT_THAT(csv, HasSubstr("\n1,3,l1,sts_calls,3,"));
  const std::string md = ReadFile(Work("a") / "sweep.md");
  EXPECT_THAT(md, HasSubstr("Cheapest at equal error ratio"));
  EXPECT_THAT(md, HasSubstr(" ± "));
}

}  // namespace
}  // namespace credsim

#include "cli/param_reference.h"

namespace credsim {
namespace {

TEST(SweepSchema, CommittedSchemaIsWhatCredsimSchemaGenerates) {
  absl::StatusOr<ParamLog> log = DeclaredSweepParams();
  ASSERT_TRUE(log.ok()) << log.status();
  const nlohmann::ordered_json generated = SweepSchema(*log);
  EXPECT_FALSE(generated.contains("x-declaration-errors")) << generated["x-declaration-errors"].dump(2);
  EXPECT_EQ(testing_util::ReadFile(std::filesystem::path(CREDSIM_SOURCE_DIR) / "scenarios" / "sweeps" / "schema.json"),
            generated.dump(2) + "\n")
      << "scenarios/sweeps/schema.json is out of date: run `credsim schema --sweep --out "
         "scenarios/sweeps/schema.json`";
}

// Every sweep of the library loads: its scenario exists and every point is valid.
TEST(SweepLibrary, EverySweepPlans) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(CREDSIM_SOURCE_DIR) / "scenarios" / "sweeps")) {
    if (e.path().extension() != ".json" || e.path().filename() == "schema.json") continue;
    absl::StatusOr<Sweep> s = LoadSweep(e.path().string());
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_TRUE(PlanSweep(*s).ok()) << e.path();
    ++n;
  }
  EXPECT_GE(n, 3u);
}

TEST(SweepSchema, DocsFieldTableIsWhatCredsimDocsGenerates) {
  absl::StatusOr<ParamLog> log = DeclaredSweepParams();
  ASSERT_TRUE(log.ok()) << log.status();
  const std::string docs =
      testing_util::ReadFile(std::filesystem::path(CREDSIM_SOURCE_DIR) / "docs" / "sweeps.md");
  absl::StatusOr<std::string> generated = WithSweepFieldReference(docs, *log);
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_EQ(docs, *generated)
      << "docs/sweeps.md is out of date: run `credsim docs --sweep --update docs/sweeps.md`";
}

}  // namespace
}  // namespace credsim
