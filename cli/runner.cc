#include "cli/runner.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "cli/fingerprint.h"
#include "cli/progress_line.h"
#include "cli/replicated_results.h"
#include "cli/results.h"
#include "cli/work_estimate.h"
#include "cli/worker_pool.h"
#include "fmt/format.h"
#include "sim/world/run_progress.h"
#include "sim/world/world.h"
#include "strategies/ports/strategy.h"
#include "strategies/registry.h"

namespace credsim {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kRedrawInterval = std::chrono::milliseconds(250);

// One scenario's share of the runs: cells [first_cell, first_cell + cells), replication-major.
struct Job {
  const Scenario* scenario = nullptr;
  std::vector<uint64_t> seeds;
  size_t first_cell = 0;
  size_t cells = 0;
  double expected = 0;   // expected requests per run (for the live line only)
  double horizon = 0;    // simulated seconds per run, warm-up included
  ReplicationRuns runs;  // written by the runs, each into its own slot
};

// Which runs are in progress and how far the others got, for the progress lines. Every
// member is guarded by mu_; a worker registers its run for as long as the run's RunProgress
// lives.
class ProgressBoard {
 public:
  ProgressBoard(const std::vector<Job>& jobs, int workers) : jobs_(jobs), slots_(static_cast<size_t>(workers)) {
    for (const Job& j : jobs) {
      total_expected_ += j.expected * static_cast<double>(j.cells);
      total_runs_ += j.cells;
    }
    done_per_job_.assign(jobs.size(), 0);
  }

  void Start(int worker, size_t job, size_t cell, const RunProgress* progress) {
    std::lock_guard<std::mutex> lock(mu_);
    slots_[static_cast<size_t>(worker)] = Slot{job, cell, progress};
  }

  void Finish(int worker) {
    std::lock_guard<std::mutex> lock(mu_);
    Slot& s = slots_[static_cast<size_t>(worker)];
    if (s.progress == nullptr) return;
    done_arrivals_ += static_cast<double>(s.progress->arrivals.load(std::memory_order_relaxed));
    done_expected_ += jobs_[s.job].expected;
    ++runs_done_;
    s = Slot{};
  }

  // The number of finished runs of `job`, this one included (for "k/N" of the run lines).
  size_t CountFinished(size_t job) {
    std::lock_guard<std::mutex> lock(mu_);
    return ++done_per_job_[job];
  }

  ProgressSnapshot Snapshot() {
    std::vector<Slot> running;
    ProgressSnapshot s;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const Slot& slot : slots_) {
        if (slot.progress == nullptr) continue;
        running.push_back(slot);
        ProgressSnapshot::Running& r = s.running.emplace_back();
        r.sim_seconds = static_cast<double>(slot.progress->sim_nanos.load(std::memory_order_relaxed)) * 1e-9;
        r.arrivals = static_cast<double>(slot.progress->arrivals.load(std::memory_order_relaxed));
      }
      s.runs_done = runs_done_;
      s.done_arrivals = done_arrivals_;
      s.done_expected = done_expected_;
    }
    s.runs_total = total_runs_;
    s.total_expected = total_expected_;
    for (size_t k = 0; k < running.size(); ++k) {
      const Job& job = jobs_[running[k].job];
      const size_t n = job.scenario->strategies.size();
      const size_t task = running[k].cell - job.first_cell;
      ProgressSnapshot::Running& r = s.running[k];
      r.scenario = job.scenario->name;
      r.strategy = job.scenario->strategies[task % n].name;
      r.replication = task / n;
      r.replications = job.seeds.size();
      r.horizon_seconds = job.horizon;
      r.expected = job.expected;
    }
    // In run order (slots are per worker).
    std::vector<size_t> order(running.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return running[a].cell < running[b].cell; });
    std::vector<ProgressSnapshot::Running> sorted;
    for (size_t k : order) sorted.push_back(std::move(s.running[k]));
    s.running = std::move(sorted);
    return s;
  }

 private:
  struct Slot {
    size_t job = 0;
    size_t cell = 0;
    const RunProgress* progress = nullptr;  // null: the worker runs nothing
  };
  const std::vector<Job>& jobs_;
  std::mutex mu_;
  std::vector<Slot> slots_;  // [worker]
  std::vector<size_t> done_per_job_;
  size_t runs_done_ = 0;
  size_t total_runs_ = 0;
  double done_arrivals_ = 0;
  double done_expected_ = 0;
  double total_expected_ = 0;
};

