#include "cli/param_reference.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "absl/strings/str_split.h"
#include "cli/scenario.h"
#include "fmt/format.h"
#include "sim/config/distribution_json.h"
#include "sim/config/json_reader.h"
#include "strategies/registry.h"

namespace credsim {
namespace {

using ojson = nlohmann::ordered_json;

// A document that reaches every section, every optional sub-object, one element of every
// array and every strategy kind: loading it visits every declaration. Its values are
// arbitrary (the declarations carry the defaults).
constexpr char kEveryBranch[] = R"json({
  "$schema": "./schema.json",
  "name": "everything",
  "description": "exercises every key",
  "claim": "the loader, the schema and the docs agree",
  "seed": 42,
  "duration": "2h",
  "warmup": "10m",
  "timeseries_interval": "5m",
  "initial_state": "cold",
  "world": {
    "colos": {
      "count": 3,
      "weights": {"zipf": 1.1},
      "servers_per_colo": 2,
      "intra_region_rtt": "12ms",
      "sts_region": "weur",
      "rtt": {"wnam-enam": "75ms", "apac-oc": "110ms"},
      "list": [
        {"name": "ams", "region": "weur", "weight": 2, "servers": 3},
        {"name": "iad", "region": "enam", "weight": 1},
        {"name": "sin", "region": "apac"}
      ]
    },
    "isolates": {
      "cold_start": {"lognormal": {"median": "5ms", "p99": "200ms"}},
      "cold_start_cpu": "20ms",
      "idle_eviction": {"empirical": {"p0": "1m", "p50": "5m", "p99.9": "20m", "p100": "30m"}},
      "random_evictions_per_hour": 0.5,
      "max_lifetime": "6h",
      "restarts": ["30m", "1h"],
      "restart_interval": "24h"
    },
    "workers": {
      "edge_timeout": "20s",
      "cross_request_waits_cancelled": false,
      "custom_domain": true,
      "cpu_per_request": "2ms"
    },
    "sts": {
      "latency": {"uniform": {"min": "50ms", "max": "300ms"}},
      "rtt": "5ms",
      "stall_probability": 0.01,
      "stall_duration": {"constant": "20s"},
      "timeout": "8s",
      "retries": {"mode": "standard", "max_attempts": 4, "base_backoff_transient": "50ms",
                  "base_backoff_throttling": "1s", "max_backoff": "10s", "quota": 100,
                  "retry_cost": 3, "timeout_retry_cost": 7, "throttling_retry_cost": 2,
                  "no_retry_increment": 1},
      "rate_limit": {"enabled": true, "rate_per_s": 100, "burst": 50},
      "errors": {"access_denied": 0.01, "invalid_identity_token": 0.02, "idp_communication": 0.03},
      "outages": [{"start": "20m", "end": "25m", "mode": "hang"}],
      "credential_duration": "2h",
      "signing_cpu": {"exponential": {"mean": "5ms"}}
    },
    "cache_api": {
      "enabled": true,
      "match_latency": "2ms",
      "put_latency": {"constant": "2ms"},
      "put_failure_probability": 0.01,
      "read_error_probability": 0.001,
      "lru_idle_eviction": null,
      "eviction_probability": 0.01
    },
    "kv": {
      "read_latency_hot": "2ms",
      "read_latency_cold": {"uniform": {"min": "20ms", "max": "100ms"}},
      "write_latency": "40ms",
      "propagation_delay": {"uniform": {"min": "1s", "max": "30s"}},
      "default_cache_ttl": "45s",
      "min_cache_ttl": "30s",
      "write_rate_per_key_per_s": 2,
      "min_expiration_ttl": "60s",
      "outages": [{"start": "1h", "end": "1h5m"}],
      "read_error_probability": 0.001
    },
    "durable_objects": {
      "placement": "hint",
      "location_colo": 1,
      "service_time": "2ms",
      "storage_latency": "3ms",
      "soft_limit_rps": 500,
      "max_queue": 50,
      "evict_after_idle": "70s",
      "alarm_retry": {"initial": "1s", "max_retries": 3, "factor": 3,
                      "set_alarm_cancels_retry": false, "jitter": 0.25}
    },
    "pricing": {
      "kv_read_per_million": 0.5, "kv_write_per_million": 5, "do_request_per_million": 0.15,
      "do_gb_s_per_million": 12.5, "do_memory_gb": 0.128, "do_row_write_per_million": 1,
      "workers_request_per_million": 0.3, "workers_cpu_ms_per_million": 0.02
    }
  },
  "traffic": {
    "roles": 10,
    "sessions_per_role": 2,
    "popularity": {"zipf": 0.9},
    "rate": 20,
    "role_rates": [1, 2.5, 0],
    "curve": {"type": "piecewise", "points": [{"at": "0s", "multiplier": 0.5},
                                              {"at": "1h", "multiplier": 2}],
              "period": "12h", "peak_at": "6h", "trough": 0.2},
    "bursts": [{"start": "30m", "duration": "2m", "rate": 50, "role": 0, "colos": "weighted"}],
    "failovers": [{"at": "40m", "until": "50m", "from": 0, "to": 2}],
    "trace": {"path": "invocations.csv", "max_functions": 2, "scale": 0.5}
  },
  "revocation": {
    "events": [{"at": "1h", "role": 2}, {"at": "90m"}],
    "publish_delay": "2s",
    "poll_latency": "30ms",
    "feed_outages": [{"start": "10m", "end": "15m"}]
  },
  "windows": [{"name": "spike", "start": "30m", "end": "40m"}],
  "strategies": [
    "none",
    {"kind": "l1", "name": "l1_v1",
     "params": {"variant": "v1", "refresh_lead": "2m", "min_serve": "10s", "claim_timeout": "20s",
                "v1_wait": "holder_promise",
                "revocation": {"enabled": true, "poll_interval": "10s",
                               "disconnect_threshold": "2m", "drop_on_403": true}}},
    {"kind": "l1_l2", "params": {"l2_ttl_lead": "4m"}},
    {"kind": "kv", "params": {"cache_ttl": "30s", "kv_margin": "3m", "min_expiration_ttl": "60s"}},
    {"kind": "do_singleflight", "params": {"do_refresh_lead": "4m", "overload_fallback": "fail"}},
    {"kind": "do_alarm_kv",
     "params": {"alarm_lead": "15m", "failure_rearm": "4m", "cache_ttl": "60s",
                "kv_min_remaining": "3m", "kv_expiry_margin": "3m", "fallback": "sts",
                "prewarm": false}}
  ]
})json";

