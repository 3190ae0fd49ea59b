// The scenario-file syntax of distributions: parsing with path-aware errors, and the JSON form
// written to results.json. Kept out of the engine (sim/engine/distribution.h is pure math).
#ifndef CREDSIM_SIM_CONFIG_DISTRIBUTION_JSON_H_
#define CREDSIM_SIM_CONFIG_DISTRIBUTION_JSON_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sim/config/param.h"
#include "sim/engine/distribution.h"

namespace credsim {

class JsonReader;

// The JSON Schema of the duration-distribution syntax below; `credsim schema` emits it as
// $defs/distribution.
inline constexpr char kDistributionSchema[] = R"json({"description": "A distribution of durations: a bare duration (constant), {\"constant\": d}, {\"uniform\": {\"min\": d, \"max\": d}}, {\"exponential\": {\"mean\": d}}, {\"lognormal\": {\"median\": d, \"p99\": d}} or {\"empirical\": {\"p0\": d, ..., \"p100\": d}} (percentile keys pNN or pNN.N, p0 and p100 required, values non-decreasing).", "oneOf": [{"$ref": "#/$defs/duration"}, {"type": "object", "additionalProperties": false, "required": ["constant"], "properties": {"constant": {"$ref": "#/$defs/duration"}}}, {"type": "object", "additionalProperties": false, "required": ["uniform"], "properties": {"uniform": {"type": "object", "additionalProperties": false, "required": ["min", "max"], "properties": {"min": {"$ref": "#/$defs/duration"}, "max": {"$ref": "#/$defs/duration"}}}}}, {"type": "object", "additionalProperties": false, "required": ["exponential"], "properties": {"exponential": {"type": "object", "additionalProperties": false, "required": ["mean"], "properties": {"mean": {"$ref": "#/$defs/duration"}}}}}, {"type": "object", "additionalProperties": false, "required": ["lognormal"], "properties": {"lognormal": {"type": "object", "additionalProperties": false, "required": ["median", "p99"], "properties": {"median": {"$ref": "#/$defs/duration"}, "p99": {"$ref": "#/$defs/duration"}}}}}, {"type": "object", "additionalProperties": false, "required": ["empirical"], "properties": {"empirical": {"type": "object", "required": ["p0", "p100"], "propertyNames": {"pattern": "^p0*(100([.]0+)?|[0-9]{1,2}([.][0-9]+)?)$"}, "additionalProperties": {"$ref": "#/$defs/duration"}}}}]})json";

// Scenario-file syntax. Accepted shapes (exactly one key in an object):
//   "150ms"                                        constant (bare value)
//   {"constant": "150ms"}
//   {"uniform": {"min": "1ms", "max": "3ms"}}      requires min <= max
//   {"exponential": {"mean": "10m"}}               requires mean > 0
//   {"lognormal": {"median": "150ms", "p99": "1s"}}  requires 0 < median <= p99
//   {"empirical": {"p0": "1ms", "p50": "20ms", "p99.9": "300ms", "p100": "1s"}}
//       keys "pNN" or "pNN.N..." (percent in [0, 100]); p0 and p100 are required; values
//       must be non-decreasing in the percentile.
// ParseDurationDistribution takes duration strings (see ParseDuration) and yields values in
// SECONDS; ParseNumberDistribution takes plain JSON numbers. Unknown or missing keys and bad
// values are absl::InvalidArgumentError with a message "<json path>: <problem>; <what is
// accepted>", where the path extends `path` with the offending keys, e.g.
// "scenario.sts.latency.lognormal.p99: must be >= median (150ms)".
absl::StatusOr<Distribution> ParseDurationDistribution(const nlohmann::json& j,
                                                       std::string_view path);
absl::StatusOr<Distribution> ParseNumberDistribution(const nlohmann::json& j,
                                                     std::string_view path);

// The ParseNumberDistribution form of `d` (values as plain numbers), e.g.
// {"lognormal": {"median": 0.15, "p99": 1.0}}. A Constant becomes {"constant": v}. An Empirical
// whose points lack p=0 or p=1 is emitted as is and does not parse back.
nlohmann::json ToJson(const Distribution& d);

// Reads the duration distribution at `key` of `r` (absent: `*out` unchanged). A parse error
// is reported through `r` at the path of the offending value, named once.
// Declares the parameter (type "distribution", default `*out` in duration syntax) with `doc`.
void ReadDurationDistribution(JsonReader& r, std::string_view key, Distribution* out,
                              const ParamDoc& doc = {},
                              ParamSite loc = ParamSite::Current());

// The ParseDurationDistribution form of `d` (values in seconds written as duration strings),
// e.g. {"lognormal": {"median": "150ms", "p99": "1s"}}; a Constant becomes its bare string.
nlohmann::json ToDurationJson(const Distribution& d);

}  // namespace credsim

#endif  // CREDSIM_SIM_CONFIG_DISTRIBUTION_JSON_H_
