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
#include <map>
#include <vector>

#include "cli/check.h"
#include "cli/json_file.h"
#include "cli/output_files.h"
#include "cli/param_reference.h"
#include "cli/results.h"
#include "cli/runner.h"
#include "cli/scenario.h"
#include "cli/subprocess.h"
#include "cli/work_estimate.h"
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
  schema [--out FILE]       the JSON Schema of scenario files, from the loader's declarations
  docs [--update FILE]      the field tables of docs/scenarios.md, from the same declarations

Options:
  --help       show help (also: credsim <command> --help)
  --version    print the version

Exit codes: 0 success, 1 failure or regression, 2 bad input (nothing written).
Docs: docs/scenarios.md, docs/results.md, docs/ci.md.
)";

constexpr const char* kRunHelp = R"(Usage: credsim run SCENARIO.json... [--strategies a,b|all] [--seed N] [--out DIR] [--threads N]
                   [--max-requests N] [--quiet]

Runs every selected strategy of each scenario on identical traffic (same seed: paired
comparison), prints a comparison table and writes, per scenario:
  DIR/<scenario>/results.json    all measurements (docs/results.md)
  DIR/<scenario>/summary.md      the comparison table
  DIR/<scenario>/timeseries.csv  requests, STS calls and errors per interval

  --strategies LIST  "all" (every registered kind) or names/kinds, comma-separated
                     (default: the scenario's own list)
  --seed N           override the scenario seed (0 .. 2^64-1)
  --out DIR          output directory (default: out); each scenario's files are written
                     into a private staging directory and renamed into place together
  --max-requests N   refuse runs that would simulate more than N requests in total
                     (default 1000000000; the estimate is printed before the run)
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
  --tolerance T     e.g. "2%", "0", or a fraction 0.02 (default 0); a bare number must
                    be at most 1 (write "150%" for more)
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

// Strict unsigned decimal in [min, max]: digits only (no sign, space or exponent), no
// overflow (strtoull would clamp 99999999999999999999999 silently).
std::optional<uint64_t> ParseCount(const std::string& s, uint64_t min, uint64_t max) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  if (v < min || v > max) return std::nullopt;
  return v;
}

absl::StatusOr<nlohmann::json> ReadResultsJson(const std::string& path) {
  return ReadJsonFile(path, kMaxResultsFileBytes);
}

// The shape every results reader relies on; errors name the file and the JSON path.
absl::Status CheckResultsShape(const nlohmann::json& j, const std::string& path) {
  if (!j.is_object() || !j.contains("strategies") || !j["strategies"].is_array() ||
      !j.contains("scenario") || !j["scenario"].is_string()) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: not a credsim results file (expected \"scenario\" and a \"strategies\" array)", path));
  }
  const nlohmann::json& list = j["strategies"];
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object() || !list[i].contains("name") || !list[i]["name"].is_string()) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: strategies[{}].name: expected an object with a string \"name\"", path, i));
    }
  }
  return absl::OkStatus();
}

int Fail(int code, const absl::Status& s) {
  std::fprintf(stderr, "credsim: %s\n", std::string(s.message()).c_str());
  return code;
}