// A tiny Azure Functions trace for the document's traffic.trace (the loader reads the file).
constexpr char kTinyTrace[] =
    "HashOwner,HashApp,HashFunction,Trigger,1,2,3\n"
    "o1,a1,f1,http,5,0,3\n";

// The declarations as a tree of path segments ("list[]" = array elements, "params<l1>").
struct Node {
  const ParamRecord* record = nullptr;
  std::map<std::string, Node> children;
  int order = 1 << 30;  // the smallest declaration order below (keeps the loader's order)
};

void Insert(Node& root, const std::string& path, const ParamRecord& r) {
  Node* n = &root;
  for (absl::string_view seg : absl::StrSplit(path, '.')) {
    std::string s(seg);
    // "a[]" and "params<k>" stay one segment each; array elements hang below "a[]".
    if (s.size() > 2 && s.compare(s.size() - 2, 2, "[]") == 0) {
      n = &n->children[s.substr(0, s.size() - 2)];
      n->order = std::min(n->order, r.order);
      n = &n->children["[]"];
    } else {
      n = &n->children[s];
    }
    n->order = std::min(n->order, r.order);
  }
  n->record = &r;
}

std::vector<std::pair<std::string, const Node*>> Ordered(const Node& n) {
  std::vector<std::pair<std::string, const Node*>> out;
  for (const auto& [k, c] : n.children) {
    if (k != "[]") out.emplace_back(k, &c);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second->order < b.second->order; });
  return out;
}

std::string Description(const ParamRecord& r) {
  if (r.source.empty()) return r.doc;
  return fmt::format("{} Source: {}", r.doc, r.source);
}

