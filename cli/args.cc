#include "cli/args.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "cli/json_file.h"
#include "cli/output_files.h"
#include "cli/subprocess.h"
#include "fmt/format.h"

namespace credsim {

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
std::vector<std::string> Opts(const Args& a, const std::string& name) {
  std::vector<std::string> v;
  for (const auto& [k, val] : a.options) {
    if (k == name) v.push_back(val);
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

int RunReportScript(const std::string& script_name, const char* env_override,
                    const std::string& out, const std::string& input) {
  std::string script = std::string(CREDSIM_SOURCE_DIR) + "/reports/" + script_name;
  if (const char* env = std::getenv(env_override); env && *env) script = env;
  const std::optional<std::string> python = FindPython();
  if (!python) {
    std::fprintf(stderr,
                 "credsim: no Python interpreter can import matplotlib (tried $CREDSIM_PYTHON, "
                 "/usr/bin/python3, python3 on PATH); install Debian's python3-matplotlib "
                 "(scripts/setup does).\n");
    return kFailed;
  }
  auto rc = RunProcess({*python, "-B", script, "--out", out, "--", input});
  if (!rc.ok()) return Fail(kFailed, rc.status());
  if (!rc->ok()) {
    std::fprintf(stderr, "credsim: the report script %s failed (%s)\n", script.c_str(),
                 rc->Describe().c_str());
    return rc->code == 2 ? kBadInput : kFailed;
  }
  return kOk;
}

}  // namespace credsim
