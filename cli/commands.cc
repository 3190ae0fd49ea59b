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

#include "cli/args.h"
#include "cli/check_command.h"
#include "cli/sweep.h"
#include "cli/sweep_command.h"
#include "cli/json_file.h"
#include "cli/output_files.h"
#include "cli/param_reference.h"
#include "cli/replicated_results.h"
#include "cli/results.h"
#include "cli/runner.h"
#include "cli/scenario.h"
#include "cli/subprocess.h"
#include "cli/work_estimate.h"
#include "fmt/format.h"
#include "strategies/registry.h"

namespace credsim {
namespace {

constexpr const char* kMainHelp = R"(credsim - measure credential-caching strategies for edge workers before building them

Usage: credsim <command> [options]

Commands:
  run SCENARIO.json...      run every strategy of each scenario on identical traffic
  validate SCENARIO.json... check scenario files without running them
  compare RESULTS.json...   side-by-side Markdown table of results files
  report RESULTS.json       PNG plots and a Markdown report (matplotlib)
  check RESULTS.json...     compare against a baseline, or gate on values (CI)
  sweep plan|run|merge|report SWEEP.json  parameter sweeps, sharded for cluster engines
  schema [--out FILE]       the JSON Schema of scenario files, from the loader's declarations
  docs [--update FILE]      the field tables of docs/scenarios.md, from the same declarations

Options:
  --help       show help (also: credsim <command> --help)
  --version    print the version

Exit codes: 0 success, 1 failure or regression, 2 bad input (nothing written).
Docs: docs/scenarios.md, docs/results.md, docs/ci.md.
)";

constexpr const char* kRunHelp = R"(Usage: credsim run SCENARIO.json... [--strategies a,b|all] [--seed N] [--out DIR] [--threads N]
                   [--replications N] [--baseline STRATEGY] [--max-requests N] [--quiet]

Runs every selected strategy of each scenario on identical traffic (same seed: paired
comparison), prints a comparison table and writes, per scenario:
  DIR/<scenario>/results.json    all measurements (docs/results.md)
  DIR/<scenario>/summary.md      the comparison table
  DIR/<scenario>/timeseries.csv  requests, STS calls and errors per interval

  --strategies LIST  "all" (every registered kind) or names/kinds, comma-separated
                     (default: the scenario's own list)
  --seed N           override the scenario seed (0 .. 2^64-1)
  --replications N   independent replications (1 .. 1000; default: the scenario's
                     "replications", else 1): replication r runs every strategy with seed
                     seed + r; results.json gets per metric n, mean, sd and a 95 % interval,
                     and tables show mean ± half-width (docs/statistics.md)
  --baseline NAME    also report every strategy's paired difference from strategy NAME, per
                     replication, with its paired-t 95 % interval ("not distinguishable"
                     when it contains 0)
  --out DIR          output directory (default: out); each scenario's files are written
                     into a private staging directory and renamed into place together
  --max-requests N   refuse runs that would simulate more than N requests in total
                     (default 1000000000; the estimate is printed before the run)
  --threads N        runs simulated in parallel (1 .. 256; default: the number of cores):
                     every (scenario, replication, strategy) of the invocation is one run,
                     all on one pool of N threads; results do not depend on N
  --quiet            no progress on stderr; by default, when stderr is a terminal, a line
                     per finished run and a live line (runs done, simulated requests/s,
                     ETA, simulated time of the running runs)
)";

constexpr const char* kValidateHelp = R"(Usage: credsim validate SCENARIO.json...

Checks scenario files (schema, values, strategy parameters, trace files) without running
them. Errors name the JSON path and the accepted values. Exit 0 if all are valid, 2 if not.
)";

constexpr const char* kCompareHelp = R"(Usage: credsim compare RESULTS.json... [--baseline STRATEGY] [--out FILE]

Prints a side-by-side Markdown table of the strategies of one or more results files
(replicated results: mean ± 95 % half-width); --out also writes it to FILE.

  --baseline NAME   also the paired difference of every strategy from strategy NAME in each
                    file, replication by replication, with its 95 % paired-t interval and
                    "not distinguishable" when the interval contains 0
)";

constexpr const char* kReportHelp = R"(Usage: credsim report RESULTS.json [--out DIR]

