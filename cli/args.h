// Shared pieces of the credsim subcommands: argument parsing ("--name value", "--name=value",
// flags; unknown names are errors), strict counts, the exit codes, reading results files and
// finding a Python interpreter that can import matplotlib.
#ifndef CREDSIM_CLI_ARGS_H_
#define CREDSIM_CLI_ARGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace credsim {

inline constexpr int kOk = 0, kFailed = 1, kBadInput = 2;

struct Args {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;  // --name value
  std::vector<std::string> flags;
};

// Parses "--name value", "--name=value" and boolean flags from argv[first..]. "--help" prints
// `help` and exits 0. Unknown names and a missing value are reported on stderr: nullopt.
std::optional<Args> ParseArgs(int argc, char** argv, int first,
                              const std::vector<std::string>& value_options,
                              const std::vector<std::string>& flag_options, const char* help);
// The last value of --name, if given.
std::optional<std::string> Opt(const Args& a, const std::string& name);
// Every value of a repeatable --name, in order.
std::vector<std::string> Opts(const Args& a, const std::string& name);
bool Flag(const Args& a, const std::string& name);

// Strict unsigned decimal in [min, max]: digits only (no sign, space or exponent), no
// overflow.
std::optional<uint64_t> ParseCount(const std::string& s, uint64_t min, uint64_t max);

// Prints "credsim: <message>" on stderr and returns `code`.
int Fail(int code, const absl::Status& s);

// A results.json (or baseline) file: strict JSON, size-capped.
absl::StatusOr<nlohmann::json> ReadResultsJson(const std::string& path);
// The shape every results reader relies on; errors name the file and the JSON path.
absl::Status CheckResultsShape(const nlohmann::json& j, const std::string& path);
// Reads every results file, reporting each bad one; nullopt if any was bad.
std::optional<std::vector<nlohmann::json>> ReadAllResults(const std::vector<std::string>& paths);

// A Python interpreter that can import matplotlib ($CREDSIM_PYTHON, the configured one,
// /usr/bin/python3, python3 on PATH), or nullopt.
std::optional<std::string> FindPython();

// Runs a report script of reports/ ("credsim_report.py"; $`env_override` names another file)
// as `<python> -B SCRIPT --out OUT -- INPUT`, an argument vector, never a shell ("--" ends the
// script's options, so an input path starting with "-" stays a path). Exit code: 0, 1 (no
// interpreter with matplotlib, or the script failed) or 2 (the script rejected its input).
int RunReportScript(const std::string& script_name, const char* env_override,
                    const std::string& out, const std::string& input);

}  // namespace credsim

#endif  // CREDSIM_CLI_ARGS_H_
