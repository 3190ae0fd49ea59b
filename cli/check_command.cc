#include "cli/check_command.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/check.h"
#include "cli/output_files.h"
#include "fmt/format.h"

namespace credsim {
namespace {

constexpr const char* kCheckHelp = R"(Usage: credsim check RESULTS.json... --baseline BASELINE.json [--tolerance 2%] [--update]
       credsim check RESULTS.json... --baseline BASELINE.json --mode statistical
       credsim check RESULTS.json... [--baseline BASELINE.json] --require 'error_ratio<=0.001'...

Compares, per scenario and strategy, sts_calls, sts_throttled, errors (403/500/502/503)
and auth-latency p99 against the baseline. Lower is better. Results are deterministic
(seeds come from the scenario), so --tolerance 0 works.

  --baseline FILE   baseline file (docs/ci.md describes the format)
  --mode M          exact (default): a metric regresses when it exceeds baseline x
                    (1 + tolerance); for replicated results (credsim run --replications N)
                    the means are compared. statistical: the baseline must hold intervals
                    (--update from replicated results); a metric regresses only when the new
                    mean lies above the baseline's ci95, improves when below it
  --tolerance T     exact mode: e.g. "2%", "0", or a fraction 0.02 (default 0); a bare
                    number must be at most 1 (write "150%" for more)
  --require EXPR    repeatable absolute gate [STRATEGY:]KEY OP NUMBER, OP one of
                    <= < >= > ==, KEY any dotted results key (error_ratio, errors.503,
                    cost_usd.total, windows.<name>.error_ratio, ...); applies to every
                    strategy (or STRATEGY), to the mean when replicated; works without
                    --baseline
  --allow-changed   a scenario whose fingerprint (scenario_sha256, seed, replications)
                    differs from the baseline's is reported but does not fail
  --update          rewrite the baseline with these results (exit 0); replicated results
                    store means and ci95 per metric, and every results' fingerprint

Exit codes: 0 ok, 1 regression, changed scenario or failing gate (one line each),
2 bad input. With GITHUB_ACTIONS=true, findings are also printed as workflow annotations.
)";

}  // namespace

int CmdCheck(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 2, {"baseline", "tolerance", "mode", "require"},
                        {"update", "allow-changed"}, kCheckHelp);
  if (!args) return kBadInput;
  auto baseline_path = Opt(*args, "baseline");
  const std::vector<std::string> gate_texts = Opts(*args, "require");
  if (args->positional.empty() || (!baseline_path && gate_texts.empty())) {
    std::fputs(kCheckHelp, stderr);
    return kBadInput;
  }
  const bool update = Flag(*args, "update");
  if (update && !baseline_path) {
    return Fail(kBadInput, absl::InvalidArgumentError("--update needs --baseline FILE (the file to write)"));
  }
  if (update && !gate_texts.empty()) {
    return Fail(kBadInput, absl::InvalidArgumentError(
                               "--update rewrites the baseline and checks nothing; run the --require "
                               "gates in a separate `credsim check`"));
  }
  std::vector<Gate> gates;
  for (const std::string& t : gate_texts) {
    auto g = ParseGate(t);
    if (!g.ok()) return Fail(kBadInput, g.status());
    gates.push_back(std::move(*g));
  }
  CheckOptions options;
  if (auto m = Opt(*args, "mode")) {
    auto mode = ParseCheckMode(*m);
    if (!mode.ok()) return Fail(kBadInput, mode.status());
    options.mode = *mode;
  }
  auto tolerance_text = Opt(*args, "tolerance");
  if (tolerance_text && options.mode == CheckMode::kStatistical) {
    return Fail(kBadInput, absl::InvalidArgumentError(
                               "--tolerance applies to --mode exact; --mode statistical flags a metric "
                               "only when its new mean lies outside the baseline's ci95"));
  }
  auto tolerance = ParseTolerance(tolerance_text.value_or("0"));
  if (!tolerance.ok()) return Fail(kBadInput, tolerance.status());
  options.tolerance = *tolerance;
  options.allow_changed = Flag(*args, "allow-changed");
  auto docs = ReadAllResults(args->positional);
  if (!docs) return kBadInput;

  CheckReport report;
  if (baseline_path) {
    auto current = BaselineFromResults(*docs, args->positional);
    if (!current.ok()) return Fail(kBadInput, current.status());
    nlohmann::json baseline = nlohmann::json::object();
    std::error_code ec;
    if (!update || std::filesystem::exists(*baseline_path, ec)) {
      auto b = ReadResultsJson(*baseline_path);
      if (!b.ok()) return Fail(kBadInput, b.status());
      if (auto s = ValidateBaseline(*b, *baseline_path); !s.ok()) return Fail(kBadInput, s);
      baseline = std::move(*b);
    }
    if (update) {
      const nlohmann::json updated = UpdateBaseline(baseline, *current);
      if (auto s = WriteFileAtomic(*baseline_path, updated.dump(2) + "\n"); !s.ok()) return Fail(kFailed, s);
      std::printf("Updated %s (%zu scenarios)\n", baseline_path->c_str(), updated["scenarios"].size());
      return kOk;
    }
    auto compared = Compare(baseline, *current, options);
    if (!compared.ok()) {
      return Fail(kBadInput, absl::InvalidArgumentError(
                                 fmt::format("{}: {}", *baseline_path, std::string(compared.status().message()))));
    }
    report = std::move(*compared);
  }
  if (auto s = EvaluateGates(gates, *docs, report); !s.ok()) return Fail(kBadInput, s);

  // Annotations point at the scenario file (so they show on the pull-request diff), or at
  // the baseline for entries the results no longer have.
  std::map<std::string, std::string> scenario_files;
  for (const nlohmann::json& d : *docs) {
    if (d.contains("scenario_file") && d["scenario_file"].is_string()) {
      scenario_files[d["scenario"].get<std::string>()] = d["scenario_file"].get<std::string>();
    }
  }
  for (CheckFinding& f : report.findings) {
    auto it = scenario_files.find(f.scenario);
    f.file = it != scenario_files.end() ? it->second : baseline_path.value_or("");
  }
  const char* gha = std::getenv("GITHUB_ACTIONS");
  const bool annotate = gha && std::string(gha) == "true";
  for (const CheckFinding& f : report.findings) {
    std::puts(f.Line().c_str());
    if (annotate) std::puts(f.GithubAnnotation().c_str());
  }
  std::puts(SummaryLine(report, options, baseline_path.has_value(), gates.size()).c_str());
  return report.failed() ? kFailed : kOk;
}

}  // namespace credsim
