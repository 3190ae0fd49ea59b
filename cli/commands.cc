#include "cli/commands.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/check.h"
#include "cli/results.h"
#include "cli/runner.h"
#include "cli/scenario.h"
#include "fmt/format.h"
#include "strategies/registry.h"

namespace credsim {
namespace {

constexpr int kOk = 0, kFailed = 1, kBadInput = 2;

constexpr const char* kMainHelp = R"(credsim - measure credential-caching strategies for edge workers before building them

Usage: credsim <command> [options]

Commands:
  run SCENARIO.json...      run every strategy of each scenario on identical traffic
  validate SCENARIO.json... check scenario files without running them
  compare RESULTS.json...   side-by-side Markdown table of results files
  report RESULTS.json       PNG plots and a Markdown report (matplotlib)
  check RESULTS.json...     compare against a baseline (CI regression gate)

Options:
  --help       show help (also: credsim <command> --help)
  --version    print the version

Exit codes: 0 success, 1 failure or regression, 2 bad input (nothing written).
Docs: docs/scenarios.md, docs/results.md, docs/ci.md.
)";

constexpr const char* kRunHelp = R"(Usage: credsim run SCENARIO.json... [--strategies a,b|all] [--seed N] [--out DIR] [--threads N] [--quiet]

Runs every selected strategy of each scenario on identical traffic (same seed: paired
comparison), prints a comparison table and writes, per scenario:
  DIR/<scenario>/results.json    all measurements (docs/results.md)
  DIR/<scenario>/summary.md      the comparison table
  DIR/<scenario>/timeseries.csv  requests, STS calls and errors per interval

  --strategies LIST  "all" (every registered kind) or names/kinds, comma-separated
                     (default: the scenario's own list)
  --seed N           override the scenario seed
  --out DIR          output directory (default: out)
  --threads N        strategies run in parallel (default 2)
  --quiet            no progress lines on stderr (shown by default when stderr is a terminal)
)";

constexpr const char* kValidateHelp = R"(Usage: credsim validate SCENARIO.json...

Checks scenario files (schema, values, strategy parameters, trace files) without running
them. Errors name the JSON path and the accepted values. Exit 0 if all are valid, 2 if not.
)";

constexpr const char* kCompareHelp = R"(Usage: credsim compare RESULTS.json... [--out FILE]

Prints a side-by-side Markdown table of the strategies of one or more results files;
--out also writes it to FILE.
)";

constexpr const char* kReportHelp = R"(Usage: credsim report RESULTS.json [--out DIR]

Runs reports/credsim_report.py with a Python interpreter that can import matplotlib
($CREDSIM_PYTHON, then /usr/bin/python3, then python3 on PATH) and writes PNG plots (STS
calls over time, auth-latency CDF, errors and cost) and report.md to DIR (default: the
results file's directory).
)";

constexpr const char* kCheckHelp = R"(Usage: credsim check RESULTS.json... --baseline BASELINE.json [--tolerance 2%] [--update]

Compares, per scenario and strategy, sts_calls, sts_throttled, errors (403/500/502/503)
and auth-latency p99 against the baseline. Lower is better: a metric regresses when it
exceeds baseline x (1 + tolerance). Results are deterministic, so --tolerance 0 works.

  --baseline FILE   baseline file (docs/ci.md describes the format)
  --tolerance T     e.g. "2%", "0", or a fraction 0.02 (default 0)
  --update          rewrite the baseline with these results (exit 0)

Exit codes: 0 within tolerance, 1 regression (one line each), 2 bad input.
With GITHUB_ACTIONS=true, findings are also printed as workflow annotations.
)";

struct Args {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;  // --name value
  std::vector<std::string> flags;
};