ojson Leaf(const ParamRecord& r) {
  ojson p = ojson::object();
  if (r.type == "number" || r.type == "integer") {
    p["type"] = r.type;
    p["minimum"] = r.constraints.value("minimum", nlohmann::json());
    p["maximum"] = r.constraints.value("maximum", nlohmann::json());
  } else if (r.type == "boolean" || r.type == "string") {
    p["type"] = r.type;
  } else if (r.type == "enum") {
    p["type"] = "string";
    p["enum"] = r.constraints.value("enum", nlohmann::json::array());
  } else if (r.type == "duration") {
    p["$ref"] = "#/$defs/duration";
  } else if (r.type == "optional_duration") {
    p["anyOf"] = ojson::array({{{"$ref", "#/$defs/duration"}}, {{"type", "null"}}});
  } else if (r.type == "distribution") {
    p["$ref"] = "#/$defs/distribution";
  }
  return p;
}

class SchemaBuilder {
 public:
  explicit SchemaBuilder(const ParamLog& log) {
    for (const auto& [path, r] : log.records()) Insert(root_, path, r);
  }

  const Node& root() const { return root_; }

  // The schema of `n` (a declared key): its own type, children, description and default.
  ojson Property(const std::string& path, const Node& n) {
    ojson p = ojson::object();
    const ParamRecord* r = n.record;
    if (r == nullptr) {
      errors_.push_back(path + ": a key below it is declared, the key itself is not");
      return p;
    }
    if (r->type == "object") {
      p = Object(path, n);
    } else if (r->type == "array") {
      p["type"] = "array";
      auto it = n.children.find("[]");
      if (it != n.children.end()) p["items"] = Object(path + "[]", it->second);
    } else {
      p = Leaf(*r);
    }
    if (!r->schema.is_null()) {
      // A fragment that states the value's type replaces the getter's.
      for (const char* k : {"anyOf", "oneOf", "$ref", "type", "const"}) {
        if (r->schema.contains(k)) {
          for (const char* t : {"anyOf", "oneOf", "$ref", "type", "enum", "minimum", "maximum"}) {
            p.erase(t);
          }
          break;
        }
      }
      for (const auto& [k, v] : r->schema.items()) p[k] = v;
      // Keys declared below a raw value (e.g. {"zipf": s} of colos.weights) fill the
      // properties of the fragment's object alternative.
      if (r->type == "raw" && !Ordered(n).empty()) EmbedChildren(path, n, p);
    }
    if (r->type == "raw" && r->schema.is_null()) {
      errors_.push_back(fmt::format("{} ({}): read raw but its declaration gives no schema",
                                    path, r->where));
    }
    if (r->doc.empty()) {
      errors_.push_back(fmt::format("{} ({}): declared without a description", path, r->where));
    }
    p["description"] = Description(*r);
    if (!p.contains("default")) {
      if (r->type == "object") {
        p["default"] = ojson::object();
      } else if (r->type == "array") {
        p["default"] = ojson::array();
      } else if (r->derived_default || r->required) {
        // no default: it depends on other values, or the key must be given
      } else if (!r->default_value.is_null() || r->type == "optional_duration") {
        p["default"] = r->default_value;
      }
    }
    return p;
  }

  // An object with additionalProperties false, properties from the children (in declaration
  // order) and "required" from the declarations that say so.
  ojson Object(const std::string& path, const Node& n) {
    ojson o = ojson::object();
    o["type"] = "object";
    o["additionalProperties"] = false;
    ojson props = ojson::object();
    ojson required = ojson::array();
    for (const auto& [k, c] : Ordered(n)) {
      if (k.rfind("params<", 0) == 0) continue;  // strategy parameters: $defs/params_<kind>
      const std::string sub = path.empty() ? k : path + "." + k;
      props[k] = Property(sub, *c);
      if (c->record && c->record->required) required.push_back(k);
    }
    if (!required.empty()) o["required"] = required;
    o["properties"] = props;
    return o;
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  void EmbedChildren(const std::string& path, const Node& n, ojson& p) {
    ojson* target = nullptr;
    for (const char* alt : {"anyOf", "oneOf"}) {
      if (!p.contains(alt)) continue;
      for (ojson& a : p[alt]) {
        if (a.value("type", "") == "object") target = &a;
      }
    }
    if (target == nullptr && p.value("type", "") == "object") target = &p;
    if (target == nullptr) {
      errors_.push_back(path + ": keys are declared below it but its schema has no object form");
      return;
    }
    ojson o = Object(path, n);
    (*target)["additionalProperties"] = false;
    (*target)["properties"] = o["properties"];
  }

  Node root_;
  std::vector<std::string> errors_;
};

}  // namespace

