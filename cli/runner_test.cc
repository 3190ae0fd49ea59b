// RunScenario turns a failed simulation (an exception escaping a coroutine root) into an
// error naming the strategy, instead of terminating the process. RunScenarios runs every
// (scenario, replication, strategy) on one pool: byte-identical output for any thread count,
// results handed on in scenario order, the first error in that order wins; the progress
// lines never mix with other output.
#include "cli/runner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "strategies/registry.h"

namespace credsim {
namespace {

Scenario SmallScenario() {
  const nlohmann::json j = nlohmann::json::parse(R"({
    "name": "runner-test", "seed": 1, "duration": "10m", "warmup": "0s", "initial_state": "cold",
    "world": {"colos": {"count": 3}},
    "traffic": {"roles": 2, "rate": 5},
    "strategies": [{"name": "l1_v1", "kind": "l1", "params": {"variant": "v1"}},
                   {"name": "none", "kind": "none"}]
  })");
  absl::StatusOr<Scenario> sc = ParseScenario(j, "runner-test", CREDSIM_SOURCE_DIR);
  EXPECT_TRUE(sc.ok()) << sc.status();
  return *sc;
}

// Wraps a registered strategy; its providers throw on the first request after a suspension.
class ExplodingStrategy final : public Strategy {
 public:
  explicit ExplodingStrategy(std::unique_ptr<Strategy> inner) : inner_(std::move(inner)) {}
  std::string_view kind() const override { return inner_->kind(); }
  nlohmann::json params() const override { return inner_->params(); }
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override {
    return std::make_unique<Provider>(ports.clock);
  }

 private:
  class Provider final : public CredentialProvider {
   public:
    explicit Provider(Clock& clock) : clock_(clock) {}
    Task<AuthResult> GetCredentials(AuthRequest request) override {
      co_await Sleep(clock_, Duration::Millis(10));
      throw std::runtime_error("credential cache corrupted");
    }

