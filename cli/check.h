// CI regression check: compares results against a committed baseline, and absolute gates.
//
// Compared per (scenario, strategy), lower is better: sts_calls, sts_throttled, errors
// (403/500/502/503) and auth_latency_ms.p99 (docs/ci.md). Two modes:
//  * exact (the default): a metric regresses when now > baseline × (1 + tolerance)
//    (tolerance 0: any increase); it improves when now < baseline × (1 − tolerance). For
//    replicated results (a strategy entry with "stats" of n > 1) the values compared are the
//    means of the replications, and the finding lines say so.
//  * statistical: the baseline entry must carry intervals (recorded with --update from
//    replicated results); a metric regresses only when the new mean lies above the baseline's
//    ci95 upper bound, and improves when it lies below the lower bound. The false-alarm rate
//    of this rule for an unchanged model re-run with independent seeds is
//    StatisticalFalseAlarmRate(n).
// A (scenario, strategy) in the baseline but missing from the results is a failure (coverage
// must not vanish silently); one missing from the baseline is reported as new.
//
// Fingerprints: the baseline records per scenario the results' "fingerprint"
// (scenario_sha256, seed, replications, credsim_version). When both sides have one and
// scenario_sha256, seed or replications differ, the scenario is reported once as changed, its
// metrics are not compared, and the check fails unless allow_changed. A changed
// credsim_version alone is a notice; so is a changed seed in statistical mode, whose interval
// rule is made for comparing runs with different seeds.
//
// Baseline format (docs/ci.md):
//   {"credsim_version": "...",
//    "scenarios": {"<scenario>": {"<strategy>": {"sts_calls": 12, "sts_throttled": 0,
//        "errors": {"403": 0, ...}, "auth_p99_ms": 180.5,
//        "stats": {"sts_calls": {"n": 10, "mean": 12, "ci95": [11, 13]}, ...}}}},   (optional)
//    "fingerprints": {"<scenario>": {"scenario_sha256": "...", "seed": 1,
//                                    "replications": 10, "credsim_version": "..."}}} (optional)
// "stats" is present only for replicated results and then holds all seven metrics (the plain
// values are then the means).
#ifndef CREDSIM_CLI_CHECK_H_
#define CREDSIM_CLI_CHECK_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace credsim {

struct CheckFinding {
  enum class Kind {
    kRegression,
    kImprovement,
    kMissingFromResults,
    kMissingFromBaseline,
    kScenarioChanged,  // fingerprint differs: `detail` says how; metrics not compared
    kFingerprintNotice,  // only credsim_version (or, statistical mode, seed) differs: a notice
    kGateFailed,       // --require: metric = key, now = value, detail = the gate
  } kind;
  std::string scenario, strategy, metric;
  double baseline = 0, now = 0;
  // The scenario file the finding is about (annotations point at it); empty if unknown.
  std::string file;
  // Replications behind `now` (> 1: `now` is a mean, and the line says so).
  size_t now_n = 1;
  // Statistical mode: the baseline's ci95 and replications (`baseline` is its mean).
  bool statistical = false;
  double baseline_lo = 0, baseline_hi = 0;
  size_t baseline_n = 1;
  std::string detail = std::string();
  // kScenarioChanged accepted with --allow-changed: printed, not a failure.
  bool allowed = false;

  bool Failing() const;
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
  size_t compared = 0;       // metrics compared
  size_t replicated = 0;     // (scenario, strategy) entries compared whose values are means
  size_t gate_values = 0;    // values checked against --require gates
  bool failed() const;
  size_t failing() const;    // findings that fail the check
};

enum class CheckMode { kExact, kStatistical };

struct CheckOptions {
  CheckMode mode = CheckMode::kExact;
  double tolerance = 0;        // exact mode only
  bool allow_changed = false;  // a changed fingerprint is printed but does not fail
};

// "exact" or "statistical"; the error names the accepted values.
absl::StatusOr<CheckMode> ParseCheckMode(const std::string& text);

// Parses "2%", "0.5%", "0" or "0.02" into a fraction; error names the accepted forms. A bare
// number above 1 ("2" = 200 %?) is rejected: above 100 % must be spelled with "%".
absl::StatusOr<double> ParseTolerance(const std::string& text);

