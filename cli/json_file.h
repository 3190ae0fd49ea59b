// Strict JSON input for every file credsim reads (scenarios, results, baselines).
//
// Contract:
//  - ReadJsonFile opens `path` once, accepts only a regular file (not a directory, FIFO or
//    device) of at most `max_bytes`, and parses it with ParseJsonText.
//  - ParseJsonText rejects what nlohmann::json::parse would silently accept or throw on:
//    duplicate object keys (the error names both locations and the JSON path: the last one
//    no longer silently wins), numbers that do not fit a double (1e400), and nesting deeper
//    than kMaxJsonDepth. Syntax errors give line and column.
//  - Every error is an InvalidArgument/NotFound status whose message starts with `name`
//    (the file name as the user typed it); no exception escapes.
#ifndef CREDSIM_CLI_JSON_FILE_H_
#define CREDSIM_CLI_JSON_FILE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace credsim {

inline constexpr size_t kMaxJsonDepth = 64;
// Size limits (docs/limits.md): scenario files are small hand-written documents; results
// files hold time series (at most 1,000,000 intervals per strategy).
inline constexpr size_t kMaxScenarioFileBytes = size_t{16} << 20;   // 16 MiB
inline constexpr size_t kMaxResultsFileBytes = size_t{1} << 30;     // 1 GiB

absl::StatusOr<nlohmann::json> ParseJsonText(std::string_view text, const std::string& name);

// Reads a whole regular file of at most `max_bytes` (errors name `path`).
absl::StatusOr<std::string> ReadRegularFile(const std::string& path, size_t max_bytes);

absl::StatusOr<nlohmann::json> ReadJsonFile(const std::string& path, size_t max_bytes);

}  // namespace credsim

#endif  // CREDSIM_CLI_JSON_FILE_H_