   private:
    Clock& clock_;
  };
  std::unique_ptr<Strategy> inner_;
};

RunOptions ExplodingOptions(const std::string& which) {
  RunOptions o;
  o.threads = 2;
  o.create_strategy = [which](const StrategySpec& spec, JsonReader& params)
      -> absl::StatusOr<std::unique_ptr<Strategy>> {
    auto s = FindStrategy(spec.kind)->create(params);
    if (!s.ok() || spec.name != which) return s;
    return std::unique_ptr<Strategy>(std::make_unique<ExplodingStrategy>(std::move(*s)));
  };
  return o;
}

TEST(RunnerTest, AFailedRunIsAnErrorNamingTheStrategy) {
  absl::StatusOr<nlohmann::json> r = RunScenario(SmallScenario(), ExplodingOptions("l1_v1"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(r.status().message(), "strategy l1_v1: credential cache corrupted");
}

TEST(RunnerTest, InjectedFactoryThatChangesNothingRunsNormally) {
  absl::StatusOr<nlohmann::json> r = RunScenario(SmallScenario(), ExplodingOptions("nobody"));
  ASSERT_TRUE(r.ok()) << r.status();
  absl::StatusOr<nlohmann::json> plain = RunScenario(SmallScenario(), RunOptions{});
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(r->dump(), plain->dump());
}

// Three scenarios of three strategies and three replications each: 27 runs.
std::vector<Scenario> ThreeScenarios(const std::vector<std::string>& boom = {}) {
  std::vector<Scenario> out;
  for (int k = 0; k < 3; ++k) {
    nlohmann::json j = nlohmann::json::parse(R"({
      "duration": "10m", "warmup": "1m", "initial_state": "cold", "replications": 3,
      "world": {"colos": {"count": 3}},
      "strategies": [{"name": "l1_v1", "kind": "l1", "params": {"variant": "v1"}},
                     {"name": "none", "kind": "none"}, {"name": "kv", "kind": "kv"}]
    })");
    j["name"] = "runner-test-" + std::to_string(k);
    j["seed"] = 11 * k + 1;
    j["traffic"] = {{"roles", 2 + k}, {"rate", 3 + 2 * k}};
    for (auto& st : j["strategies"]) {
      const std::string name = st["name"].get<std::string>() + "_" + std::to_string(k);
      if (std::find(boom.begin(), boom.end(), name) != boom.end()) st["name"] = name + "_boom";
    }
    absl::StatusOr<Scenario> sc = ParseScenario(j, j["name"], CREDSIM_SOURCE_DIR);
    EXPECT_TRUE(sc.ok()) << sc.status();
    out.push_back(*sc);
  }
  return out;
}

// Strategies named "*_boom" explode in their first request.
RunOptions BoomOptions(int threads) {
  RunOptions o;
  o.threads = threads;
  o.create_strategy = [](const StrategySpec& spec, JsonReader& params)
      -> absl::StatusOr<std::unique_ptr<Strategy>> {
    auto s = FindStrategy(spec.kind)->create(params);
    if (!s.ok() || spec.name.find("_boom") == std::string::npos) return s;
    return std::unique_ptr<Strategy>(std::make_unique<ExplodingStrategy>(std::move(*s)));
  };
  return o;
}

struct Collected {
  absl::Status status;
  std::vector<size_t> order;        // sink calls
  std::vector<std::string> dumps;   // their results
};

Collected RunAll(const std::vector<Scenario>& scenarios, const RunOptions& options) {
  Collected c;
  c.status = RunScenarios(scenarios, options, [&](size_t i, nlohmann::json results) {
    c.order.push_back(i);
    c.dumps.push_back(results.dump(2));
    return absl::OkStatus();
  });
  return c;
}

TEST(RunScenarios, ByteIdenticalForAnyThreadCountAndInScenarioOrder) {
  const std::vector<Scenario> scenarios = ThreeScenarios();
  const Collected one = RunAll(scenarios, BoomOptions(1));
  ASSERT_TRUE(one.status.ok()) << one.status;
  EXPECT_EQ(one.order, (std::vector<size_t>{0, 1, 2}));
  for (int threads : {2, 5, 64}) {
    const Collected many = RunAll(scenarios, BoomOptions(threads));
    ASSERT_TRUE(many.status.ok()) << many.status;
    EXPECT_EQ(many.order, one.order);
    ASSERT_EQ(many.dumps.size(), 3u);
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(many.dumps[i], one.dumps[i]) << "threads " << threads;
  }
  // Sharing a pool with other scenarios changes nothing: each is what RunScenario gives alone.
  for (size_t i = 0; i < scenarios.size(); ++i) {
    absl::StatusOr<nlohmann::json> alone = RunScenario(scenarios[i], BoomOptions(1));
    ASSERT_TRUE(alone.ok()) << alone.status();
    EXPECT_EQ(alone->dump(2), one.dumps[i]);
    EXPECT_EQ(alone->at("replications").get<int>(), 3);
  }
}

TEST(RunScenarios, TheFirstErrorInScenarioOrderWins) {
  // Scenario 1's kv and scenario 2's l1_v1 both fail; scenario 0 is handed on, then scenario
  // 1's failure is the error, whichever failed first on the clock.
  const std::vector<Scenario> scenarios = ThreeScenarios({"kv_1", "l1_v1_2"});
  for (int threads : {1, 2, 5}) {
    const Collected c = RunAll(scenarios, BoomOptions(threads));
    EXPECT_EQ(c.status, absl::InternalError("strategy kv_1_boom: credential cache corrupted"))
        << "threads " << threads;
    EXPECT_EQ(c.order, std::vector<size_t>{0}) << "threads " << threads;
  }
}

TEST(RunScenarios, AStrategyThatCannotBeBuiltFailsWithItsOwnError) {
  // Scenario 1's "none" cannot be built, scenario 2's kv explodes while it runs.
  const std::vector<Scenario> scenarios = ThreeScenarios({"none_1", "kv_2"});
  for (int threads : {1, 3}) {
    RunOptions o = BoomOptions(threads);
    StrategyCreator boom = o.create_strategy;
    o.create_strategy = [boom](const StrategySpec& spec, JsonReader& params)
        -> absl::StatusOr<std::unique_ptr<Strategy>> {
      if (spec.name == "none_1_boom") return absl::InvalidArgumentError(params.path() + ": rejected");
      return boom(spec, params);
    };
    const Collected c = RunAll(scenarios, o);
    EXPECT_EQ(c.status, absl::InvalidArgumentError("strategies[1].params: rejected")) << "threads " << threads;
    EXPECT_EQ(c.order, std::vector<size_t>{0});
  }
}

TEST(RunScenarios, ASinkErrorStopsTheRunAndIsReturned) {
  const std::vector<Scenario> scenarios = ThreeScenarios();
  for (int threads : {1, 4}) {
    std::vector<size_t> order;
    const absl::Status s = RunScenarios(scenarios, BoomOptions(threads), [&](size_t i, nlohmann::json) {
      order.push_back(i);
      return i == 1 ? absl::DataLossError("disk full") : absl::OkStatus();
    });
    EXPECT_EQ(s, absl::DataLossError("disk full"));
    EXPECT_EQ(order, (std::vector<size_t>{0, 1}));
  }
  // A sink error in scenario 0 comes before a failed run of scenario 1.
  std::vector<size_t> order;
  const absl::Status s = RunScenarios(ThreeScenarios({"none_1"}), BoomOptions(4), [&](size_t i, nlohmann::json) {
    order.push_back(i);
    return absl::DataLossError("disk full");
  });
  EXPECT_EQ(s, absl::DataLossError("disk full"));
  EXPECT_EQ(order, std::vector<size_t>{0});
}

TEST(RunScenarios, DefaultThreadsAreTheCores) {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  EXPECT_EQ(DefaultThreads(), std::clamp(cores, 1, 256));
}

// What a terminal shows after `bytes`: finished lines and the line under the cursor.
struct Screen {
  std::vector<std::string> lines;
  std::string current;
};
Screen Emulate(const std::string& bytes) {
  Screen s;
  size_t col = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\r') {
      col = 0;
    } else if (bytes[i] == '\n') {
      s.lines.push_back(s.current);
      s.current.clear();
      col = 0;
    } else if (bytes.compare(i, 3, "\x1b[K") == 0) {
      s.current.resize(std::min(col, s.current.size()));
      i += 2;
    } else {
      if (col < s.current.size()) {
        s.current[col] = bytes[i];
      } else {
        s.current.push_back(bytes[i]);
      }
      ++col;
    }
  }
  return s;
}