Runs reports/credsim_report.py with a Python interpreter that can import matplotlib
($CREDSIM_PYTHON, then /usr/bin/python3, then python3 on PATH) and writes PNG plots (STS
calls over time, auth-latency CDF, errors and cost) and report.md to DIR (default: the
results file's directory).
)";


int CmdRun(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 2,
                        {"strategies", "seed", "out", "threads", "max-requests", "replications", "baseline"},
                        {"quiet"}, kRunHelp);
  if (!args) return kBadInput;
  if (args->positional.empty()) {
    std::fputs(kRunHelp, stderr);
    return kBadInput;
  }
  RunOptions options;
  options.threads = DefaultThreads();
  options.progress = isatty(STDERR_FILENO) && !Flag(*args, "quiet");
  options.live_progress = options.progress;
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
  std::optional<uint64_t> replications;
  if (auto s = Opt(*args, "replications")) {
    replications = ParseCount(*s, 1, kMaxReplications);
    if (!replications) {
      return Fail(kBadInput, absl::InvalidArgumentError(fmt::format(
                                 "--replications: \"{}\" is not accepted; expected 1..{}", *s, kMaxReplications)));
    }
  }
  const std::optional<std::string> baseline = Opt(*args, "baseline");
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
      if (replications) sc->replications = *replications;
    }
    absl::Status st = sc.status();
    if (st.ok() && baseline) {
      bool found = false;
      std::string names;
      for (const StrategySpec& s : sc->strategies) {
        found |= s.name == *baseline;
        names += (names.empty() ? "" : ", ") + s.name;
      }
      if (!found) {
        st = absl::InvalidArgumentError(fmt::format(
            "{}: --baseline: no strategy is named \"{}\"; expected one of {}", path, *baseline, names));
      }
    }
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
      const double runs = static_cast<double>(sc->strategies.size() * sc->replications);
      estimates.push_back(fmt::format("{}: {}{}", path, w.Describe(),
                                      sc->replications > 1 ? fmt::format(", x {} replications", sc->replications) : ""));
      if (w.requests_per_strategy * runs > static_cast<double>(max_requests)) {
        st = absl::InvalidArgumentError(fmt::format(
            "{}: the run would simulate about {} requests ({} strategies{}), above the limit of "
            "{}; shorten it, or raise the limit with --max-requests N (docs/limits.md)",
            path, FormatCount(w.requests_per_strategy * runs), sc->strategies.size(),
            sc->replications > 1 ? fmt::format(" x {} replications", sc->replications) : "",
            FormatCount(static_cast<double>(max_requests))));
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
  // Every run of every scenario on one pool; each scenario's files are staged, in scenario
  // order, as soon as its runs are done.
  std::vector<nlohmann::json> all;
  int failure_code = kFailed;
  absl::Status run = RunScenarios(scenarios, options, [&](size_t i, nlohmann::json results) {
    if (baseline) {
      if (absl::Status s = AddPairedComparisons(results, *baseline); !s.ok()) {
        failure_code = kBadInput;
        return s;
      }
    }
    for (const auto& [file, content] :
         {std::pair{"results.json", results.dump(2) + "\n"},
          std::pair{"summary.md", SummaryMarkdown(results)},
          std::pair{"timeseries.csv", TimeseriesCsv(results)}}) {
      if (auto s = staged[i].Write(file, content); !s.ok()) return s;
    }
    all.push_back(std::move(results));
    return absl::OkStatus();
  });
  if (!run.ok()) return Fail(failure_code, run);
  // Results are committed only once every scenario has run: a failed run changes nothing.
  for (StagedDirectory& d : staged) {
    if (auto s = d.Commit(); !s.ok()) return Fail(kFailed, s);
  }
  std::fputs(ComparisonMarkdown(all).c_str(), stdout);
  for (const nlohmann::json& r : all) {
    if (const std::string paired = PairedMarkdown(r); !paired.empty()) {
      std::fprintf(stdout, "\n%s", paired.c_str());
    }
  }
  std::fprintf(stdout, "\nWrote %s/<scenario>/{results.json,summary.md,timeseries.csv}\n",
               out_dir.string().c_str());
  return kOk;
}

