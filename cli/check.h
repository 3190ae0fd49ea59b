// CI regression check: compares results against a committed baseline.
//
// Compared per (scenario, strategy), lower is better: sts_calls, sts_throttled, errors
// (403/500/502/503) and auth_latency_ms.p99. A metric regresses when now > baseline ×
// (1 + tolerance) (tolerance 0: any increase); it improves when now < baseline × (1 −
// tolerance). A (scenario, strategy) in the baseline but missing from the results is a
// failure (coverage must not vanish silently); one missing from the baseline is reported
// as new. Baseline format (docs/ci.md):
//   {"credsim_version": "...", "scenarios": {"<scenario>": {"<strategy>": {"sts_calls": 12,
//    "sts_throttled": 0, "errors": {"403": 0, ...}, "auth_p99_ms": 180.5}}}}
#ifndef CREDSIM_CLI_CHECK_H_
#define CREDSIM_CLI_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace credsim {

struct CheckFinding {
  enum class Kind { kRegression, kImprovement, kMissingFromResults, kMissingFromBaseline } kind;
  std::string scenario, strategy, metric;
  double baseline = 0, now = 0;
  // The scenario file the finding is about (annotations point at it); empty if unknown.
  std::string file;
  std::string Line() const;            // one human line
  // ::error / ::notice workflow command, escaped per GitHub's rules (message: % CR LF;
  // properties also : and ,) so that no name can inject a command; file= when known.
  std::string GithubAnnotation() const;
};

// GitHub workflow-command escaping.
std::string EscapeWorkflowData(const std::string& s);
std::string EscapeWorkflowProperty(const std::string& s);

struct CheckReport {
  std::vector<CheckFinding> findings;
  size_t compared = 0;  // metrics compared
  bool failed() const;
};

// Parses "2%", "0.5%", "0" or "0.02" into a fraction; error names the accepted forms. A bare
// number above 1 ("2" = 200 %?) is rejected: above 100 % must be spelled with "%".
absl::StatusOr<double> ParseTolerance(const std::string& text);

// Extracts the checked metrics of results documents into baseline form; errors name the
// file and JSON path. Two results for one scenario are an error naming both files (the
// verdict must not depend on argument order).
absl::StatusOr<nlohmann::json> BaselineFromResults(const std::vector<nlohmann::json>& results,
                                                   const std::vector<std::string>& names);
// Validates a baseline document.
absl::Status ValidateBaseline(const nlohmann::json& baseline, const std::string& name);

// `current` is in baseline form (BaselineFromResults).
CheckReport Compare(const nlohmann::json& baseline, const nlohmann::json& current, double tolerance);

// Baseline with the scenarios of `current` replaced (others kept).
nlohmann::json UpdateBaseline(const nlohmann::json& baseline, const nlohmann::json& current);

}  // namespace credsim

#endif  // CREDSIM_CLI_CHECK_H_
