#include "cli/fingerprint.h"

#include "cli/json_file.h"
#include "cli/results.h"
#include "cli/sha256.h"

namespace credsim {

absl::StatusOr<std::string> ScenarioSha256(const Scenario& scenario) {
  Sha256 h;
  h.Update("credsim scenario\n");
  // seed and replications are recorded beside the hash (ResultsFingerprint): a changed seed
  // reads as a changed seed, not as a changed scenario.
  nlohmann::json doc = scenario.source;
  if (doc.is_object()) {
    doc.erase("seed");
    doc.erase("replications");
  }
  h.Update(doc.dump());
  if (scenario.world.traffic.trace) {
    absl::StatusOr<std::string> bytes =
        ReadRegularFile(scenario.world.traffic.trace->path, static_cast<size_t>(kMaxTraceFileBytes));
    if (!bytes.ok()) return bytes.status();
    h.Update("\ntrace\n");
    h.Update(*bytes);
  }
  return h.HexDigest();
}

nlohmann::json ResultsFingerprint(const Scenario& scenario, const std::string& scenario_sha256) {
  return {{"scenario_sha256", scenario_sha256},
          {"seed", scenario.world.seed},
          {"replications", scenario.replications},
          {"credsim_version", Version()}};
}

}  // namespace credsim