constexpr const char* kSchemaHelp = R"(Usage: credsim schema [--sweep] [--out FILE]

Prints the JSON Schema (draft 2020-12) of scenario files, generated from the parameter
declarations of the loader (name, type, default, range, meaning, source: one declaration per
parameter, sim/config/param.h); with --out, writes it to FILE atomically instead.
scenarios/schema.json is this output (a test keeps it so). With --sweep, the schema of sweep
files instead (scenarios/sweeps/schema.json).
)";

constexpr const char* kDocsHelp = R"(Usage: credsim docs [--sweep] [--update FILE]

Prints the field reference (one Markdown table of every scenario key) generated from the
loader's parameter declarations. With --update, regenerates in place every table of FILE
(docs/scenarios.md) that sits between "<!-- credsim docs: SECTION -->" and
"<!-- /credsim docs -->"; the rest of FILE is kept as it is. With --sweep, the fields of
sweep files (docs/sweeps.md) instead.
)";

// The declarations (of sweep files with `sweep`), or nullopt after reporting why they are
// unusable.
std::optional<ParamLog> Declarations(bool sweep = false) {
  absl::StatusOr<ParamLog> log = sweep ? DeclaredSweepParams() : DeclaredParams();
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
  auto args = ParseArgs(argc, argv, 2, {"out"}, {"sweep"}, kSchemaHelp);
  if (!args) return kBadInput;
  if (!args->positional.empty()) {
    std::fputs(kSchemaHelp, stderr);
    return kBadInput;
  }
  const bool sweep = Flag(*args, "sweep");
  std::optional<ParamLog> log = Declarations(sweep);
  if (!log) return kFailed;
  const nlohmann::ordered_json schema = sweep ? SweepSchema(*log) : ScenarioSchema(*log);
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
  auto args = ParseArgs(argc, argv, 2, {"update"}, {"sweep"}, kDocsHelp);
  if (!args) return kBadInput;
  if (!args->positional.empty()) {
    std::fputs(kDocsHelp, stderr);
    return kBadInput;
  }
  std::optional<ParamLog> log = Declarations(Flag(*args, "sweep"));
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
  absl::StatusOr<std::string> updated = Flag(*args, "sweep") ? WithSweepFieldReference(text.str(), *log)
                                                             : WithFieldReference(text.str(), *log);
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


int CmdCompare(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 2, {"out", "baseline"}, {}, kCompareHelp);
  if (!args) return kBadInput;
  if (args->positional.empty()) {
    std::fputs(kCompareHelp, stderr);
    return kBadInput;
  }
  auto docs = ReadAllResults(args->positional);
  if (!docs) return kBadInput;
  std::string table = ComparisonMarkdown(*docs);
  if (auto baseline = Opt(*args, "baseline")) {
    for (size_t i = 0; i < docs->size(); ++i) {
      if (absl::Status s = AddPairedComparisons((*docs)[i], *baseline); !s.ok()) {
        return Fail(kBadInput, absl::InvalidArgumentError(fmt::format(
                                   "{}: {}", args->positional[i], std::string(s.message()))));
      }
      table += fmt::format("\n{}: {}", (*docs)[i]["scenario"].get<std::string>(),
                           PairedMarkdown((*docs)[i]));
    }
  }
  if (auto out = Opt(*args, "out")) {
    if (auto s = WriteFileAtomic(*out, table); !s.ok()) return Fail(kFailed, s);
  }
  std::fputs(table.c_str(), stdout);
  return kOk;
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
  if (int rc = RunReportScript("credsim_report.py", "CREDSIM_REPORT_SCRIPT", out, results); rc != kOk) {
    return rc;
  }
  std::printf("Wrote %s/report.md and its PNG plots\n", out.c_str());
  return kOk;
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
    if (cmd == "sweep") return CmdSweep(argc, argv);
    if (cmd == "schema") return CmdSchema(argc, argv);
    if (cmd == "docs") return CmdDocs(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "credsim: internal error: %s\n", e.what());
    return kFailed;
  }
  std::fprintf(stderr, "credsim: unknown command \"%s\"; expected run, validate, compare, report, check, sweep, schema or docs\n%s",
               cmd.c_str(), kMainHelp);
  return kBadInput;
}

}  // namespace credsim