// Parses "--name value", "--name=value" and boolean flags. Unknown names are errors.
std::optional<Args> ParseArgs(int argc, char** argv, int first,
                              const std::vector<std::string>& value_options,
                              const std::vector<std::string>& flag_options, const char* help) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(help, stdout);
      std::exit(kOk);
    }
    if (arg.rfind("--", 0) == 0) {
      std::string name = arg.substr(2), value;
      const size_t eq = name.find('=');
      bool has_value = eq != std::string::npos;
      if (has_value) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      if (std::find(flag_options.begin(), flag_options.end(), name) != flag_options.end() && !has_value) {
        a.flags.push_back(name);
        continue;
      }
      if (std::find(value_options.begin(), value_options.end(), name) == value_options.end()) {
        std::fprintf(stderr, "credsim: unknown option --%s\n%s", name.c_str(), help);
        return std::nullopt;
      }
      if (!has_value) {
        if (i + 1 >= argc) {
          std::fprintf(stderr, "credsim: --%s needs a value\n", name.c_str());
          return std::nullopt;
        }
        value = argv[++i];
      }
      a.options.emplace_back(name, value);
    } else {
      a.positional.push_back(arg);
    }
  }
  return a;
}

std::optional<std::string> Opt(const Args& a, const std::string& name) {
  std::optional<std::string> v;
  for (const auto& [k, val] : a.options) {
    if (k == name) v = val;
  }
  return v;
}
bool Flag(const Args& a, const std::string& name) {
  return std::find(a.flags.begin(), a.flags.end(), name) != a.flags.end();
}

absl::Status WriteFileAtomic(const std::filesystem::path& path, const std::string& content) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) return absl::InternalError(fmt::format("cannot write {}", tmp.string()));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError(fmt::format("cannot write {}: {}", path.string(), ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(fmt::format("{}: cannot open file", path));
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    return absl::InvalidArgumentError(fmt::format("{}: not valid JSON: {}", path, e.what()));
  }
}

int Fail(int code, const absl::Status& s) {
  std::fprintf(stderr, "credsim: %s\n", std::string(s.message()).c_str());
  return code;
}

int CmdRun(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 2, {"strategies", "seed", "out", "threads"}, {"quiet"}, kRunHelp);
  if (!args) return kBadInput;
  if (args->positional.empty()) {
    std::fputs(kRunHelp, stderr);
    return kBadInput;
  }
  RunOptions options;
  options.progress = isatty(STDERR_FILENO) && !Flag(*args, "quiet");
  if (auto t = Opt(*args, "threads")) {
    options.threads = std::atoi(t->c_str());
    if (options.threads < 1 || options.threads > 256) {
      return Fail(kBadInput, absl::InvalidArgumentError(
                                 fmt::format("--threads: \"{}\" is not accepted; expected 1..256", *t)));
    }
  }
  std::optional<uint64_t> seed;
  if (auto s = Opt(*args, "seed")) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s->c_str(), &end, 10);
    if (s->empty() || *end != '\0' || (*s)[0] == '-') {
      return Fail(kBadInput, absl::InvalidArgumentError(fmt::format(
                                 "--seed: \"{}\" is not accepted; expected a non-negative integer", *s)));
    }
    seed = v;
  }
  const std::filesystem::path out_dir = Opt(*args, "out").value_or("out");

  // Validate everything before running or writing anything.
  std::vector<Scenario> scenarios;
  for (const std::string& path : args->positional) {
    auto sc = LoadScenario(path);
    if (!sc.ok()) return Fail(kBadInput, sc.status());
    if (auto f = Opt(*args, "strategies")) {
      if (auto s = SelectStrategies(*f, &*sc); !s.ok()) return Fail(kBadInput, s);
    }
    if (seed) sc->world.seed = *seed;
    for (const Scenario& other : scenarios) {
      if (other.name == sc->name) {
        return Fail(kBadInput, absl::InvalidArgumentError(fmt::format(
                                   "{}: scenario name \"{}\" is also used by {}; outputs would collide",
                                   path, sc->name, other.path)));
      }
    }
    scenarios.push_back(std::move(*sc));
  }
  std::vector<nlohmann::json> all;
  for (const Scenario& sc : scenarios) {
    auto results = RunScenario(sc, options);
    if (!results.ok()) return Fail(kFailed, results.status());
    const std::filesystem::path dir = out_dir / sc.name;
    for (const auto& [file, content] :
         {std::pair{"results.json", results->dump(2) + "\n"},
          std::pair{"summary.md", SummaryMarkdown(*results)},
          std::pair{"timeseries.csv", TimeseriesCsv(*results)}}) {
      if (auto s = WriteFileAtomic(dir / file, content); !s.ok()) return Fail(kFailed, s);
    }
    all.push_back(std::move(*results));
  }
  std::fputs(ComparisonMarkdown(all).c_str(), stdout);
  std::fprintf(stdout, "\nWrote %s/<scenario>/{results.json,summary.md,timeseries.csv}\n",
               out_dir.string().c_str());
  return kOk;
}

