// Scenario: a validated scenario file — the world, the traffic, duration, warm-up, seed and
// the strategies to run. Loading checks everything (strategy parameters included, by
// building each strategy once) so that `credsim validate` and `credsim run` reject the same
// files, with errors that start with the JSON path and say what is accepted.
#ifndef CREDSIM_CLI_SCENARIO_H_
#define CREDSIM_CLI_SCENARIO_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sim/config/json_reader.h"
#include "sim/world/traffic.h"
#include "sim/world/world_config.h"

namespace credsim {

struct StrategySpec {
  std::string name;        // unique label in reports
  std::string kind;        // registry kind
  nlohmann::json params;   // as written (defaults are applied by the strategy)
};

struct Scenario {
  std::string name;
  std::string description;
  std::string claim;       // what the scenario demonstrates
  std::string path;
  WorldConfig world;
  std::vector<StrategySpec> strategies;
  std::shared_ptr<const Trace> trace;  // set when the traffic replays a trace
  // Independent replications: replication r runs every strategy with seed world.seed + r
  // (common random numbers across strategies). `credsim run --replications N` overrides it.
  uint64_t replications = 1;
  // The document as parsed (before defaults): what the fingerprint and sweep storage keys
  // hash (cli/fingerprint.h).
  nlohmann::json source;
};

// Replications accepted by the scenario field and --replications.
inline constexpr uint64_t kMaxReplications = 1000;

// Scenario names become output directories (`--out`/<name>): 1 to kMaxScenarioNameBytes
// characters from [A-Za-z0-9._-], the first a letter or digit. Free text (description,
// claim) is copied into every output and is capped at kMaxFreeTextBytes.
inline constexpr size_t kMaxScenarioNameBytes = 64;
inline constexpr size_t kMaxFreeTextBytes = 4096;
// Strategy names (labels in tables, CSV and annotations): 1 to 64 bytes, no control
// characters or commas.
inline constexpr size_t kMaxStrategyNameBytes = 64;
absl::Status CheckScenarioName(const std::string& name);

// Parses a scenario document. `base_dir` resolves relative paths (the trace file);
// `default_name` is used when the file has no "name". When `log` is set, every key path the
// loader knows about is recorded (see JsonReader).
absl::StatusOr<Scenario> ParseScenario(const nlohmann::json& j, const std::string& default_name,
                                       const std::string& base_dir, ParamLog* log = nullptr);
// Reads and parses a file (cli/json_file.h: a regular file, strict JSON); errors are
// prefixed with the file name.
absl::StatusOr<Scenario> LoadScenario(const std::string& path);

// Keeps only the strategies named in `filter` ("all" or a comma-separated list of names or
// kinds). Kinds that the scenario does not list are added with default parameters.
absl::Status SelectStrategies(const std::string& filter, Scenario* scenario);

}  // namespace credsim

#endif  // CREDSIM_CLI_SCENARIO_H_