const char* EveryBranchDocument() { return kEveryBranch; }

absl::StatusOr<ParamLog> DeclaredParams() {
  char dir_template[] = "/tmp/credsim-params-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (dir == nullptr) return absl::InternalError("cannot create a temporary directory");
  const std::filesystem::path trace = std::filesystem::path(dir) / "invocations.csv";
  {
    std::ofstream out(trace);
    out << kTinyTrace;
  }
  ParamLog log;
  absl::StatusOr<Scenario> sc =
      ParseScenario(nlohmann::json::parse(kEveryBranch), "everything", dir, &log);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!sc.ok()) {
    return absl::InternalError(
        fmt::format("the built-in document of every branch no longer loads: {}",
                    std::string(sc.status().message())));
  }
  return log;
}

nlohmann::ordered_json SweepSchema(const ParamLog& params) {
  ojson s = ScenarioSchema(params);
  s["title"] = "credsim sweep";
  s["description"] =
      "A credsim sweep file: a scenario, axes (scenario paths and the values each takes), "
      "replications and a seed. Generated by `credsim schema --sweep` from the sweep loader's "
      "declarations and documented in docs/sweeps.md; `credsim sweep plan` applies the same "
      "rules and validates every point's scenario.";
  ojson defs = ojson::object();
  defs["duration"] = s["$defs"]["duration"];
  s["$defs"] = defs;
  return s;
}