int CmdValidate(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 2, {}, {}, kValidateHelp);
  if (!args) return kBadInput;
  if (args->positional.empty()) {
    std::fputs(kValidateHelp, stderr);
    return kBadInput;
  }
  int rc = kOk;
  for (const std::string& path : args->positional) {
    auto sc = LoadScenario(path);
    if (!sc.ok()) {
      Fail(kBadInput, sc.status());
      rc = kBadInput;
      continue;
    }
    std::printf("ok: %s (scenario \"%s\", %zu strategies)\n", path.c_str(), sc->name.c_str(),
                sc->strategies.size());
  }
  return rc;
}

int CmdCompare(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 2, {"out"}, {}, kCompareHelp);
  if (!args) return kBadInput;
  if (args->positional.empty()) {
    std::fputs(kCompareHelp, stderr);
    return kBadInput;
  }
  std::vector<nlohmann::json> docs;
  for (const std::string& path : args->positional) {
    auto j = ReadJson(path);
    if (!j.ok()) return Fail(kBadInput, j.status());
    if (!j->is_object() || !j->contains("strategies") || !(*j)["strategies"].is_array() ||
        !j->contains("scenario")) {
      return Fail(kBadInput, absl::InvalidArgumentError(fmt::format(
                                 "{}: not a credsim results file (expected \"scenario\" and a "
                                 "\"strategies\" array)",
                                 path)));
    }
    docs.push_back(std::move(*j));
  }
  const std::string table = ComparisonMarkdown(docs);
  std::fputs(table.c_str(), stdout);
  if (auto out = Opt(*args, "out")) {
    if (auto s = WriteFileAtomic(*out, table); !s.ok()) return Fail(kFailed, s);
  }
  return kOk;
}

bool CanImportMatplotlib(const std::string& python) {
  const std::string cmd = fmt::format("'{}' -c 'import matplotlib' >/dev/null 2>&1", python);
  return std::system(cmd.c_str()) == 0;
}

std::optional<std::string> FindPython() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("CREDSIM_PYTHON"); env && *env) candidates.emplace_back(env);
  if (std::string(CREDSIM_PYTHON).size() > 0 && std::string(CREDSIM_PYTHON) != "CREDSIM_PYTHON-NOTFOUND") {
    candidates.emplace_back(CREDSIM_PYTHON);
  }
  candidates.emplace_back("/usr/bin/python3");
  candidates.emplace_back("python3");
  for (const std::string& c : candidates) {
    if (CanImportMatplotlib(c)) return c;
  }
  return std::nullopt;
}