int CmdRun(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 2, {"strategies", "seed", "out", "threads", "max-requests"},
                        {"quiet"}, kRunHelp);
  if (!args) return kBadInput;
  if (args->positional.empty()) {
    std::fputs(kRunHelp, stderr);
    return kBadInput;
  }
  RunOptions options;
  options.progress = isatty(STDERR_FILENO) && !Flag(*args, "quiet");
  if (auto t = Opt(*args, "threads")) {
    auto v = ParseCount(*t, 1, 256);
    if (!v) {
      return Fail(kBadInput, absl::InvalidArgumentError(
                                 fmt::format("--threads: \"{}\" is not accepted; expected 1..256", *t)));
    }
    options.threads = static_cast<int>(*v);
  }
  std::optional<uint64_t> seed;
  if (auto s = Opt(*args, "seed")) {
    auto v = ParseSeed(*s);
    if (!v.ok()) {
      return Fail(kBadInput, absl::InvalidArgumentError(fmt::format("--seed: {}", std::string(v.status().message()))));
    }
    seed = *v;
  }
  uint64_t max_requests = kDefaultMaxRequests;
  if (auto m = Opt(*args, "max-requests")) {
    auto v = ParseCount(*m, 1, UINT64_MAX);
    if (!v) {
      return Fail(kBadInput, absl::InvalidArgumentError(fmt::format(
                                 "--max-requests: \"{}\" is not accepted; expected a positive integer", *m)));
    }
    max_requests = *v;
  }
  const std::filesystem::path out_dir = Opt(*args, "out").value_or("out");

  // Validate every file before running or writing anything; report every bad one.
  std::vector<Scenario> scenarios;
  std::vector<std::string> estimates;
  bool bad = false;
  for (const std::string& path : args->positional) {
    auto sc = LoadScenario(path);
    if (sc.ok()) {
      if (auto f = Opt(*args, "strategies")) {
        if (auto s = SelectStrategies(*f, &*sc); !s.ok()) return Fail(kBadInput, s);
      }
      if (seed) sc->world.seed = *seed;
    }
    absl::Status st = sc.status();
    if (st.ok()) {
      for (const Scenario& other : scenarios) {
        if (other.name == sc->name) {
          st = absl::InvalidArgumentError(fmt::format(
              "{}: scenario name \"{}\" is also used by {}; outputs would collide", path, sc->name,
              other.path));
        }
      }
    }
    if (st.ok()) {
      const WorkEstimate w = EstimateWork(*sc);
      estimates.push_back(fmt::format("{}: {}", path, w.Describe()));
      if (w.requests_per_strategy * static_cast<double>(sc->strategies.size()) >
          static_cast<double>(max_requests)) {
        st = absl::InvalidArgumentError(fmt::format(
            "{}: the run would simulate about {} requests ({} strategies), above the limit of {}; "
            "shorten it, or raise the limit with --max-requests N (docs/limits.md)",
            path, FormatCount(w.requests_per_strategy * static_cast<double>(sc->strategies.size())),
            sc->strategies.size(), FormatCount(static_cast<double>(max_requests))));
      }
    }
    if (!st.ok()) {
      Fail(kBadInput, st);
      bad = true;
      continue;
    }
    scenarios.push_back(std::move(*sc));
  }
  if (bad) return kBadInput;
  if (!Flag(*args, "quiet")) {
    for (const std::string& e : estimates) std::fprintf(stderr, "credsim: %s\n", e.c_str());
  }

  // Stage every output directory first: an unwritable --out fails before any simulation.
  std::vector<StagedDirectory> staged;
  for (const Scenario& sc : scenarios) {
    auto st = StagedDirectory::Stage(out_dir, sc.name);
    if (!st.ok()) return Fail(kFailed, st.status());
    staged.push_back(std::move(*st));
  }
  std::vector<nlohmann::json> all;
  for (size_t i = 0; i < scenarios.size(); ++i) {
    const Scenario& sc = scenarios[i];
    auto results = RunScenario(sc, options);
    if (!results.ok()) return Fail(kFailed, results.status());
    for (const auto& [file, content] :
         {std::pair{"results.json", results->dump(2) + "\n"},
          std::pair{"summary.md", SummaryMarkdown(*results)},
          std::pair{"timeseries.csv", TimeseriesCsv(*results)}}) {
      if (auto s = staged[i].Write(file, content); !s.ok()) return Fail(kFailed, s);
    }
    all.push_back(std::move(*results));
  }
  // Results are committed only once every scenario has run: a failed run changes nothing.
  for (StagedDirectory& d : staged) {
    if (auto s = d.Commit(); !s.ok()) return Fail(kFailed, s);
  }
  std::fputs(ComparisonMarkdown(all).c_str(), stdout);
  std::fprintf(stdout, "\nWrote %s/<scenario>/{results.json,summary.md,timeseries.csv}\n",
               out_dir.string().c_str());
  return kOk;
}

constexpr const char* kSchemaHelp = R"(Usage: credsim schema [--out FILE]

Prints the JSON Schema (draft 2020-12) of scenario files, generated from the parameter
declarations of the loader (name, type, default, range, meaning, source: one declaration per
parameter, sim/config/param.h); with --out, writes it to FILE atomically instead.
scenarios/schema.json is this output (a test keeps it so).
)";

constexpr const char* kDocsHelp = R"(Usage: credsim docs [--update FILE]

Prints the field reference (one Markdown table of every scenario key) generated from the
loader's parameter declarations. With --update, regenerates in place every table of FILE
(docs/scenarios.md) that sits between "<!-- credsim docs: SECTION -->" and
"<!-- /credsim docs -->"; the rest of FILE is kept as it is.
)";

// The declarations, or an exit code after reporting why they are unusable.
std::optional<ParamLog> Declarations() {
  absl::StatusOr<ParamLog> log = DeclaredParams();
  if (!log.ok()) {
    Fail(kFailed, log.status());
    return std::nullopt;
  }
  return *std::move(log);
}

// Reports every declaration the generator could not use (no description, a raw value without a
// schema), as ScenarioSchema() lists them in `schema`; false if there is one.
bool DeclarationsAreComplete(const nlohmann::ordered_json& schema) {
  if (!schema.contains("x-declaration-errors")) return true;
  for (const auto& e : schema["x-declaration-errors"]) {
    std::fprintf(stderr, "credsim: parameter declaration: %s\n", e.get<std::string>().c_str());
  }
  return false;
}

