// scenario_throughput: simulated requests per CPU second, per strategy, on named scenario
// files (issue 14). Not a Google Benchmark binary: it runs whole scenarios as `credsim run`
// does (one World per strategy entry, --threads 1) and prints a table per scenario.
//
// Contract:
//  - For every scenario file (default: busy-steady, long-tail-cold, global-diurnal) and every
//    selected strategy entry it builds and runs the World --repetitions times with the
//    scenario's seed. Each run's cost is the thread CPU time (CLOCK_THREAD_CPUTIME_ID) of
//    strategy construction + World construction + Run(); scenario parsing, output and World
//    destruction are outside it. Requests are every simulated arrival, warm-up included
//    (RunProgress::arrivals, final after Run()). Every repetition must simulate the same
//    number of requests (determinism); otherwise the program fails.
//  - Each strategy row shows the issue's target and "met"/"below" by the median.
//  - --billion runs only the one-billion-request day: the first scenario file (default
//    busy-steady) with duration 24h, warm-up 0 and traffic.rate scaled so that the expected
//    arrivals (ExpectedArrivals, as `credsim run` estimates work) are 1e9; strategy `l1`
//    unless --strategies says otherwise; 1 repetition unless --repetitions says otherwise. It
//    also prints the peak RSS of the process (so it runs nothing else).
//  - Exit 0 on success, 2 on bad input (unknown flag, missing/invalid scenario file, unknown
//    strategy entry; the message names the file), 1 if a simulation fails.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/json_file.h"
#include "cli/scenario.h"
#include "fmt/format.h"
#include "sim/engine/time.h"
#include "sim/world/run_progress.h"
#include "sim/world/traffic.h"
#include "sim/world/world.h"
#include "strategies/registry.h"

#ifndef CREDSIM_SOURCE_DIR
#define CREDSIM_SOURCE_DIR "."
#endif
#ifndef CREDSIM_BUILD_TYPE
#define CREDSIM_BUILD_TYPE "unknown"
#endif

namespace credsim {
namespace {

constexpr char kUsage[] = R"(usage: scenario_throughput [flags] [scenario.json ...]

Runs each scenario's strategy entries and prints simulated requests per CPU second
(thread CPU time of strategy + World construction + Run, median [min-max] of the
repetitions) next to the targets of issue 14.

  scenario.json ...   scenario files; relative paths are tried from the current directory,
                      then from the source tree. Default: scenarios/busy-steady.json
                      scenarios/long-tail-cold.json scenarios/global-diurnal.json
  --strategies a,b    only these strategy entries (by entry name; default: all entries)
  --repetitions K     runs per strategy (default 5; 1 with --billion)
  --billion           only the 1e9-request day: the first scenario (default busy-steady) with
                      duration 24h, warm-up 0, rate scaled to 1e9 expected arrivals, strategy
                      l1 by default; prints CPU seconds and peak RSS (target <= 90 s, < 1 GiB)
  --help              this text

Exit status: 0 ok, 2 bad input, 1 a simulation failed.
)";

struct Flags {
  std::vector<std::string> files;
  std::vector<std::string> strategies;  // empty: all entries
  int repetitions = 0;                  // 0: default
  bool billion = false;
};

[[noreturn]] void Fail(int code, const std::string& message) {
  std::fprintf(stderr, "scenario_throughput: %s\n", message.c_str());
  std::exit(code);
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Fail(2, a + " needs a value (see --help)");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--billion") {
      f.billion = true;
    } else if (a == "--strategies") {
      f.strategies = absl::StrSplit(value(), ',', absl::SkipEmpty());
      if (f.strategies.empty()) Fail(2, "--strategies: empty list");
    } else if (a == "--repetitions") {
      const std::string v = value();
      char* end = nullptr;
      const long k = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || k < 1 || k > 1000) {
        Fail(2, "--repetitions: expected an integer from 1 to 1000, got '" + v + "'");
      }
      f.repetitions = static_cast<int>(k);
    } else if (a.rfind("--", 0) == 0) {
      Fail(2, "unknown flag " + a + " (see --help)");
    } else {
      f.files.push_back(a);
    }
  }
  if (f.files.empty()) {
    f.files = {"scenarios/busy-steady.json"};
    if (!f.billion) {
      f.files.push_back("scenarios/long-tail-cold.json");
      f.files.push_back("scenarios/global-diurnal.json");
    }
  }
  if (f.billion && f.files.size() != 1) Fail(2, "--billion takes at most one scenario file");
  if (f.billion && f.strategies.empty()) f.strategies = {"l1"};
  if (f.repetitions == 0) f.repetitions = f.billion ? 1 : 5;
  return f;
}

