#include "cli/fingerprint.h"

#include "cli/json_file.h"
#include "cli/results.h"
#include "cli/sha256.h"

namespace credsim {

absl::StatusOr<std::string> ScenarioSha256(const Scenario& scenario,
                                          std::map<std::string, std::string>* trace_cache) {
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
    // The trace enters as the SHA-256 of its bytes (so a cache can hold 64 characters, not
    // up to 256 MiB).
    const std::string& path = scenario.world.traffic.trace->path;
    std::string trace_sha;
    if (auto it = trace_cache ? trace_cache->find(path) : std::map<std::string, std::string>::iterator();
        trace_cache && it != trace_cache->end()) {
      trace_sha = it->second;
    } else {
      absl::StatusOr<std::string> bytes = ReadRegularFile(path, static_cast<size_t>(kMaxTraceFileBytes));
      if (!bytes.ok()) return bytes.status();
      trace_sha = Sha256Hex(*bytes);
      if (trace_cache) (*trace_cache)[path] = trace_sha;
    }
    h.Update("\ntrace sha256 ");
    h.Update(trace_sha);
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
