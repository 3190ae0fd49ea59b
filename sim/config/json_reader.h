// JsonReader: reads one JSON object of a scenario file with path-aware errors.
//
// Every getter names a key; absent keys yield the given default. The first error is kept
// (later getters then return defaults) and reported by Finish(), which also rejects keys
// that no getter asked for: "scenario.sts.latncy: unknown key; accepted: burst, latency, ...".
// Messages always start with the JSON path of the offending value and say what is accepted.
//
// When a KeyLog is attached, every key path asked for is recorded (array indices written as
// "[]"), which lets a test check that the loader, schema.json and docs/scenarios.md agree.
#ifndef CREDSIM_SIM_CONFIG_JSON_READER_H_
#define CREDSIM_SIM_CONFIG_JSON_READER_H_

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sim/engine/time.h"

namespace credsim {

using KeyLog = std::set<std::string>;

class JsonReader {
 public:
  // `j` must be an object; otherwise status() is an error naming `path`. The reader keeps a
  // reference to `j`: it must outlive the reader (never pass a temporary).
  JsonReader(const nlohmann::json&& j, std::string path, KeyLog* log = nullptr) = delete;
  JsonReader(const nlohmann::json& j, std::string path, KeyLog* log = nullptr);
  // Shares the error slot of `parent` (errors of children surface in the parent's Finish()).
  JsonReader(const nlohmann::json& j, std::string path, JsonReader& parent);

  const std::string& path() const { return path_; }
  bool ok() const { return error_->ok(); }
  absl::Status status() const { return *error_; }
  bool Has(std::string_view key) const;

  Duration GetDuration(std::string_view key, Duration def);
  // Like GetDuration but also accepts null / absent as "no value".
  std::optional<Duration> GetOptionalDuration(std::string_view key);
  double GetNumber(std::string_view key, double def, double min, double max);
  // Integers are compared exactly with [min, max] (no rounding through double). A float is
  // accepted only if it is integral and exactly representable in range (3.0 yes, 3.5 no,
  // 9223372036854775808.0 not for int64).
  int64_t GetInt(std::string_view key, int64_t def, int64_t min, int64_t max);
  // The same for the full unsigned 64-bit range (e.g. the scenario seed, 0 to 2^64-1).
  uint64_t GetUint64(std::string_view key, uint64_t def, uint64_t min, uint64_t max);
  bool GetBool(std::string_view key, bool def);
  std::string GetString(std::string_view key, std::string def);
  std::string GetEnum(std::string_view key, std::string def,
                      std::initializer_list<std::string_view> accepted);
  // Raw access (marks the key known); null if absent.
  const nlohmann::json* GetRaw(std::string_view key);
  // A child object reader; absent key → reader over an empty object.
  JsonReader Child(std::string_view key);
  // Array of objects: returns the elements (empty if absent); reports non-arrays.
  std::vector<const nlohmann::json*> GetArray(std::string_view key);

  // Path of a key or element below this object.
  std::string PathOf(std::string_view key) const;
  static std::string ElementPath(const std::string& array_path, size_t i);

  // Records an error at `path` (first one wins).
  void Fail(std::string_view path, std::string_view message);
  // Reports the first error, or an unknown key.
  absl::Status Finish();

 private:
  const nlohmann::json* Lookup(std::string_view key);
  void Log(std::string_view key);

  const nlohmann::json& j_;
  std::string path_;
  std::shared_ptr<absl::Status> error_;
  KeyLog* log_;
  std::vector<std::string> known_;
  static const nlohmann::json kEmptyObject;
};

// Normalizes "a.b[3].c" to "a.b[].c" (for KeyLog comparisons).
std::string NormalizePath(std::string_view path);

// The exact integer value of a JSON number: nullopt for non-numbers, non-integral floats and
// values outside the int64 / uint64 range (checked without undefined behaviour).
std::optional<int64_t> ExactInt64(const nlohmann::json& j);
std::optional<uint64_t> ExactUint64(const nlohmann::json& j);

// A random seed given as text (the CLI's --seed): decimal digits only, 0 to 2^64-1
// (18446744073709551615), the same range as the scenario's "seed". Rejects the empty string,
// signs, spaces, other characters and values that do not fit; the message names the input
// and the accepted range (the caller prefixes the flag name, e.g. "--seed: ").
absl::StatusOr<uint64_t> ParseSeed(std::string_view text);

}  // namespace credsim

#endif  // CREDSIM_SIM_CONFIG_JSON_READER_H_