TEST(RunScenarios, TheLiveLineIsErasedBeforeEveryLineAndAtTheEnd) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  ASSERT_NE(out, nullptr);
  RunOptions o;
  o.threads = 2;
  o.progress = true;
  o.live_progress = true;
  o.live_progress_after = std::chrono::milliseconds(0);
  o.progress_out = out;
  // Slow strategy construction (wall clock only): the line is drawn at least once.
  o.create_strategy = [](const StrategySpec& spec, JsonReader& params)
      -> absl::StatusOr<std::unique_ptr<Strategy>> {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return FindStrategy(spec.kind)->create(params);
  };
  absl::StatusOr<nlohmann::json> with_progress = RunScenario(SmallScenario(), o);
  std::fclose(out);
  const std::string bytes(buf, len);
  std::free(buf);
  ASSERT_TRUE(with_progress.ok()) << with_progress.status();

  EXPECT_THAT(bytes, ::testing::HasSubstr("\r[0/2] "));
  EXPECT_THAT(bytes, ::testing::EndsWith("\r\x1b[K"));
  const Screen screen = Emulate(bytes);
  EXPECT_EQ(screen.current, "");  // erased at the end
  ASSERT_EQ(screen.lines.size(), 2u) << bytes;  // one per run, nothing of the live line in them
  std::vector<std::string> lines = screen.lines;
  std::sort(lines.begin(), lines.end(), [](const std::string& a, const std::string& b) {
    return a.substr(0, 18) < b.substr(0, 18);
  });
  EXPECT_THAT(lines[0], ::testing::MatchesRegex(R"(\[runner-test\] 1/2 (l1_v1|none): [0-9]+ requests, [0-9]+ STS calls \([0-9.]+ s\))"));
  EXPECT_THAT(lines[1], ::testing::MatchesRegex(R"(\[runner-test\] 2/2 (l1_v1|none): [0-9]+ requests, [0-9]+ STS calls \([0-9.]+ s\))"));

  // Nothing of the progress reaches the results.
  absl::StatusOr<nlohmann::json> plain = RunScenario(SmallScenario(), RunOptions{});
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(with_progress->dump(), plain->dump());
}

// The binary: every output file of a multi-scenario, multi-strategy, replicated run is
// byte-identical for --threads 1, 2, 5 and the default.
class RunThreadsTest : public testing_util::CliTest {};

TEST_F(RunThreadsTest, OutputFilesAreByteIdenticalForAnyThreadCount) {
  using testing_util::ReadFile;
  for (const char* name : {"one", "two"}) {
    nlohmann::json sc = testing_util::TinyScenario(name);
    sc["strategies"] = {"none", "l1", "kv"};
    sc["seed"] = std::string(name) == "one" ? 5 : 6;
    WriteScenario(std::string(name) + ".json", sc);
  }
  const std::string base = "run one.json two.json --replications 3 --baseline l1 --quiet --out ";
  const testing_util::Outcome first = Run(base + "t1 --threads 1");
  ASSERT_EQ(first.code, testing_util::kOk) << first.err;
  for (const std::string& run : {std::string("t2 --threads 2"), std::string("t5 --threads=5"), std::string("td")}) {
    const testing_util::Outcome o = Run(base + run);
    ASSERT_EQ(o.code, testing_util::kOk) << o.err;
    const std::string dir = run.substr(0, 2);
    std::string out = o.out;  // the same but for the --out directory it names
    const size_t at = out.rfind("Wrote " + dir + "/");
    ASSERT_NE(at, std::string::npos) << out;
    out.replace(at + 6, dir.size(), "t1");
    EXPECT_EQ(out, first.out) << run;
    EXPECT_EQ(o.err, "");
    for (const char* name : {"one", "two"}) {
      for (const char* file : {"results.json", "summary.md", "timeseries.csv"}) {
        const std::string a = ReadFile(Work(std::string("t1/") + name + "/" + file));
        ASSERT_FALSE(a.empty()) << name << "/" << file;
        EXPECT_EQ(ReadFile(Work(dir + "/" + name + "/" + file)), a) << run << ": " << name << "/" << file;
      }
    }
  }
}

}  // namespace
}  // namespace credsim