int CmdReport(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 2, {"out"}, {}, kReportHelp);
  if (!args) return kBadInput;
  if (args->positional.size() != 1) {
    std::fputs(kReportHelp, stderr);
    return kBadInput;
  }
  const std::string results = args->positional[0];
  auto j = ReadJson(results);
  if (!j.ok()) return Fail(kBadInput, j.status());
  const std::string out = Opt(*args, "out").value_or(
      std::filesystem::path(results).parent_path().empty()
          ? std::string(".")
          : std::filesystem::path(results).parent_path().string());
  std::string script = std::string(CREDSIM_SOURCE_DIR) + "/reports/credsim_report.py";
  if (const char* env = std::getenv("CREDSIM_REPORT_SCRIPT"); env && *env) script = env;
  auto python = FindPython();
  if (!python) {
    std::fprintf(stderr,
                 "credsim: no Python interpreter can import matplotlib (tried $CREDSIM_PYTHON, "
                 "/usr/bin/python3, python3 on PATH); install Debian's python3-matplotlib "
                 "(scripts/setup does).\n");
    return kFailed;
  }
  const std::string cmd = fmt::format("'{}' -B '{}' '{}' --out '{}'", *python, script, results, out);
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::fprintf(stderr, "credsim: the report script failed (%s)\n", cmd.c_str());
    return WIFEXITED(rc) && WEXITSTATUS(rc) == 2 ? kBadInput : kFailed;
  }
  std::printf("Wrote %s/report.md and its PNG plots\n", out.c_str());
  return kOk;
}

int CmdCheck(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 2, {"baseline", "tolerance"}, {"update"}, kCheckHelp);
  if (!args) return kBadInput;
  auto baseline_path = Opt(*args, "baseline");
  if (args->positional.empty() || !baseline_path) {
    std::fputs(kCheckHelp, stderr);
    return kBadInput;
  }
  auto tolerance = ParseTolerance(Opt(*args, "tolerance").value_or("0"));
  if (!tolerance.ok()) return Fail(kBadInput, tolerance.status());
  std::vector<nlohmann::json> docs;
  for (const std::string& path : args->positional) {
    auto j = ReadJson(path);
    if (!j.ok()) return Fail(kBadInput, j.status());
    docs.push_back(std::move(*j));
  }
  auto current = BaselineFromResults(docs, args->positional);
  if (!current.ok()) return Fail(kBadInput, current.status());
  nlohmann::json baseline = nlohmann::json::object();
  const bool update = Flag(*args, "update");
  if (!update || std::filesystem::exists(*baseline_path)) {
    auto b = ReadJson(*baseline_path);
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
  const CheckReport report = Compare(baseline, *current, *tolerance);
  const char* gha = std::getenv("GITHUB_ACTIONS");
  const bool annotate = gha && std::string(gha) == "true";
  for (const CheckFinding& f : report.findings) {
    std::puts(f.Line().c_str());
    if (annotate) std::puts(f.GithubAnnotation().c_str());
  }
  size_t regressions = 0;
  for (const auto& f : report.findings) regressions += f.kind != CheckFinding::Kind::kImprovement &&
                                                       f.kind != CheckFinding::Kind::kMissingFromBaseline;
  std::printf("credsim check: %zu metrics compared, tolerance %g%%: %s\n", report.compared,
              *tolerance * 100, report.failed() ? fmt::format("{} failing", regressions).c_str() : "ok");
  return report.failed() ? kFailed : kOk;
}

}  // namespace

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kMainHelp, stderr);
    return kBadInput;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kMainHelp, stdout);
    return kOk;
  }
  if (cmd == "--version" || cmd == "version") {
    std::printf("credsim %s\n", Version());
    return kOk;
  }
  try {
    if (cmd == "run") return CmdRun(argc, argv);
    if (cmd == "validate") return CmdValidate(argc, argv);
    if (cmd == "compare") return CmdCompare(argc, argv);
    if (cmd == "report") return CmdReport(argc, argv);
    if (cmd == "check") return CmdCheck(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "credsim: internal error: %s\n", e.what());
    return kFailed;
  }
  std::fprintf(stderr, "credsim: unknown command \"%s\"; expected run, validate, compare, report or check\n%s",
               cmd.c_str(), kMainHelp);
  return kBadInput;
}

}  // namespace credsim
