#include "cli/sweep_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <cstdint>
#include <optional>
#include <string>

#include "cli/args.h"
#include "cli/output_files.h"
#include "cli/runner.h"
#include "cli/subprocess.h"
#include "cli/sweep.h"
#include "cli/sweep_merge.h"
#include "cli/work_estimate.h"
#include "fmt/format.h"

namespace credsim {
namespace {

constexpr const char* kSweepHelp = R"(Usage: credsim sweep plan SWEEP.json [--out DIR]
       credsim sweep run SWEEP.json --out DIR [--shard K/N | --shard auto [--shard-count N]]
                         [--threads T] [--max-requests N] [--quiet]
       credsim sweep merge SWEEP.json --out DIR [--partial]
       credsim sweep report DIR

A sweep file names a scenario, axes (scenario paths -> the values each takes; Cartesian
product, first axis slowest), replications and a seed (docs/sweeps.md). Run i is point
i / R, replication i mod R, seed seed + replication.

  plan    lists every run (run, point, replication, seed, storage key, axis values),
          tab-separated; with --out, also whether it is done
  run     runs the runs i with i mod N == K (0-based) that DIR does not hold yet, each into
          DIR/runs/<key>.json, atomically; --shard auto takes K and N from a Slurm array
          (SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT), an AWS Batch array
          (AWS_BATCH_JOB_ARRAY_INDEX/AWS_BATCH_JOB_ARRAY_SIZE) or a Kubernetes Indexed Job
          (JOB_COMPLETION_INDEX, with --shard-count = spec.completions). --threads: the
          strategies of a run in parallel (default 1). --max-requests: refuse a shard above
          N simulated requests (default 1000000000)
  merge   writes DIR/sweep.json, DIR/sweep.csv and DIR/sweep.md (per point x strategy x
          metric: n, mean, sd, 95 % interval); exit 1 listing missing runs unless --partial
  report  plots DIR/sweep.json (reports/credsim_sweep_report.py, matplotlib): each key
          metric against each axis with interval bands, and the Pareto front; writes
          DIR/sweep-report.md and its PNGs

Exit codes: 0 ok, 1 a run failed or runs are missing, 2 bad input (nothing written).
)";

int BadInput(const std::string& message) {
  return Fail(kBadInput, absl::InvalidArgumentError(message));
}

std::optional<Sweep> Load(const std::string& path) {
  absl::StatusOr<Sweep> s = LoadSweep(path);
  if (!s.ok()) {
    Fail(kBadInput, s.status());
    return std::nullopt;
  }
  return *std::move(s);
}

std::string AxisText(const Sweep& sweep, size_t point, const char* sep) {
  std::string out;
  const std::vector<nlohmann::json> values = sweep.PointValues(point);
  for (size_t a = 0; a < sweep.axes.size(); ++a) {
    out += fmt::format("{}{}={}", a ? sep : "", sweep.axes[a].path, values[a].dump());
  }
  return out;
}

int Plan(const Args& args) {
  if (args.positional.size() != 2) return BadInput("sweep plan: expected one SWEEP.json");
  std::optional<Sweep> sweep = Load(args.positional[1]);
  if (!sweep) return kBadInput;
  absl::StatusOr<std::vector<SweepRun>> runs = PlanSweep(*sweep);
  if (!runs.ok()) return Fail(kBadInput, runs.status());
  const std::optional<std::string> out = Opt(args, "out");
  std::string text = "run\tpoint\treplication\tseed\tkey";
  if (out) text += "\tstatus";
  for (const SweepAxis& a : sweep->axes) text += "\t" + a.path;
  text += "\n";
  size_t done = 0;
  for (const SweepRun& r : *runs) {
    text += fmt::format("{}\t{}\t{}\t{}\t{}", r.index, r.point, r.replication, r.seed, r.key);
    if (out) {
      const bool d = RunIsDone(*out, r);
      done += d;
      text += d ? "\tdone" : "\tmissing";
    }
    for (const nlohmann::json& v : sweep->PointValues(r.point)) text += "\t" + v.dump();
    text += "\n";
  }
  std::fputs(text.c_str(), stdout);
  std::fprintf(stderr, "credsim sweep plan: %zu points x %llu replications = %zu runs%s\n",
               sweep->points(), static_cast<unsigned long long>(sweep->replications), runs->size(),
               out ? fmt::format(", {} done", done).c_str() : "");
  return kOk;
}

int Run(const Args& args) {
  if (args.positional.size() != 2) return BadInput("sweep run: expected one SWEEP.json");
  const std::optional<std::string> out = Opt(args, "out");
  if (!out) return BadInput("sweep run: --out DIR is required (runs are stored in DIR/runs/)");
  uint64_t shard = 0, shards = 1;
  std::optional<uint64_t> shard_count;
  if (auto c = Opt(args, "shard-count")) {
    shard_count = ParseCount(*c, 1, UINT32_MAX);
    if (!shard_count) return BadInput(fmt::format("--shard-count: \"{}\" is not accepted; expected a positive integer", *c));
  }
  if (auto s = Opt(args, "shard")) {
    absl::StatusOr<std::pair<uint64_t, uint64_t>> parsed =
        *s == "auto" ? ShardFromEnvironment([](const char* n) { return std::getenv(n); }, shard_count)
                     : ParseShard(*s);
    if (!parsed.ok()) return Fail(kBadInput, parsed.status());
    std::tie(shard, shards) = *parsed;
  } else if (shard_count) {
    return BadInput("--shard-count is only used with --shard auto");
  }
  RunOptions options;
  options.threads = 1;
  if (auto t = Opt(args, "threads")) {
    auto v = ParseCount(*t, 1, 256);
    if (!v) return BadInput(fmt::format("--threads: \"{}\" is not accepted; expected 1..256", *t));
    options.threads = static_cast<int>(*v);
  }
  uint64_t max_requests = kDefaultMaxRequests;
  if (auto m = Opt(args, "max-requests")) {
    auto v = ParseCount(*m, 1, UINT64_MAX);
    if (!v) return BadInput(fmt::format("--max-requests: \"{}\" is not accepted; expected a positive integer", *m));
    max_requests = *v;
  }
  const bool quiet = Flag(args, "quiet");
  std::optional<Sweep> sweep = Load(args.positional[1]);
  if (!sweep) return kBadInput;
  absl::StatusOr<std::vector<SweepRun>> runs = PlanSweep(*sweep);
  if (!runs.ok()) return Fail(kBadInput, runs.status());

  // The scenario of the point being run: built once per point (the seed only seeds the
  // simulation, RunReplications sets it), not once per run.
  std::optional<Scenario> scenario;
  size_t scenario_point = SIZE_MAX;
  const auto point_scenario = [&](size_t point) -> absl::Status {
    if (scenario && scenario_point == point) return absl::OkStatus();
    absl::StatusOr<Scenario> sc = PointScenario(*sweep, point, sweep->seed);
    if (!sc.ok()) return sc.status();
    scenario = *std::move(sc);
    scenario_point = point;
    return absl::OkStatus();
  };
  std::vector<SweepRun> todo;
  size_t mine = 0;
  double requests = 0;
  for (const SweepRun& r : *runs) {
    if (r.index % shards != shard) continue;
    ++mine;
    if (RunIsDone(*out, r)) continue;
    if (absl::Status s = point_scenario(r.point); !s.ok()) return Fail(kBadInput, s);
    const WorkEstimate w = EstimateWork(*scenario);
    requests += w.requests_per_strategy * static_cast<double>(scenario->strategies.size());
    todo.push_back(r);
  }
  if (requests > static_cast<double>(max_requests)) {
    return BadInput(fmt::format(
        "{}: shard {}/{} would simulate about {} requests ({} runs), above the limit of {}; use "
        "more shards, or raise the limit with --max-requests N",
        sweep->path, shard, shards, FormatCount(requests), todo.size(),
        FormatCount(static_cast<double>(max_requests))));
  }
  if (!quiet) {
    std::fprintf(stderr, "credsim sweep run: shard %llu/%llu: %zu of %zu runs, %zu already done, %zu to run (about %s requests)\n",
                 static_cast<unsigned long long>(shard), static_cast<unsigned long long>(shards),
                 mine, runs->size(), mine - todo.size(), todo.size(), FormatCount(requests).c_str());
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(*out) / "runs", ec);
  if (ec) {
    return Fail(kFailed, absl::InternalError(fmt::format("{}/runs: cannot create: {}", *out, ec.message())));
  }
  size_t done = 0;
  for (const SweepRun& r : todo) {
    if (absl::Status s = point_scenario(r.point); !s.ok()) return Fail(kBadInput, s);
    auto result = RunReplications(*scenario, {r.seed}, options);
    if (!result.ok()) {
      return Fail(kFailed, absl::InternalError(fmt::format("run {} (point {}: {}; seed {}): {}", r.index, r.point,
                                                           AxisText(*sweep, r.point, ", "), r.seed,
                                                           std::string(result.status().message()))));
    }
    const std::string content = RunFileContent(r, scenario->name, result->first);
    if (absl::Status s = WriteFileAtomic(RunFilePath(*out, r), content); !s.ok()) return Fail(kFailed, s);
    ++done;
    if (!quiet) {
      std::fprintf(stderr, "[%s] run %zu (%zu/%zu of shard %llu/%llu): point %zu, replication %zu, seed %llu\n",
                   sweep->name.c_str(), r.index, done, todo.size(),
                   static_cast<unsigned long long>(shard), static_cast<unsigned long long>(shards),
                   r.point, r.replication, static_cast<unsigned long long>(r.seed));
    }
  }
  return kOk;
}

int Merge(const Args& args) {
  if (args.positional.size() != 2) return BadInput("sweep merge: expected one SWEEP.json");
  const std::optional<std::string> out = Opt(args, "out");
  if (!out) return BadInput("sweep merge: --out DIR is required (the directory the runs are in)");
  std::optional<Sweep> sweep = Load(args.positional[1]);
  if (!sweep) return kBadInput;
  absl::StatusOr<std::vector<SweepRun>> runs = PlanSweep(*sweep);
  if (!runs.ok()) return Fail(kBadInput, runs.status());
  absl::StatusOr<SweepMerge> m = MergeSweep(*sweep, *runs, *out);
  if (!m.ok()) return Fail(kFailed, m.status());
  if (!m->missing.empty()) {
    std::fprintf(stderr, "credsim sweep merge: %zu of %zu runs are missing: %s\n", m->missing.size(),
                 runs->size(), RangesText(m->missing).c_str());
    if (!Flag(args, "partial")) {
      std::fprintf(stderr, "credsim sweep merge: nothing written; run the missing runs (credsim sweep run), or "
                           "merge what is there with --partial\n");
      return kFailed;
    }
  }
  const std::filesystem::path dir(*out);
  for (const auto& [file, content] : {std::pair{"sweep.json", &m->json}, std::pair{"sweep.csv", &m->csv},
                                      std::pair{"sweep.md", &m->markdown}}) {
    if (absl::Status s = WriteFileAtomic(dir / file, *content); !s.ok()) return Fail(kFailed, s);
  }
  std::printf("Wrote %s/{sweep.json,sweep.csv,sweep.md} (%zu points, %zu of %zu runs)\n", out->c_str(),
              sweep->points(), runs->size() - m->missing.size(), runs->size());
  return kOk;
}

int Report(const Args& args) {
  if (args.positional.size() != 2) return BadInput("sweep report: expected one DIR (holding sweep.json)");
  const std::string dir = args.positional[1];
  const std::string json = (std::filesystem::path(dir) / "sweep.json").string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(json, ec)) {
    return BadInput(fmt::format("{}: no such file; run `credsim sweep merge SWEEP.json --out {}` first", json, dir));
  }
  if (int rc = RunReportScript("credsim_sweep_report.py", "CREDSIM_SWEEP_REPORT_SCRIPT", dir, json); rc != kOk) {
    return rc;
  }
  std::printf("Wrote %s/sweep-report.md and its PNG plots (in %s/sweep-plots/)\n", dir.c_str(), dir.c_str());
  return kOk;
}

}  // namespace

int CmdSweep(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 2, {"out", "shard", "shard-count", "threads", "max-requests"},
                        {"partial", "quiet"}, kSweepHelp);
  if (!args) return kBadInput;
  if (args->positional.empty()) {
    std::fputs(kSweepHelp, stderr);
    return kBadInput;
  }
  const std::string& sub = args->positional[0];
  if (sub == "plan") return Plan(*args);
  if (sub == "run") return Run(*args);
  if (sub == "merge") return Merge(*args);
  if (sub == "report") return Report(*args);
  std::fprintf(stderr, "credsim sweep: unknown subcommand \"%s\"; expected plan, run, merge or report\n%s",
               sub.c_str(), kSweepHelp);
  return kBadInput;
}

}  // namespace credsim