// `path` as given if it exists from the current directory, else from the source tree.
std::string Resolve(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(path, ec) || fs::path(path).is_absolute()) return path;
  const fs::path in_source = fs::path(CREDSIM_SOURCE_DIR) / path;
  return fs::exists(in_source, ec) ? in_source.string() : path;
}

std::string FirstLine(const char* file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

void PrintMachine(const char* when) {
  std::printf("loadavg %s: %s\n", when, FirstLine("/proc/loadavg").c_str());
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct RunCost {
  uint64_t requests = 0;
  double cpu_seconds = 0;
};

// One run of one strategy entry (index `i` of sc.strategies), timed as the contract says.
RunCost RunOnce(const Scenario& sc, size_t i) {
  const StrategySpec& spec = sc.strategies[i];
  RunProgress progress;
  const double t0 = ThreadCpuSeconds();
  JsonReader params(spec.params, fmt::format("strategies[{}].params", i));
  auto strategy = FindStrategy(spec.kind)->create(params);
  if (!strategy.ok()) {
    Fail(2, fmt::format("{}: {}", sc.path, std::string(strategy.status().message())));
  }
  auto world = std::make_unique<World>(sc.world, sc.trace, **strategy);
  world->set_progress(&progress);
  world->Run();
  const double t1 = ThreadCpuSeconds();
  if (world->failed()) {
    Fail(1, fmt::format("{}: strategy {}: {}", sc.path, spec.name, world->failure_message()));
  }
  return {progress.arrivals.load(), t1 - t0};
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Requests per CPU second the issue asks for, if it names one for this scenario and kind.
std::optional<double> Target(const std::string& scenario, const std::string& kind) {
  if (kind == "none") return 4e6;
  if (scenario == "busy-steady") {
    for (const char* k : {"l1", "l1_l2", "kv", "do_singleflight", "do_alarm_kv"}) {
      if (kind == k) return 12e6;
    }
    return std::nullopt;
  }
  if (scenario == "long-tail-cold" || scenario == "global-diurnal") return 4e6;
  return std::nullopt;
}

// Indices of the selected strategy entries; exit 2 naming the file on an unknown name.
std::vector<size_t> Select(const Scenario& sc, const std::vector<std::string>& names) {
  std::vector<size_t> out;
  std::vector<std::string> all;
  for (const StrategySpec& s : sc.strategies) all.push_back(s.name);
  if (names.empty()) {
    for (size_t i = 0; i < all.size(); ++i) out.push_back(i);
    return out;
  }
  for (const std::string& n : names) {
    auto it = std::find(all.begin(), all.end(), n);
    if (it == all.end()) {
      Fail(2, fmt::format("{}: no strategy entry named '{}' (entries: {})", sc.path, n,
                          absl::StrJoin(all, ", ")));
    }
    out.push_back(static_cast<size_t>(it - all.begin()));
  }
  return out;
}

// Runs `reps` times; checks that every run simulated the same requests.
std::vector<RunCost> Repeat(const Scenario& sc, size_t i, int reps) {
  std::vector<RunCost> runs;
  for (int r = 0; r < reps; ++r) {
    runs.push_back(RunOnce(sc, i));
    if (runs.back().requests != runs.front().requests) {
      Fail(1, fmt::format("{}: strategy {}: repetition {} simulated {} requests, the first {}",
                          sc.path, sc.strategies[i].name, r, runs.back().requests,
                          runs.front().requests));
    }
  }
  return runs;
}

std::vector<double> CpuSeconds(const std::vector<RunCost>& runs) {
  std::vector<double> v;
  for (const RunCost& c : runs) v.push_back(c.cpu_seconds);
  return v;
}

void RunScenarioTable(const Scenario& sc, const Flags& f) {
  const std::vector<size_t> selected = Select(sc, f.strategies);
  std::printf("\n%s (%s): %s + %s warm-up, seed %llu, %d repetitions\n", sc.name.c_str(),
              sc.path.c_str(), FormatDuration(sc.world.duration).c_str(),
              FormatDuration(sc.world.warmup).c_str(),
              static_cast<unsigned long long>(sc.world.seed), f.repetitions);
  std::printf("%-18s %13s  %-28s  %-26s  %s\n", "strategy", "requests/run",
              "CPU s/run median [min-max]", "M requests/CPU s [min-max]", "target");
  for (size_t i : selected) {
    const std::vector<RunCost> runs = Repeat(sc, i, f.repetitions);
    const std::vector<double> cpu = CpuSeconds(runs);
    const double req = static_cast<double>(runs.front().requests);
    const double med = Median(cpu);
    const auto [lo, hi] = std::minmax_element(cpu.begin(), cpu.end());
    const double rate = req / med;
    std::string target = "-";
    if (auto t = Target(sc.name, sc.strategies[i].kind)) {
      target = fmt::format(">= {:g} M: {}", *t / 1e6, rate >= *t ? "met" : "below");
    }
    std::printf("%-18s %13llu  %-28s  %-26s  %s\n", sc.strategies[i].name.c_str(),
                static_cast<unsigned long long>(runs.front().requests),
                fmt::format("{:.3f} [{:.3f}-{:.3f}]", med, *lo, *hi).c_str(),
                fmt::format("{:.2f} [{:.2f}-{:.2f}]", rate / 1e6, req / *hi / 1e6,
                            req / *lo / 1e6).c_str(),
                target.c_str());
    std::fflush(stdout);
  }
}

void RunBillion(const std::string& path, const Flags& f) {
  constexpr double kRequests = 1e9;
  auto j = ReadJsonFile(path, kMaxScenarioFileBytes);
  if (!j.ok()) Fail(2, std::string(j.status().message()));
  const std::filesystem::path p(path);
  const std::string base = p.has_parent_path() ? p.parent_path().string() : std::string(".");
  (*j)["duration"] = "24h";
  (*j)["warmup"] = "0";
  auto parse = [&]() {
    auto sc = ParseScenario(*j, p.stem().string(), base);
    if (!sc.ok()) Fail(2, fmt::format("{}: {}", path, std::string(sc.status().message())));
    sc->path = path;
    return *std::move(sc);
  };
  const Scenario day = parse();
  if (day.world.traffic.trace || !day.world.traffic.role_rates.empty()) {
    Fail(2, path + ": --billion needs a scenario whose traffic is set by traffic.rate");
  }
  const Duration horizon = day.world.warmup + day.world.duration;
  const double expected = ExpectedArrivals(day.world.traffic, horizon, nullptr);
  const double rate = day.world.traffic.rate * kRequests / expected;
  (*j)["traffic"]["rate"] = rate;
  const Scenario sc = parse();
  const std::vector<size_t> selected = Select(sc, f.strategies);
  std::printf("\nbillion-request day: %s with duration 24h, warm-up 0, traffic.rate %.4f/s "
              "(expected arrivals %.6g), seed %llu, %d repetitions\n",
              path.c_str(), rate,
              ExpectedArrivals(sc.world.traffic, horizon, nullptr),
              static_cast<unsigned long long>(sc.world.seed), f.repetitions);
  for (size_t i : selected) {
    const std::vector<RunCost> runs = Repeat(sc, i, f.repetitions);
    const std::vector<double> cpu = CpuSeconds(runs);
    const auto [lo, hi] = std::minmax_element(cpu.begin(), cpu.end());
    const double med = Median(cpu);
    std::printf("%s: %llu requests, CPU s %.1f [%.1f-%.1f], %.2f M requests/CPU s "
                "(target <= 90 s: %s)\n",
                sc.strategies[i].name.c_str(),
                static_cast<unsigned long long>(runs.front().requests), med, *lo, *hi,
                static_cast<double>(runs.front().requests) / med / 1e6,
                med <= 90 ? "met" : "not met");
    std::fflush(stdout);
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double rss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is KiB
  std::printf("peak RSS of the process: %.1f MiB (target < 1024 MiB: %s)\n", rss_mib,
              rss_mib < 1024 ? "met" : "not met");
}

int Main(int argc, char** argv) {
  const Flags f = ParseFlags(argc, argv);
#ifdef NDEBUG
  const char* ndebug = "NDEBUG";
#else
  const char* ndebug = "assertions on (no NDEBUG)";
#endif
  std::printf("scenario_throughput: build type %s, %s; %ld online cores (%s); one thread\n",
              CREDSIM_BUILD_TYPE, ndebug, sysconf(_SC_NPROCESSORS_ONLN), CpuModel().c_str());
  PrintMachine("before");
  if (f.billion) {
    RunBillion(Resolve(f.files.front()), f);
  } else {
    // Parse every file first so that bad input fails before any run.
    std::vector<Scenario> scenarios;
    for (const std::string& file : f.files) {
      auto sc = LoadScenario(Resolve(file));
      if (!sc.ok()) Fail(2, std::string(sc.status().message()));
      Select(*sc, f.strategies);
      scenarios.push_back(*std::move(sc));
    }
    for (const Scenario& sc : scenarios) RunScenarioTable(sc, f);
  }
  std::printf("\n");
  PrintMachine("after");
  return 0;
}

}  // namespace
}  // namespace credsim

int main(int argc, char** argv) { return credsim::Main(argc, argv); }
