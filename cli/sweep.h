// Sweeps: a sweep file names a scenario, axes (scenario JSON paths and the values each takes),
// replications and a seed. The runs are the Cartesian product of the axes' values (the points,
// first axis slowest) times the replications: run i = point * replications + replication, with
// seed `seed + replication` (the same seeds at every point and for every strategy: common
// random numbers). Each run is addressable (its index), restartable and deterministic, and is
// stored under a key that hashes what it simulates, so a grown axis reuses finished runs.
// docs/sweeps.md describes the file; scenarios/sweeps/schema.json is its schema.
//
// Axis paths are the paths of docs/scenarios.md: "traffic.rate", "world.sts.stall_probability",
// "traffic.bursts[0].rate" (an array element by index), "strategies[].params<l1>.variant"
// (every strategy entry of kind l1), "strategies[kv].params.l1_ttl" (the strategy named kv).
// Missing objects on the way are created; an axis that selects nothing is an error. "seed" and
// "replications" are the sweep's own fields and cannot be axes.
#ifndef CREDSIM_CLI_SWEEP_H_
#define CREDSIM_CLI_SWEEP_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/scenario.h"
#include "nlohmann/json.hpp"
#include "sim/config/param.h"

namespace credsim {

inline constexpr size_t kMaxSweepFileBytes = size_t{1} << 20;
inline constexpr size_t kMaxSweepAxes = 8;
inline constexpr size_t kMaxSweepPoints = 100000;
inline constexpr size_t kMaxSweepRuns = 1000000;

struct SweepAxis {
  std::string path;
  std::vector<nlohmann::json> values;
};

struct Sweep {
  std::string name;
  std::string path;           // the sweep file
  std::string scenario_path;  // resolved against the sweep file's directory
  nlohmann::json scenario_doc;
  std::vector<SweepAxis> axes;
  uint64_t replications = 1;
  uint64_t seed = 1;          // default: the scenario's seed
  std::string strategies;     // optional --strategies filter ("" = the scenario's list)

  size_t points() const;
  size_t runs() const { return points() * replications; }
  // The axis values of point p (p < points()), one per axis, first axis slowest.
  std::vector<nlohmann::json> PointValues(size_t point) const;
};

struct SweepRun {
  size_t index = 0, point = 0, replication = 0;
  uint64_t seed = 0;
  std::string key;  // storage key: 20 hex digits
};

// Reads and validates a sweep file (strict JSON, key order of "axes" kept). Errors start with
// the file name and the JSON path, and say what is accepted. The points' scenarios are
// validated by PlanSweep, which every command calls next.
absl::StatusOr<Sweep> LoadSweep(const std::string& path);

// The scenario of point p with seed `seed` and one replication (strategies filtered).
absl::StatusOr<Scenario> PointScenario(const Sweep& sweep, size_t point, uint64_t seed);

// Every run of the sweep, in index order, with its storage key. Builds and validates every
// point's scenario once (an axis value the scenario rejects is an error naming the point, the
// axis values and the scenario's message: the sweep fails before anything runs, not in shard
// 7 of 40), and reads each trace file once.
absl::StatusOr<std::vector<SweepRun>> PlanSweep(const Sweep& sweep);

// The sweep file's own fields (name, scenario, axes present, replications, seed, strategies),
// declared once: LoadSweep reads them with this, and `credsim schema --sweep` / `credsim docs
// --sweep` generate scenarios/sweeps/schema.json and the table of docs/sweeps.md from the
// declarations it records in `log`.
absl::Status ReadSweepFields(const nlohmann::json& j, const std::string& path, ParamLog* log,
                             Sweep* sweep, std::string* scenario, bool* has_seed);

// The declarations of ReadSweepFields (from a built-in document).
absl::StatusOr<ParamLog> DeclaredSweepParams();

// Sets `value` at `path` in a scenario document (see the header comment for the syntax).
absl::Status ApplyAxis(nlohmann::json& doc, const std::string& path, const nlohmann::json& value);

// "K/N" (0-based, K < N) into {K, N}; errors say what is accepted.
absl::StatusOr<std::pair<uint64_t, uint64_t>> ParseShard(const std::string& text);
// --shard auto: the index and count from a cluster engine's environment: Slurm arrays
// (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT), AWS Batch arrays (AWS_BATCH_JOB_ARRAY_INDEX,
// AWS_BATCH_JOB_ARRAY_SIZE), Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX; the count is not
// in its environment and must come from `count`). `env` looks a variable up (tests inject it).
absl::StatusOr<std::pair<uint64_t, uint64_t>> ShardFromEnvironment(
    const std::function<const char*(const char*)>& env, std::optional<uint64_t> count);

}  // namespace credsim

#endif  // CREDSIM_CLI_SWEEP_H_