nlohmann::ordered_json ScenarioSchema(const ParamLog& params) {
  SchemaBuilder b(params);
  ojson s = ojson::object();
  s["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  s["title"] = "credsim scenario";
  s["description"] =
      "A credsim scenario file: the simulated world, the traffic, the run length and the "
      "strategies to compare. Generated by `credsim schema` from the loader's parameter "
      "declarations and documented field by field in docs/scenarios.md; `credsim validate` "
      "applies the same rules (and a few cross-field ones this schema cannot express).";
  ojson top = b.Object("", b.root());
  for (const auto& [k, v] : top.items()) s[k] = v;

  ojson defs = ojson::object();
  defs["duration"] = ojson::parse(kDurationSchema);
  defs["distribution"] = ojson::parse(kDistributionSchema);
  ojson kinds = ojson::array();
  std::string kind_text;
  for (const StrategyRegistration& r : RegisteredStrategies()) {
    kinds.push_back(std::string(r.kind));
    kind_text += fmt::format("{}{}: {}", kind_text.empty() ? "" : "; ", r.kind, r.summary);
  }
  defs["strategy_kind"] = {{"description", "A registered strategy kind: " + kind_text + "."},
                           {"type", "string"},
                           {"enum", kinds}};
  // A strategy entry: strategies[] declarations, and per kind the params<kind> subtree.
  const Node* entry = nullptr;
  if (auto it = b.root().children.find("strategies"); it != b.root().children.end()) {
    if (auto e = it->second.children.find("[]"); e != it->second.children.end()) {
      entry = &e->second;
    }
  }
  if (entry != nullptr) {
    ojson strategy = b.Object("strategies[]", *entry);
    ojson all_of = ojson::array();
    for (const StrategyRegistration& r : RegisteredStrategies()) {
      const std::string kind(r.kind);
      all_of.push_back(
          {{"if", {{"properties", {{"kind", {{"const", kind}}}}}, {"required", {"kind"}}}},
           {"then", {{"properties", {{"params", {{"$ref", "#/$defs/params_" + kind}}}}}}}});
    }
    ojson ordered = ojson::object();
    ordered["description"] = strategy.contains("description")
                                 ? strategy["description"]
                                 : ojson("A strategy entry: its kind, a unique name for reports "
                                         "and the kind's parameters.");
    for (const auto& [k, v] : strategy.items()) {
      if (k != "description") ordered[k] = v;
    }
    ordered["allOf"] = all_of;
    defs["strategy"] = ordered;
    for (const StrategyRegistration& r : RegisteredStrategies()) {
      const std::string kind(r.kind);
      Node empty;
      auto it = entry->children.find("params<" + kind + ">");
      ojson p = b.Object("strategies[].params<" + kind + ">",
                         it == entry->children.end() ? empty : it->second);
      ojson ordered_p = ojson::object();
      ordered_p["description"] =
          fmt::format("Parameters of strategy kind \"{}\" ({}).", kind, r.summary);
      for (const auto& [k, v] : p.items()) ordered_p[k] = v;
      defs["params_" + kind] = ordered_p;
    }
  }
  s["$defs"] = defs;
  if (!b.errors().empty()) {
    s["x-declaration-errors"] = b.errors();
  }
  return s;
}

namespace {

std::string Cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string Number(const nlohmann::json& v) {
  if (!v.is_number_float()) return v.dump();
  const double d = v.get<double>();
  if (d == static_cast<double>(static_cast<int64_t>(d)) && std::abs(d) < 1e7) {
    return fmt::format("{}", static_cast<int64_t>(d));
  }
  return fmt::format("{:g}", d);
}

std::string AlternativeName(const nlohmann::json& a) {
  if (a.contains("$ref")) {
    std::string r = a["$ref"].get<std::string>();
    return r.substr(r.rfind('/') + 1);
  }
  if (a.contains("const")) return a["const"].dump();
  if (a.contains("enum")) {
    std::string s;
    for (const auto& e : a["enum"]) s += (s.empty() ? "" : ", ") + e.dump();
    return s;
  }
  if (a.value("type", "") == "array") return "array";
  return a.value("type", "value");
}

std::string TypeText(const ParamRecord& r) {
  std::string t;
  if (r.type == "enum") {
    t = "string";
  } else if (r.type == "optional_duration") {
    t = "duration or null";
  } else if (r.type == "array") {
    t = "array of objects";
  } else if (r.type == "raw" || (!r.schema.is_null() && (r.schema.contains("anyOf") ||
                                                        r.schema.contains("oneOf")))) {
    std::vector<std::string> alts;
    for (const char* k : {"anyOf", "oneOf"}) {
      if (r.schema.is_object() && r.schema.contains(k)) {
        for (const auto& a : r.schema[k]) alts.push_back(AlternativeName(a));
      }
    }
    if (alts.empty() && r.schema.is_object()) alts.push_back(AlternativeName(r.schema));
    for (const std::string& a : alts) t += (t.empty() ? "" : " or ") + a;
  } else {
    t = r.type;
  }
  if (!r.unit.empty()) t += fmt::format(" ({})", r.unit);
  return t;
}

std::string DefaultText(const ParamRecord& r) {
  if (r.required) return "required";
  if (r.derived_default) return "see meaning";
  if (r.schema.is_object() && r.schema.contains("default")) {
    return fmt::format("`{}`", r.schema["default"].dump());
  }
  if (r.type == "object") return "`{}`";
  if (r.type == "array") return "`[]`";
  return fmt::format("`{}`", r.default_value.dump());
}

std::string AcceptedText(const ParamRecord& r) {
  if (r.type == "number" || r.type == "integer") {
    return fmt::format("{} to {}", Number(r.constraints.value("minimum", nlohmann::json())),
                       Number(r.constraints.value("maximum", nlohmann::json())));
  }
  if (r.type == "enum") {
    std::string s;
    for (const auto& e : r.constraints.value("enum", nlohmann::json::array())) {
      s += (s.empty() ? "" : ", ") + e.dump();
    }
    return s;
  }
  if (r.type == "boolean") return "true, false";
  if (r.type == "duration") return "duration";
  if (r.type == "optional_duration") return "duration or null";
  if (r.type == "distribution" && r.schema.is_null()) return "distribution";
  if (r.type == "object") return "object";
  if (r.type == "array") return "array of objects";
  if (r.schema.is_object() && (r.schema.contains("anyOf") || r.schema.contains("oneOf"))) {
    return TypeText(r);
  }
  if (r.schema.is_object()) {
    nlohmann::json shown = r.schema;
    shown.erase("default");
    if (shown.empty()) return r.type;
    const std::string s = shown.dump();
    if (s.size() <= 120) return fmt::format("`{}`", s);
    return "see scenarios/schema.json";
  }
  return r.type;
}

bool IsStrictDescendant(const std::string& path, const std::string& section) {
  if (section.empty()) return true;
  if (path.size() <= section.size() || path.compare(0, section.size(), section) != 0) {
    return false;
  }
  const char next = path[section.size()];
  return next == '.' || next == '[' || next == '<';
}

constexpr char kMarkerOpen[] = "<!-- credsim docs: ";
constexpr char kMarkerClose[] = "<!-- /credsim docs -->";

}  // namespace

std::string FieldTable(const ParamLog& params, const std::string& section,
                       const std::vector<std::string>& sections) {
  std::vector<std::pair<int, std::string>> rows;
  for (const auto& [path, r] : params.records()) {
    if (!IsStrictDescendant(path, section)) continue;
    bool deeper = false;
    for (const std::string& s : sections) {
      deeper |= s.size() > section.size() && IsStrictDescendant(path, s) &&
                IsStrictDescendant(s, section);
    }
    if (deeper) continue;
    rows.emplace_back(r.order, fmt::format("| `{}` | {} | {} | {} | {} | {} |", path,
                                           Cell(TypeText(r)), Cell(DefaultText(r)),
                                           Cell(AcceptedText(r)), Cell(r.doc),
                                           Cell(r.source.empty() ? "—" : r.source)));
  }
  std::sort(rows.begin(), rows.end());
  std::string out = "| Field | Type | Default | Accepted | Meaning | Source |\n"
                    "|---|---|---|---|---|---|\n";
  for (const auto& [order, row] : rows) out += row + "\n";
  return out;
}

absl::StatusOr<std::string> WithFieldReference(const std::string& docs, const ParamLog& params) {
  // The sections the document marks, in order.
  std::vector<std::string> sections;
  for (size_t at = docs.find(kMarkerOpen); at != std::string::npos;
       at = docs.find(kMarkerOpen, at + 1)) {
    const size_t name_at = at + std::strlen(kMarkerOpen);
    const size_t end = docs.find(" -->", name_at);
    if (end == std::string::npos) return absl::InvalidArgumentError("unterminated marker");
    std::string name = docs.substr(name_at, end - name_at);
    sections.push_back(name == "(top level)" ? "" : name);
  }
  if (sections.empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "no \"{}SECTION -->\" markers: the field reference has nowhere to go", kMarkerOpen));
  }
  std::string out;
  size_t pos = 0;
  for (size_t i = 0; i < sections.size(); ++i) {
    const size_t at = docs.find(kMarkerOpen, pos);
    const size_t line_end = docs.find('\n', at);
    const size_t close = docs.find(kMarkerClose, line_end);
    if (line_end == std::string::npos || close == std::string::npos) {
      return absl::InvalidArgumentError(
          fmt::format("marker of section \"{}\" has no \"{}\" after it", sections[i], kMarkerClose));
    }
    out += docs.substr(pos, line_end + 1 - pos);
    out += FieldTable(params, sections[i], sections);
    pos = close;
  }
  out += docs.substr(pos);
  return out;
}

std::string FieldReference(const ParamLog& params) {
  return FieldTable(params, "", {});
}

absl::StatusOr<std::string> WithSweepFieldReference(const std::string& docs, const ParamLog& params) {
  absl::StatusOr<std::string> out = WithFieldReference(docs, params);
  if (!out.ok()) return out;
  const std::string from = "see scenarios/schema.json", to = "see scenarios/sweeps/schema.json";
  for (size_t at = out->find(from); at != std::string::npos; at = out->find(from, at + to.size())) {
    out->replace(at, from.size(), to);
  }
  return out;
}

}  // namespace credsim
