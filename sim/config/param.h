// ParamDoc and ParamLog: the declaration of a scenario parameter is the JsonReader getter that
// reads it, plus a ParamDoc.
//
// A getter call such as
//   out->prewarm_rate = r.GetNumber("prewarm_rate", out->prewarm_rate, 0.001, 1e6,
//                                   {.doc = "...", .source = "sources.md §P9", .unit = "roles/s"});
// states the parameter's name, type, default, accepted range and documentation once. With a
// ParamLog attached to the reader, every getter records that declaration under the
// parameter's JSON path ("world.workers.prewarm_rate", array elements as "a[].b", strategy
// parameters as "strategies[].params<KIND>.key"); the JSON Schema (`credsim schema`) and the
// field reference of docs/scenarios.md (`credsim docs`) are generated from the records, so the
// loader's checks, the schema and the docs cannot disagree.
#ifndef CREDSIM_SIM_CONFIG_PARAM_H_
#define CREDSIM_SIM_CONFIG_PARAM_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

namespace credsim {

// What a parameter means. `source` cites docs/sources.md ("sources.md §P7 ...") or says
// "assumption" / "design (...)"; `schema` is a JSON Schema fragment for values the getter's own
// type does not describe (e.g. {"anyOf": [...]} for a key read raw), merged into the generated
// property.
struct ParamDoc {
  std::string_view doc = {};
  std::string_view source = {};
  std::string_view unit = {};
  std::string_view schema = {};
  bool required = false;
  // The default depends on other values (the doc says how): no "default" in the schema.
  bool derived_default = false;
};

// Where a parameter is declared (file and line of the getter call), for error messages of the
// generator. Current() as a default argument gives the caller's position (GCC and Clang; clang
// 14 has no std::source_location with libstdc++ 12).
struct ParamSite {
  static constexpr ParamSite Current(const char* file = __builtin_FILE(),
                                     int line = __builtin_LINE()) {
    return {file, line};
  }
  const char* file;
  int line;
};

// One recorded declaration (see the file comment). `type` is one of number, integer, boolean,
// string, enum, duration, optional_duration, distribution, object, array, raw.
struct ParamRecord {
  std::string type;
  nlohmann::json default_value;  // null when the parameter has no default
  nlohmann::json constraints = nlohmann::json::object();  // minimum/maximum/enum
  std::string doc, source, unit;
  nlohmann::json schema;         // null or the ParamDoc fragment
  bool required = false;
  bool derived_default = false;
  std::string where;             // file:line of the declaring call
  int order = 0;                 // first declaration order (the generated docs keep it)
};

// The declarations met while loading one document, by normalised JSON path. A later record
// for the same path replaces an earlier one (a typed getter that reads its value raw first).
class ParamLog {
 public:
  // A key read twice (raw first, then by a typed getter, or by a compound reader) keeps the
  // documented declaration: the one with a schema fragment, else the later one, with the
  // earlier one's documentation where the later has none.
  void Record(std::string path, ParamRecord r) {
    auto it = records_.find(path);
    if (it == records_.end()) {
      r.order = next_order_++;
      records_.emplace(std::move(path), std::move(r));
      return;
    }
    ParamRecord& old = it->second;
    r.order = old.order;
    if (r.type == "raw" && r.schema.is_null() && old.type != "raw") {
      if (old.doc.empty()) {
        old.doc = std::move(r.doc);
        old.source = std::move(r.source);
        old.unit = std::move(r.unit);
      }
      return;  // a raw read that only marks the key known keeps the typed declaration
    }
    if (r.schema.is_null() && !old.schema.is_null()) {
      r.schema = std::move(old.schema);
      r.type = old.type;
    }
    if (r.doc.empty()) {
      r.doc = std::move(old.doc);
      r.source = std::move(old.source);
      r.unit = std::move(old.unit);
    }
    r.required = r.required || old.required;
    r.derived_default = r.derived_default || old.derived_default;
    old = std::move(r);
  }
  size_t count(const std::string& path) const { return records_.count(path); }
  size_t size() const { return records_.size(); }
  const std::map<std::string, ParamRecord>& records() const { return records_; }
  // Copies `other`'s records, their paths prefixed (used for strategy parameters).
  void MergePrefixed(const ParamLog& other, std::string_view strip, std::string_view prefix);

 private:
  std::map<std::string, ParamRecord> records_;
  int next_order_ = 0;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_CONFIG_PARAM_H_