// Registers a run on the board for the lifetime of the guard.
class BoardEntry {
 public:
  BoardEntry(ProgressBoard& board, int worker, size_t job, size_t cell, const RunProgress* p)
      : board_(board), worker_(worker) {
    board_.Start(worker, job, cell, p);
  }
  ~BoardEntry() { board_.Finish(worker_); }
  BoardEntry(const BoardEntry&) = delete;
  BoardEntry& operator=(const BoardEntry&) = delete;

 private:
  ProgressBoard& board_;
  int worker_;
};

size_t TerminalWidth(std::FILE* out) {
  winsize ws{};
  if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return std::min<size_t>(80, ws.ws_col);
  return 80;
}

absl::StatusOr<std::unique_ptr<Strategy>> CreateStrategy(const StrategySpec& spec, size_t i,
                                                         const RunOptions& options) {
  JsonReader params(spec.params, fmt::format("strategies[{}].params", i));
  if (options.create_strategy) return options.create_strategy(spec, params);
  const StrategyRegistration* reg = FindStrategy(spec.kind);
  if (reg == nullptr) return absl::InvalidArgumentError("unknown strategy " + spec.kind);
  return reg->create(params);
}

// Runs cell `cell` (replication r, strategy i of `job`) and stores its result in job.runs.
absl::Status RunCell(Job& job, size_t job_index, size_t cell, int worker, const RunOptions& options,
                     ProgressBoard& board, ProgressLine* lines) {
  const Scenario& scenario = *job.scenario;
  const size_t n = scenario.strategies.size();
  const size_t r = (cell - job.first_cell) / n, i = (cell - job.first_cell) % n;
  const StrategySpec& spec = scenario.strategies[i];
  try {
    absl::StatusOr<std::unique_ptr<Strategy>> strategy = CreateStrategy(spec, i, options);
    if (!strategy.ok()) return strategy.status();
    // Wall-clock time is used for the progress lines only; it never reaches the simulation.
    const auto t0 = Clock::now();
    WorldConfig config = scenario.world;
    config.seed = job.seeds[r];
    RunProgress progress;
    BoardEntry entry(board, worker, job_index, cell, &progress);
    World world(config, scenario.trace, **strategy);
    world.set_progress(&progress);
    const RunMetrics& m = world.Run();
    if (world.failed()) {
      return absl::InternalError(fmt::format("strategy {}: {}", spec.name, world.failure_message()));
    }
    nlohmann::json result = StrategyResult(spec, (*strategy)->params(), m, config);
    job.runs.values[r][i] = ScalarValues(result);
    if (r == 0) job.runs.first[i] = std::move(result);
    if (options.progress) {
      const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      const std::string rep =
          job.seeds.size() > 1 ? fmt::format(" (replication {}, seed {})", r, job.seeds[r]) : "";
      lines->Print(fmt::format("[{}] {}/{} {}{}: {} requests, {} STS calls ({:.1f} s)", scenario.name,
                               board.CountFinished(job_index), job.cells, spec.name, rep, m.requests,
                               m.sts_calls, secs));
    }
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::InternalError(fmt::format("strategy {}: {}", spec.name, e.what()));
  }
}

// Runs every cell of `jobs` on one pool and calls done(j) on this thread, in job order, once
// job j's cells have all succeeded (job j's runs are complete then). Errors: the first in the
// order (job 0's cells, done(0), job 1's cells, ...).
absl::Status RunJobs(std::vector<Job>& jobs, const RunOptions& options,
                     const std::function<absl::Status(size_t job)>& done) {
  size_t cells = 0;
  for (Job& job : jobs) {
    const size_t n = job.scenario->strategies.size();
    job.first_cell = cells;
    job.cells = n * job.seeds.size();
    job.runs.first.assign(n, nlohmann::json());
    job.runs.values.assign(job.seeds.size(), std::vector<nlohmann::json>(n));
    if (options.live_progress) {
      job.expected = EstimateWork(*job.scenario).requests_per_strategy;
      job.horizon = (job.scenario->world.warmup + job.scenario->world.duration).seconds();
    }
    cells += job.cells;
  }
  const int threads = options.threads > 0 ? options.threads : DefaultThreads();
  const int workers = static_cast<int>(std::max<size_t>(1, std::min(static_cast<size_t>(threads), cells)));
  std::FILE* out = options.progress_out != nullptr ? options.progress_out : stderr;
  std::optional<ProgressLine> lines;
  if (options.progress || options.live_progress) lines.emplace(out);
  ProgressBoard board(jobs, workers);
  const auto job_of = [&](size_t cell) {
    // The last job starting at or before `cell` (jobs without cells share the next start).
    auto it = std::upper_bound(jobs.begin(), jobs.end(), cell,
                               [](size_t c, const Job& j) { return c < j.first_cell; });
    return static_cast<size_t>(it - jobs.begin()) - 1;
  };
  WorkerPool pool(cells, workers, [&](size_t cell, int worker) {
    const size_t j = job_of(cell);
    return RunCell(jobs[j], j, cell, worker, options, board, lines ? &*lines : nullptr);
  });

  const Clock::time_point start = Clock::now();
  RateWindow rate;
  Clock::time_point next_draw = options.live_progress ? start + options.live_progress_after
                                                      : Clock::time_point::max();
  for (size_t j = 0; j < jobs.size(); ++j) {
    const size_t end = jobs[j].first_cell + jobs[j].cells;
    WorkerPool::Wait w;
    while ((w = pool.WaitForPrefix(end, next_draw)) == WorkerPool::Wait::kTimeout) {
      const Clock::time_point now = Clock::now();
      const double elapsed = std::chrono::duration<double>(now - start).count();
      ProgressSnapshot snapshot = board.Snapshot();
      double simulated = snapshot.done_arrivals;
      for (const ProgressSnapshot::Running& r : snapshot.running) simulated += r.arrivals;
      snapshot.rate = rate.Add(elapsed, simulated);
      lines->Draw(FormatProgressLine(snapshot, elapsed, TerminalWidth(out)));
      next_draw = now + kRedrawInterval;
    }
    if (lines) lines->Erase();
    if (w == WorkerPool::Wait::kHalted) {
      // A run failed: the runs below it have all started and now end; job j is complete
      // only if the failure lies beyond it.
      next_draw = Clock::time_point::max();
      absl::Status failure = pool.Join();
      if (pool.SucceededPrefix() < end) return failure;
    }
    if (absl::Status s = done(j); !s.ok()) {
      pool.Stop();
      pool.Join().IgnoreError();  // a later run's failure comes after this error
      return s;
    }
  }
  return pool.Join();
}

