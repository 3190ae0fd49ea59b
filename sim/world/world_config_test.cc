#include "sim/world/world_config.h"

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace credsim {
namespace {

std::string IsolateError(const char* text, IsolateConfig* out = nullptr) {
  const nlohmann::json j = nlohmann::json::parse(text);
  IsolateConfig cfg;
  JsonReader r(j, "world.isolates");
  absl::Status s = ParseIsolateConfig(r, out ? out : &cfg);
  if (s.ok()) s = r.Finish();
  return std::string(s.message());
}

// Issue 10 item 9 (a): "1ns" grew memory at 300 MB/s (one restart instant per nanosecond).
TEST(WorldConfigTest, RestartIntervalHasALowerBound) {
  EXPECT_EQ(IsolateError(R"({"restart_interval": "1ns"})"),
            "world.isolates.restart_interval: 1ns is too short; expected a duration >= 1m (or null)");
  EXPECT_EQ(IsolateError(R"({"restart_interval": "59.999s"})").rfind("world.isolates.restart_interval: ", 0), 0u);
  EXPECT_EQ(IsolateError(R"({"restart_interval": "0s"})").rfind("world.isolates.restart_interval: ", 0), 0u);
  IsolateConfig cfg;
  EXPECT_EQ(IsolateError(R"({"restart_interval": "1m"})", &cfg), "");
  EXPECT_EQ(cfg.restart_interval, Duration::Minutes(1));
  EXPECT_EQ(IsolateError(R"({"restart_interval": null})"), "");
}

TEST(WorldConfigTest, RestartsListIsCapped) {
  nlohmann::json j = {{"restarts", nlohmann::json::array()}};
  for (size_t i = 0; i < kMaxRestarts; ++i) j["restarts"].push_back("1h");
  {
    IsolateConfig cfg;
    JsonReader r(j, "world.isolates");
    EXPECT_TRUE(ParseIsolateConfig(r, &cfg).ok());
    EXPECT_EQ(cfg.restarts.size(), kMaxRestarts);
  }
  j["restarts"].push_back("1h");
  IsolateConfig cfg;
  JsonReader r(j, "world.isolates");
  absl::Status s = ParseIsolateConfig(r, &cfg);
  EXPECT_EQ(s.message(), "world.isolates.restarts: 10001 restarts are too many; expected at most 10000");
  // Far-future restarts are valid (they never fire) and cannot overflow.
  EXPECT_EQ(IsolateError(R"({"restarts": ["2562047h"]})"), "");
  EXPECT_EQ(IsolateError(R"({"restarts": ["1h", "2562048h"]})")
                .rfind("world.isolates.restarts[1]: \"2562048h\" is too large", 0),
            0u);
}

// Issue 10 item 4: timers are now + value; reject only values that can overflow.
TEST(WorldConfigTest, TimerDurationsMustLeaveRoomForTheRun) {
  EXPECT_EQ(IsolateError(R"({"max_lifetime": "87600h"})"), "");  // 10 years: never fires, valid
  EXPECT_EQ(FormatDuration(kMaxTimerDuration), "2561326h47m16.854775807s");
  EXPECT_EQ(IsolateError(R"({"max_lifetime": "2561326h47m16.854775807s"})"), "");
  EXPECT_EQ(IsolateError(R"({"max_lifetime": "2562047h"})"),
            "world.isolates.max_lifetime: 2562047h is too large: added to the last instant of a "
            "run (720h warm-up + duration, plus the 1h drain) it would overflow the clock; "
            "expected at most 2561326h47m16.854775807s");
  const nlohmann::json j = nlohmann::json::parse(R"({"edge_timeout": "2562000h"})");
  WorkerConfig w;
  JsonReader r(j, "world.workers");
  EXPECT_EQ(ParseWorkerConfig(r, &w).message().substr(0, 52),
            "world.workers.edge_timeout: 2562000h is too large: a");
}

// Issue 10 item 4: "duration": "2562048h" (or duration + warmup past 2^63 ns) passed the 720 h
// cap (the sum overflowed to a negative number) and the run died with std::bad_alloc.
TEST(WorldConfigTest, CheckRunLengthNeverOverflows) {
  WorldConfig w;
  EXPECT_TRUE(CheckRunLength(w).ok());
  w.duration = Duration::Hours(2562047);  // parses; + 5m warm-up overflowed
  absl::Status s = CheckRunLength(w);
  EXPECT_EQ(s.message(), "duration: warmup + duration must be at most 720h; got 5m + 2562047h");
  w.duration = kMaxDuration;
  w.warmup = kMaxDuration;
  EXPECT_FALSE(CheckRunLength(w).ok());
  w.duration = Duration::Hours(715);
  w.warmup = Duration::Hours(5);
  EXPECT_TRUE(CheckRunLength(w).ok());
  w.warmup = Duration::Hours(5) + Duration::Nanos(1);
  EXPECT_FALSE(CheckRunLength(w).ok());

  WorldConfig z;
  z.duration = Duration();
  EXPECT_EQ(CheckRunLength(z).message(), "duration: must be > 0");
  WorldConfig i;
  i.interval = Duration::Millis(999);
  EXPECT_EQ(CheckRunLength(i).message(), "timeseries_interval: must be >= 1s");
  i.interval = Duration::Seconds(1);
  i.duration = Duration::Hours(700);
  EXPECT_EQ(CheckRunLength(i).message(),
            "timeseries_interval: too small for the duration (more than 1,000,000 intervals)");
}

// Issue 11 item 13: "never evict" is a JSON null.
TEST(WorldConfigTest, IdleEvictionNullMeansNever) {
  IsolateConfig cfg;
  EXPECT_TRUE(cfg.evict_when_idle);
  EXPECT_EQ(cfg.idle_eviction, Distribution::Exponential(7200));
  EXPECT_EQ(IsolateError(R"({"idle_eviction": null})", &cfg), "");
  EXPECT_FALSE(cfg.evict_when_idle);
  EXPECT_EQ(IsolateError(R"({"idle_eviction": {"exponential": {"mean": "3m"}}})", &cfg), "");
  EXPECT_TRUE(cfg.evict_when_idle);
  EXPECT_EQ(cfg.idle_eviction, Distribution::Exponential(180));
  EXPECT_EQ(IsolateError(R"({"idle_eviction": 5})").rfind("world.isolates.idle_eviction: ", 0), 0u);
}

std::string WorkerError(const char* text, WorkerConfig* out) {
  const nlohmann::json j = nlohmann::json::parse(text);
  JsonReader r(j, "world.workers");
  absl::Status s = ParseWorkerConfig(r, out);
  if (s.ok()) s = r.Finish();
  return std::string(s.message());
}

TEST(WorldConfigTest, DeployColoIsANameOrNull) {
  WorkerConfig w;
  EXPECT_EQ(w.deploy_colo, std::nullopt);
  EXPECT_EQ(WorkerError(R"({"deploy_colo": "colo007"})", &w), "");
  EXPECT_EQ(w.deploy_colo, "colo007");
  EXPECT_EQ(WorkerError(R"({"deploy_colo": null})", &w), "");
  EXPECT_EQ(w.deploy_colo, std::nullopt);
  const std::string expected =
      "world.workers.deploy_colo: expected the name of a colo (a non-empty string, e.g. "
      "\"colo000\"), or null for the busiest colo";
  EXPECT_EQ(WorkerError(R"({"deploy_colo": 3})", &w), expected);
  EXPECT_EQ(WorkerError(R"({"deploy_colo": ""})", &w), expected);
}

TEST(WorldConfigTest, ResolveDeployColo) {
  WorldConfig w;  // 330 Zipf colos: colo000 is the busiest
  const ColoSet colos(w.colos);
  EXPECT_EQ(ResolveDeployColo(w, colos).value(), 0u);
  w.workers.deploy_colo = "colo042";
  EXPECT_EQ(ResolveDeployColo(w, colos).value(), 42u);
  EXPECT_TRUE(CheckWorldConfig(w).ok());
  w.workers.deploy_colo = "lhr";
  EXPECT_EQ(CheckWorldConfig(w).message(),
            "world.workers.deploy_colo: unknown colo \"lhr\"; expected the name of a colo of "
            "world.colos (colo000, colo001, colo002, colo003, colo004, colo005, colo006, "
            "colo007, colo008, colo009, colo010, colo011, ... (330 colos in all)), or null for "
            "the busiest colo");

  WorldConfig uniform;
  uniform.colos.count = 5;
  uniform.colos.zipf_exponent = 0;  // all equal: ties go to the lowest index
  EXPECT_EQ(ResolveDeployColo(uniform, ColoSet(uniform.colos)).value(), 0u);
  WorldConfig listed;
  listed.colos.list = {ColoSpec{"a", 0, 1, 1}, ColoSpec{"b", 1, 3, 1}, ColoSpec{"c", 2, 3, 1}};
  EXPECT_EQ(ResolveDeployColo(listed, ColoSet(listed.colos)).value(), 1u);
}

TEST(WorldConfigTest, PrewarmKeysAreCapped) {
  EXPECT_TRUE(CheckPrewarmKeys(100, 1).ok());
  EXPECT_TRUE(CheckPrewarmKeys(1, kMaxPrewarmKeys).ok());
  EXPECT_TRUE(CheckPrewarmKeys(1000, 100).ok());
  EXPECT_EQ(CheckPrewarmKeys(10000000, 1000000).message(),
            "traffic.sessions_per_role: a strategy that prewarms its Durable Objects calls one "
            "per (role, session): 10000000 roles x 1000000 sessions is too many; expected roles "
            "x sessions_per_role <= 100000");
  EXPECT_FALSE(CheckPrewarmKeys(kMaxPrewarmKeys + 1, 1).ok());
}

}  // namespace
}  // namespace credsim
