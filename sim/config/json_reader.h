// JsonReader: reads one JSON object of a scenario file with path-aware errors.
//
// Every getter names a key; absent keys yield the given default. The first error is kept
// (later getters then return defaults) and reported by Finish(), which also rejects keys
// that no getter asked for: "scenario.sts.latncy: unknown key; accepted: burst, latency, ...".
// Messages always start with the JSON path of the offending value and say what is accepted.
//
// When a ParamLog is attached, every getter records its parameter's declaration (sim/config/
// param.h) under the key's path (array indices written as "[]"): the JSON Schema and the docs'
// field reference are generated from these records. Without a log the getters cost nothing
// extra.
#ifndef CREDSIM_SIM_CONFIG_JSON_READER_H_
#define CREDSIM_SIM_CONFIG_JSON_READER_H_

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sim/config/param.h"
#include "sim/engine/time.h"

namespace credsim {

// The JSON Schema of a duration string as GetDuration accepts it (ParseDuration's grammar);
// `credsim schema` emits it as $defs/duration.
inline constexpr char kDurationSchema[] = R"json({"description": "A non-negative duration string in Abseil syntax: decimal numbers with a unit (ns, us, ms, s, m, h), concatenated, e.g. \"150ms\", \"10s\", \"1h30m\", \"1.5h\"; \"0\" is zero. At most 2562047h47m16.854775807s (2^63-1 ns).", "type": "string", "pattern": "^[+]?(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|ms|s|m|h))+)$"})json";

class JsonReader {
 public:
  // `j` must be an object; otherwise status() is an error naming `path`. The reader keeps a
  // reference to `j`: it must outlive the reader (never pass a temporary).
  JsonReader(const nlohmann::json&& j, std::string path, ParamLog* log = nullptr) = delete;
  JsonReader(const nlohmann::json& j, std::string path, ParamLog* log = nullptr);
  // Shares the error slot of `parent` (errors of children surface in the parent's Finish()).
  JsonReader(const nlohmann::json& j, std::string path, JsonReader& parent);

  const std::string& path() const { return path_; }
  bool ok() const { return error_->ok(); }
  absl::Status status() const { return *error_; }
  bool Has(std::string_view key) const;

  Duration GetDuration(std::string_view key, Duration def, const ParamDoc& doc = {},
      ParamSite loc = ParamSite::Current());
  // Like GetDuration but also accepts null / absent as "no value".
  std::optional<Duration> GetOptionalDuration(std::string_view key, const ParamDoc& doc = {},
      ParamSite loc = ParamSite::Current());
  double GetNumber(std::string_view key, double def, double min, double max, const ParamDoc& doc = {},
      ParamSite loc = ParamSite::Current());
  // Integers are compared exactly with [min, max] (no rounding through double). A float is
  // accepted only if it is integral and exactly representable in range (3.0 yes, 3.5 no,
  // 9223372036854775808.0 not for int64).
  int64_t GetInt(std::string_view key, int64_t def, int64_t min, int64_t max, const ParamDoc& doc = {},
      ParamSite loc = ParamSite::Current());
  // The same for the full unsigned 64-bit range (e.g. the scenario seed, 0 to 2^64-1).
  uint64_t GetUint64(std::string_view key, uint64_t def, uint64_t min, uint64_t max, const ParamDoc& doc = {},
      ParamSite loc = ParamSite::Current());
  bool GetBool(std::string_view key, bool def, const ParamDoc& doc = {},
      ParamSite loc = ParamSite::Current());
  std::string GetString(std::string_view key, std::string def, const ParamDoc& doc = {},
      ParamSite loc = ParamSite::Current());
  std::string GetEnum(std::string_view key, std::string def,
                      std::initializer_list<std::string_view> accepted, const ParamDoc& doc = {},
      ParamSite loc = ParamSite::Current());
  // Raw access (marks the key known); null if absent.
  const nlohmann::json* GetRaw(std::string_view key, const ParamDoc& doc = {},
      ParamSite loc = ParamSite::Current());
  // A child object reader; absent key → reader over an empty object.
  JsonReader Child(std::string_view key, const ParamDoc& doc = {},
      ParamSite loc = ParamSite::Current());
  // Array of objects: returns the elements (empty if absent); reports non-arrays.
  std::vector<const nlohmann::json*> GetArray(std::string_view key, const ParamDoc& doc = {},
      ParamSite loc = ParamSite::Current());

  // Path of a key or element below this object.
  std::string PathOf(std::string_view key) const;
  static std::string ElementPath(const std::string& array_path, size_t i);

  // Records the declaration of `key` when a ParamLog is attached (the getters call it; readers
  // of compound values call it themselves). `type`: see ParamRecord.
  void Declare(std::string_view key, std::string_view type, nlohmann::json def,
               nlohmann::json constraints, const ParamDoc& doc, const ParamSite& loc);
  bool declaring() const { return log_ != nullptr; }

  // Records an error at `path` (first one wins).
  void Fail(std::string_view path, std::string_view message);
  // Reports the first error, or an unknown key.
  absl::Status Finish();

 private:
  const nlohmann::json* Lookup(std::string_view key);
  
  const nlohmann::json& j_;
  std::string path_;
  std::shared_ptr<absl::Status> error_;
  ParamLog* log_;
  std::vector<std::string> known_;
  static const nlohmann::json kEmptyObject;
};

// Normalizes "a.b[3].c" to "a.b[].c" (the paths of a ParamLog).
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