int CmdSchema(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 2, {"out"}, {}, kSchemaHelp);
  if (!args) return kBadInput;
  if (!args->positional.empty()) {
    std::fputs(kSchemaHelp, stderr);
    return kBadInput;
  }
  std::optional<ParamLog> log = Declarations();
  if (!log) return kFailed;
  const nlohmann::ordered_json schema = ScenarioSchema(*log);
  if (!DeclarationsAreComplete(schema)) return kFailed;
  const std::string text = schema.dump(2) + "\n";
  if (std::optional<std::string> out = Opt(*args, "out")) {
    if (absl::Status s = WriteFileAtomic(*out, text); !s.ok()) return Fail(kFailed, s);
    return kOk;
  }
  std::fputs(text.c_str(), stdout);
  return kOk;
}

int CmdDocs(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 2, {"update"}, {}, kDocsHelp);
  if (!args) return kBadInput;
  if (!args->positional.empty()) {
    std::fputs(kDocsHelp, stderr);
    return kBadInput;
  }
  std::optional<ParamLog> log = Declarations();
  if (!log) return kFailed;
  if (!DeclarationsAreComplete(ScenarioSchema(*log))) return kFailed;
  const std::optional<std::string> file = Opt(*args, "update");
  if (!file) {
    std::fputs(FieldReference(*log).c_str(), stdout);
    return kOk;
  }
  std::ifstream in(*file, std::ios::binary);
  if (!in) {
    return Fail(kBadInput, absl::InvalidArgumentError(fmt::format("{}: cannot be read", *file)));
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::string> updated = WithFieldReference(text.str(), *log);
  if (!updated.ok()) {
    return Fail(kBadInput, absl::InvalidArgumentError(fmt::format(
                               "{}: {}", *file, std::string(updated.status().message()))));
  }
  if (absl::Status s = WriteFileAtomic(*file, *updated); !s.ok()) return Fail(kFailed, s);
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
    std::printf("ok: %s (scenario \"%s\", %zu strategies; %s)\n", path.c_str(), sc->name.c_str(),
                sc->strategies.size(), EstimateWork(*sc).Describe().c_str());
  }
  return rc;
}

// Reads every results file, reporting each bad one; nullopt if any was bad.
std::optional<std::vector<nlohmann::json>> ReadAllResults(const std::vector<std::string>& paths) {
  std::vector<nlohmann::json> docs;
  bool bad = false;
  for (const std::string& path : paths) {
    auto j = ReadResultsJson(path);
    absl::Status st = j.status();
    if (st.ok()) st = CheckResultsShape(*j, path);
    if (!st.ok()) {
      Fail(kBadInput, st);
      bad = true;
      continue;
    }
    docs.push_back(std::move(*j));
  }
  if (bad) return std::nullopt;
  return docs;
}

int CmdCompare(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 2, {"out"}, {}, kCompareHelp);
  if (!args) return kBadInput;
  if (args->positional.empty()) {
    std::fputs(kCompareHelp, stderr);
    return kBadInput;
  }
  auto docs = ReadAllResults(args->positional);
  if (!docs) return kBadInput;
  const std::string table = ComparisonMarkdown(*docs);
  if (auto out = Opt(*args, "out")) {
    if (auto s = WriteFileAtomic(*out, table); !s.ok()) return Fail(kFailed, s);
  }
  std::fputs(table.c_str(), stdout);
  return kOk;
}

bool CanImportMatplotlib(const std::string& python) {
  SpawnOptions quiet;
  quiet.discard_output = true;
  auto st = RunProcess({python, "-c", "import matplotlib"}, quiet);
  return st.ok() && st->ok();
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
  auto docs = ReadAllResults({results});
  if (!docs) return kBadInput;
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
  // An argument vector, never a shell: no file or scenario name is ever interpreted.
  // "--" ends the script's options, so a results path starting with "-" stays a path.
  auto rc = RunProcess({*python, "-B", script, "--out", out, "--", results});
  if (!rc.ok()) return Fail(kFailed, rc.status());
  if (!rc->ok()) {
    std::fprintf(stderr, "credsim: the report script %s failed (%s)\n", script.c_str(),
                 rc->Describe().c_str());
    return rc->code == 2 ? kBadInput : kFailed;
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
  auto docs = ReadAllResults(args->positional);
  if (!docs) return kBadInput;
  auto current = BaselineFromResults(*docs, args->positional);
  if (!current.ok()) return Fail(kBadInput, current.status());
  nlohmann::json baseline = nlohmann::json::object();
  const bool update = Flag(*args, "update");
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
  CheckReport report = Compare(baseline, *current, *tolerance);
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
    f.file = it != scenario_files.end() ? it->second : *baseline_path;
  }
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
    if (cmd == "schema") return CmdSchema(argc, argv);
    if (cmd == "docs") return CmdDocs(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "credsim: internal error: %s\n", e.what());
    return kFailed;
  }
  std::fprintf(stderr, "credsim: unknown command \"%s\"; expected run, validate, compare, report, check, schema or docs\n%s",
               cmd.c_str(), kMainHelp);
  return kBadInput;
}

}  // namespace credsim