// Extracts the checked metrics (the means and intervals of replicated results) and the
// fingerprints of results documents into baseline form; errors name the file and JSON path.
// Two results for one scenario are an error naming both files (the verdict must not depend on
// argument order).
absl::StatusOr<nlohmann::json> BaselineFromResults(const std::vector<nlohmann::json>& results,
                                                   const std::vector<std::string>& names);
// Validates a baseline document.
absl::Status ValidateBaseline(const nlohmann::json& baseline, const std::string& name);

// `current` is in baseline form (BaselineFromResults). Errors (statistical mode on a baseline
// entry without intervals) name the JSON path of the entry.
absl::StatusOr<CheckReport> Compare(const nlohmann::json& baseline, const nlohmann::json& current,
                                    const CheckOptions& options);
// Exact mode at `tolerance` (never an error on validated input).
CheckReport Compare(const nlohmann::json& baseline, const nlohmann::json& current, double tolerance);

// The last line of `credsim check`: "credsim check: 14 metrics compared, tolerance 0%: ok",
// naming the mode, the means of replicated results and the gates when they apply, and ending
// in ": ok" or ": <k> failing". `compared_baseline`: a baseline was given; `gates`: how many.
std::string SummaryLine(const CheckReport& report, const CheckOptions& options, bool compared_baseline,
                        size_t gates);

// Baseline with the scenarios (and their fingerprints) of `current` replaced, others kept.
nlohmann::json UpdateBaseline(const nlohmann::json& baseline, const nlohmann::json& current);

// The statistical rule for one metric: +1 regression (now_mean > hi), -1 improvement
// (now_mean < lo), 0 otherwise.
int StatisticalVerdict(double lo, double hi, double now_mean);

// Probability that the statistical rule flags a regression for an unchanged model re-run with
// independent seeds, n replications on both sides, replication values i.i.d. normal:
//   P(mean_new > mean_b + t s_b / sqrt(n)),  t = t_{0.975, n-1}
//   = P(T_{n-1} > t / sqrt(2))  exactly (docs/ci.md has the derivation),
// where T_{n-1} is Student's t with n - 1 degrees of freedom. n >= 2. The improvement rate is
// the same by symmetry.
double StatisticalFalseAlarmRate(int n);

// ---------------------------------------------------------------------------------------------
// Absolute gates: --require '[STRATEGY:]KEY OP NUMBER'.

struct Gate {
  enum class Op { kLe, kLt, kGe, kGt, kEq } op;
  std::string text;  // as given
  std::string lhs;   // "[STRATEGY:]KEY", resolved against the results by EvaluateGates
  double value = 0;
  bool Holds(double v) const;
  std::string OpText() const;  // "<=", ...
};

// Parses a gate: the operator is the last run of '<', '>', '=' characters (one of <= < >= >
// ==), the number after it a finite decimal, the text before it [STRATEGY:]KEY (spaces around
// the parts are ignored). Errors name the expression and the accepted grammar.
absl::StatusOr<Gate> ParseGate(const std::string& text);

// Every numeric leaf of a results strategy entry that is not inside an array, as a dotted key
// ("sts_calls", "errors.503", "windows.<name>.error_ratio"), skipping the "stats",
// "replications" and "vs_baseline" subtrees; sorted.
std::vector<std::pair<std::string, double>> FlattenNumeric(const nlohmann::json& entry);

// Up to 5 of `known` close to `key` (Levenshtein distance <= max(2, |key| / 3), or one a
// prefix of the other), closest first, ties alphabetical.
std::vector<std::string> CloseKeys(const std::string& key, const std::vector<std::string>& known);

// Applies each gate to every strategy of every results document (or only STRATEGY), to the
// mean when the entry has "stats" with n > 1 for the key, else to the single value. A failing
// gate is one kGateFailed finding. Input errors (exit 2): a key no strategy has (naming the
// key and up to 5 close keys), a STRATEGY no results file has.
absl::Status EvaluateGates(const std::vector<Gate>& gates, const std::vector<nlohmann::json>& results,
                           CheckReport& report);

}  // namespace credsim

#endif  // CREDSIM_CLI_CHECK_H_