// RunScenarios over scenarios held elsewhere.
absl::Status RunScenarioList(const std::vector<const Scenario*>& scenarios, const RunOptions& options,
                             const ScenarioResultsSink& sink) {
  std::map<std::string, std::string> trace_cache;
  std::vector<std::string> shas;
  for (const Scenario* sc : scenarios) {
    absl::StatusOr<std::string> sha = ScenarioSha256(*sc, &trace_cache);
    if (!sha.ok()) return sha.status();
    shas.push_back(*std::move(sha));
  }
  std::vector<Job> jobs(scenarios.size());
  for (size_t j = 0; j < scenarios.size(); ++j) {
    jobs[j].scenario = scenarios[j];
    jobs[j].seeds = ReplicationSeeds(*scenarios[j]);
  }
  return RunJobs(jobs, options, [&](size_t j) {
    const Scenario& sc = *scenarios[j];
    ReplicationRuns runs = std::move(jobs[j].runs);  // released when handed on
    std::vector<nlohmann::json> entries;
    for (size_t i = 0; i < sc.strategies.size(); ++i) {
      std::vector<nlohmann::json> values;
      for (const auto& rep : runs.values) values.push_back(rep[i]);
      entries.push_back(Replicate(std::move(runs.first[i]), values, jobs[j].seeds));
    }
    nlohmann::json results = ScenarioResult(sc, std::move(entries));
    results["fingerprint"] = ResultsFingerprint(sc, shas[j]);
    return sink(j, std::move(results));
  });
}

}  // namespace

int DefaultThreads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp<unsigned>(cores, 1, 256));
}

std::vector<uint64_t> ReplicationSeeds(const Scenario& scenario) {
  std::vector<uint64_t> seeds;
  for (uint64_t r = 0; r < scenario.replications; ++r) seeds.push_back(scenario.world.seed + r);
  return seeds;
}

absl::StatusOr<ReplicationRuns> RunReplications(const Scenario& scenario,
                                                const std::vector<uint64_t>& seeds,
                                                const RunOptions& options) {
  std::vector<Job> jobs(1);
  jobs[0].scenario = &scenario;
  jobs[0].seeds = seeds;
  if (absl::Status s = RunJobs(jobs, options, [](size_t) { return absl::OkStatus(); }); !s.ok()) return s;
  return std::move(jobs[0].runs);
}

absl::Status RunScenarios(const std::vector<Scenario>& scenarios, const RunOptions& options,
                          const ScenarioResultsSink& sink) {
  std::vector<const Scenario*> pointers;
  for (const Scenario& sc : scenarios) pointers.push_back(&sc);
  return RunScenarioList(pointers, options, sink);
}

absl::StatusOr<nlohmann::json> RunScenario(const Scenario& scenario, const RunOptions& options) {
  nlohmann::json out;
  absl::Status s = RunScenarioList({&scenario}, options, [&](size_t, nlohmann::json results) {
    out = std::move(results);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace credsim
