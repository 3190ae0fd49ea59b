// The fingerprint of a scenario: what a baseline or a stored sweep run was computed from.
//
// Contract: ScenarioSha256() is the SHA-256 (hex) of the scenario document as parsed
// (Scenario::source without its "seed" and "replications", which the fingerprint records
// separately; serialised by nlohmann::json, whose objects are key-sorted: formatting and key
// order of the file do not matter) followed by the SHA-256 of the trace file it replays, if
// any. `trace_cache` (optional) maps trace paths to their SHA-256, so a sweep reads each
// trace file once. Any change of a value, a default made explicit included, changes it; whitespace does
// not. ResultsFingerprint() is the "fingerprint" object of results.json.
#ifndef CREDSIM_CLI_FINGERPRINT_H_
#define CREDSIM_CLI_FINGERPRINT_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "cli/scenario.h"
#include "nlohmann/json.hpp"

namespace credsim {

// Errors: the trace file cannot be read (named).
absl::StatusOr<std::string> ScenarioSha256(const Scenario& scenario,
                                          std::map<std::string, std::string>* trace_cache = nullptr);

// {"scenario_sha256", "seed", "replications", "credsim_version"}.
nlohmann::json ResultsFingerprint(const Scenario& scenario, const std::string& scenario_sha256);

}  // namespace credsim

#endif  // CREDSIM_CLI_FINGERPRINT_H_
