// Keeps the scenario loader (ParseScenario), scenarios/schema.json and docs/scenarios.md in
// agreement:
//  * the committed scenarios/schema.json and the field tables of docs/scenarios.md are what
//    `credsim schema` and `credsim docs` generate from the loader's declarations, and every
//    declaration has a description (cli/param_reference.h);
//  * the key paths the loader declares (ParamLog) on a document that exercises every section
//    and every strategy kind equal the property paths of the schema;
//  * every schema path appears in docs/scenarios.md, and every path in the field tables of the
//    docs is a schema path;
//  * the schema's defaults equal what the loader produces when the keys are absent;
//  * every shipped scenario (and the worked example of the docs) loads and is schema-valid, and
//    documents the loader rejects are rejected by the schema too.
// Path notation (as in the ParamLog): "a.b", array elements "a[].b", strategy parameters
// "strategies[].params<KIND>.key". Distributions are leaves (the ParamLog records only their own
// path), so the schema walker stops at "$ref": "#/$defs/distribution".
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/param_reference.h"
#include "cli/scenario.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/world/colos.h"
#include "sim/engine/distribution.h"
#include "sim/config/json_reader.h"
#include "sim/world/sts_sim.h"
#include "sim/engine/time.h"
#include "strategies/registry.h"

namespace credsim {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kSourceDir = CREDSIM_SOURCE_DIR;
constexpr const char kDistributionRef[] = "#/$defs/distribution";

std::string ReadText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json ReadJson(const fs::path& p) {
  std::ifstream in(p);
  if (!in) {
    ADD_FAILURE() << "cannot open " << p;
    return json();
  }
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    ADD_FAILURE() << p << ": " << e.what();
    return json();
  }
}

const json& Schema() {
  static const json* schema = new json(ReadJson(kSourceDir / "scenarios" / "schema.json"));
  return *schema;
}

// ---------------------------------------------------------------------------------------------
// SchemaWalker: lists every property of a schema by its path in ParamLog notation.
//
// Contract: follows local "$ref"s ("#/$defs/NAME") except to the distribution, which is a leaf;
// descends "properties" ("a.b"), "items" ("a[]") and anyOf/oneOf/allOf (same path); an
// {if: {properties: {kind: {const: K}}}, then: {properties: {params: P}}} branch adds the keys
// of P as "<path>.params<K>.key". Malformed schemas are reported in errors().

struct PropInfo {
  const json* node = nullptr;  // the property's own schema (with description/default)
  bool required = false;       // listed in the parent's "required"
};

class SchemaWalker {
 public:
  explicit SchemaWalker(const json& root) : root_(root) {}

  std::map<std::string, PropInfo> Collect() {
    Walk(root_, "", 0);
    return props_;
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  // Follows local "$ref"s; null for a distribution (a leaf) or an unresolvable reference.
  const json* Resolve(const json& node, const std::string& path) {
    const json* n = &node;
    for (int hops = 0; n->is_object() && n->contains("$ref"); ++hops) {
      const std::string ref = (*n)["$ref"].get<std::string>();
      if (ref == kDistributionRef) return nullptr;
      const std::string prefix = "#/$defs/";
      if (hops > 10 || ref.rfind(prefix, 0) != 0 || !root_.contains("$defs") ||
          !root_["$defs"].contains(ref.substr(prefix.size()))) {
        errors_.push_back(fmt::format("{}: cannot resolve $ref \"{}\"", path, ref));
        return nullptr;
      }
      n = &root_["$defs"][ref.substr(prefix.size())];
    }
    return n;
  }

  void Walk(const json& node, const std::string& path, int depth) {
    if (depth > 40) {
      errors_.push_back(path + ": schema nests too deeply (recursive $ref?)");
      return;
    }
    const json* n = Resolve(node, path);
    if (n == nullptr || !n->is_object()) return;
    if (n->contains("properties")) {
      std::set<std::string> required;
      if (n->contains("required")) {
        for (const json& r : (*n)["required"]) required.insert(r.get<std::string>());
      }
      for (const auto& [key, sub] : (*n)["properties"].items()) {
        const std::string p = path.empty() ? key : path + "." + key;
        props_[p] = PropInfo{&sub, required.count(key) > 0};
        Walk(sub, p, depth + 1);
      }
    }
    if (n->contains("items") && (*n)["items"].is_object()) Walk((*n)["items"], path + "[]", depth + 1);
    for (const char* keyword : {"anyOf", "oneOf", "allOf"}) {
      if (!n->contains(keyword)) continue;
      for (const json& sub : (*n)[keyword]) Walk(sub, path, depth + 1);
    }
    if (n->contains("if")) WalkKindBranch(*n, path, depth);
  }

  // {"if": {"properties": {"kind": {"const": K}}}, "then": {"properties": {"params": P}}}:
  // the keys of P are "<path>.params<K>.key" (the params object itself is not a new path).
  void WalkKindBranch(const json& n, const std::string& path, int depth) {
    const json* kind = nullptr;
    const json& cond = n["if"];
    if (cond.contains("properties") && cond["properties"].contains("kind") &&
        cond["properties"]["kind"].contains("const")) {
      kind = &cond["properties"]["kind"]["const"];
    }
    if (kind == nullptr || !kind->is_string() || !n.contains("then") ||
        !n["then"].contains("properties") || !n["then"]["properties"].contains("params")) {
      errors_.push_back(path + ": an if/then must be {if: {properties: {kind: {const: K}}}, "
                               "then: {properties: {params: ...}}}");
      return;
    }
    Walk(n["then"]["properties"]["params"],
         fmt::format("{}.params<{}>", path, kind->get<std::string>()), depth + 1);
  }

  const json& root_;
  std::map<std::string, PropInfo> props_;
  std::vector<std::string> errors_;
};

const std::map<std::string, PropInfo>& SchemaProps() {
  static const auto* props = [] {
    SchemaWalker w(Schema());
    auto* p = new std::map<std::string, PropInfo>(w.Collect());
    for (const std::string& e : w.errors()) ADD_FAILURE() << e;
    return p;
  }();
  return *props;
}

// ---------------------------------------------------------------------------------------------
// SchemaValidator: a small JSON Schema (2020-12) validator for the keywords schema.json uses:
// $ref (local), type, const, enum, pattern (ECMAScript), minLength, maxLength, minimum,
// maximum, minItems, maxItems, items, minProperties, required, properties, additionalProperties, propertyNames,
// allOf, anyOf, oneOf, if/then/else. Other keywords are ignored (accepted).

class SchemaValidator {
 public:
  explicit SchemaValidator(const json& root) : root_(root) {}

  // Empty when `instance` is valid; otherwise the first problems found.
  std::vector<std::string> Validate(const json& instance) {
    std::vector<std::string> errors;
    Check(instance, root_, "", &errors);
    return errors;
  }

 private:
  static bool HasType(const json& v, const std::string& type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "boolean") return v.is_boolean();
    if (type == "null") return v.is_null();
    if (type == "number") return v.is_number();
    if (type == "integer") {
      return v.is_number_integer() ||
             (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
    }
    return false;
  }

  const std::regex& Regex(const std::string& pattern) {
    auto it = regexes_.find(pattern);
    if (it == regexes_.end()) {
      it = regexes_.emplace(pattern, std::make_unique<std::regex>(pattern, std::regex::ECMAScript)).first;
    }
    return *it->second;
  }

  bool Valid(const json& v, const json& s, const std::string& path) {
    std::vector<std::string> sink;
    Check(v, s, path, &sink);
    return sink.empty();
  }

  void Check(const json& v, const json& s, const std::string& path, std::vector<std::string>* errors) {
    const std::string where = path.empty() ? "(top level)" : path;
    auto fail = [&](const std::string& msg) { errors->push_back(where + ": " + msg); };
    if (s.is_boolean()) {
      if (!s.get<bool>()) fail("not allowed");
      return;
    }
    if (s.contains("$ref")) {
      const std::string ref = s["$ref"].get<std::string>();
      const std::string prefix = "#/$defs/";
      if (ref.rfind(prefix, 0) != 0 || !root_.contains("$defs") ||
          !root_["$defs"].contains(ref.substr(prefix.size()))) {
        fail("unresolvable $ref " + ref);
        return;
      }
      Check(v, root_["$defs"][ref.substr(prefix.size())], path, errors);
    }
    if (s.contains("type") && !HasType(v, s["type"].get<std::string>())) {
      fail(fmt::format("expected type {}, got {}", s["type"].get<std::string>(), v.dump()));
      return;
    }
    if (s.contains("const") && v != s["const"]) fail("expected " + s["const"].dump());
    if (s.contains("enum")) {
      bool found = false;
      for (const json& e : s["enum"]) found |= e == v;
      if (!found) fail(v.dump() + " is not one of " + s["enum"].dump());
    }
    if (v.is_string()) {
      if (s.contains("pattern") &&
          !std::regex_search(v.get<std::string>(), Regex(s["pattern"].get<std::string>()))) {
        fail(v.dump() + " does not match " + s["pattern"].get<std::string>());
      }
      if (s.contains("minLength") && v.get<std::string>().size() < s["minLength"].get<size_t>()) {
        fail("too short");
      }
      // JSON Schema counts code points; counting bytes is stricter for non-ASCII text, which
      // matches the loader's byte limits.
      if (s.contains("maxLength") && v.get<std::string>().size() > s["maxLength"].get<size_t>()) {
        fail("too long");
      }
    }
    if (v.is_number()) {
      if (s.contains("minimum") && v.get<double>() < s["minimum"].get<double>()) fail("below minimum");
      if (s.contains("maximum") && v.get<double>() > s["maximum"].get<double>()) fail("above maximum");
    }
    if (v.is_array()) {
      if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) fail("too few items");
      if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>()) fail("too many items");
      if (s.contains("items")) {
        for (size_t i = 0; i < v.size(); ++i) {
          Check(v[i], s["items"], fmt::format("{}[{}]", path, i), errors);
        }
      }
    }
    if (v.is_object()) {
      if (s.contains("minProperties") && v.size() < s["minProperties"].get<size_t>()) {
        fail("too few properties");
      }
      if (s.contains("required")) {
        for (const json& r : s["required"]) {
          if (!v.contains(r.get<std::string>())) fail("missing required key " + r.dump());
        }
      }
      for (const auto& [key, value] : v.items()) {
        const std::string sub = path.empty() ? key : path + "." + key;
        if (s.contains("propertyNames")) Check(json(key), s["propertyNames"], sub, errors);
        if (s.contains("properties") && s["properties"].contains(key)) {
          Check(value, s["properties"][key], sub, errors);
        } else if (s.contains("additionalProperties")) {
          Check(value, s["additionalProperties"], sub, errors);
        }
      }
    }
    if (s.contains("allOf")) {
      for (const json& sub : s["allOf"]) Check(v, sub, path, errors);
    }
    if (s.contains("anyOf")) {
      bool any = false;
      for (const json& sub : s["anyOf"]) any = any || Valid(v, sub, path);
      if (!any) fail("matches none of anyOf");
    }
    if (s.contains("oneOf")) {
      int n = 0;
      std::vector<std::string> first;
      for (const json& sub : s["oneOf"]) {
        std::vector<std::string> e;
        Check(v, sub, path, &e);
        if (e.empty()) ++n;
        else if (first.empty()) first = e;
      }
      if (n != 1) {
        fail(fmt::format("matches {} of oneOf, expected exactly 1{}", n,
                         first.empty() ? "" : " (e.g. " + first.front() + ")"));
      }
    }
    if (s.contains("if")) {
      if (Valid(v, s["if"], path)) {
        if (s.contains("then")) Check(v, s["then"], path, errors);
      } else if (s.contains("else")) {
        Check(v, s["else"], path, errors);
      }
    }
  }

  const json& root_;
  std::map<std::string, std::unique_ptr<std::regex>> regexes_;
};

std::vector<std::string> SchemaErrors(const json& instance) {
  return SchemaValidator(Schema()).Validate(instance);
}

// ---------------------------------------------------------------------------------------------
// Test documents.

// A directory holding a tiny Azure Functions 2019 invocations file ("invocations.csv").
class TraceDir {
 public:
  TraceDir() {
    dir_ = fs::path(testing::TempDir()) /
           fmt::format("credsim_schema_test_{}", testing::UnitTest::GetInstance()->random_seed());
    fs::create_directories(dir_);
    std::ofstream(dir_ / "invocations.csv") << "HashOwner,HashApp,HashFunction,Trigger,1,2,3\n"
                                               "o1,a1,f1,http,5,0,3\n"
                                               "o2,a2,f2,timer,1,1,1\n"
                                               "o3,a3,f3,queue,0,2,0\n";
  }
  ~TraceDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path() const { return dir_.string(); }

 private:
  fs::path dir_;
};

// Every section, every optional sub-object, array elements and every strategy kind: the
// document the generator loads (its trace is "invocations.csv" of a TraceDir).
const char* const kEverything = EveryBranchDocument();

// Array elements with every defaultable key absent (only the required ones given).
const char kElementDefaults[] = R"json({
  "world": {
    "colos": {"list": [{}, {}]},
    "sts": {"outages": [{"start": "1m", "end": "2m"}]}
  },
  "traffic": {
    "curve": {"type": "piecewise", "points": [{}]},
    "bursts": [{}],
    "failovers": [{}],
    "trace": {"path": "invocations.csv"}
  },
  "revocation": {"events": [{}], "feed_outages": [{"end": "1s"}]}
})json";

std::string Join(const std::set<std::string>& s) {
  return s.empty() ? "(none)" : fmt::format("\n    {}", fmt::join(s, "\n    "));
}

// ---------------------------------------------------------------------------------------------

TEST(SchemaWalker, CollectsPathsInKeyLogNotation) {
  const json toy = json::parse(R"json({
    "type": "object",
    "properties": {
      "a": {"type": "object", "properties": {"d": {"$ref": "#/$defs/distribution"}}},
      "list": {"type": "array", "items": {"oneOf": [{"type": "string"}, {"$ref": "#/$defs/e"}]}}
    },
    "$defs": {
      "distribution": {"type": "object", "properties": {"uniform": {"type": "object"}}},
      "e": {"type": "object", "properties": {"kind": {"type": "string"}, "params": {"type": "object"}},
            "allOf": [{"if": {"properties": {"kind": {"const": "x"}}},
                       "then": {"properties": {"params": {"$ref": "#/$defs/px"}}}}]},
      "px": {"type": "object", "properties": {"k": {"type": "object", "properties": {"z": {}}}}}
    }
  })json");
  SchemaWalker w(toy);
  std::set<std::string> paths;
  for (const auto& [p, info] : w.Collect()) paths.insert(p);
  EXPECT_TRUE(w.errors().empty());
  EXPECT_EQ(paths, (std::set<std::string>{"a", "a.d", "list", "list[].kind", "list[].params",
                                          "list[].params<x>.k", "list[].params<x>.k.z"}));
}

TEST(SchemaValidatorTest, AcceptsAndRejectsByKeyword) {
  const json s = json::parse(R"json({
    "type": "object", "additionalProperties": false, "required": ["d"],
    "properties": {"d": {"$ref": "#/$defs/duration"}, "n": {"type": "integer", "maximum": 3}},
    "$defs": {"duration": {"type": "string", "pattern": "^[0-9]+s$"}}
  })json");
  SchemaValidator v(s);
  EXPECT_TRUE(v.Validate(json::parse(R"({"d": "10s", "n": 3.0})")).empty());
  EXPECT_EQ(v.Validate(json::parse(R"({"d": "10"})")).size(), 1u);
  EXPECT_EQ(v.Validate(json::parse(R"({"d": "1s", "n": 4})")).size(), 1u);
  EXPECT_EQ(v.Validate(json::parse(R"({"d": "1s", "x": 1})")).size(), 1u);
  EXPECT_EQ(v.Validate(json::parse(R"({})")).size(), 1u);
}

TEST(SchemaValidatorTest, MaxLengthAndMaxItems) {
  const json s = json::parse(R"json({
    "type": "object",
    "properties": {"t": {"type": "string", "maxLength": 3}, "a": {"type": "array", "maxItems": 2}}
  })json");
  SchemaValidator v(s);
  EXPECT_TRUE(v.Validate(json::parse(R"({"t": "abc", "a": [1, 2]})")).empty());
  EXPECT_EQ(v.Validate(json::parse(R"({"t": "abcd"})")).size(), 1u);
  EXPECT_EQ(v.Validate(json::parse(R"({"a": [1, 2, 3]})")).size(), 1u);
}

// Input limits the schema expresses (issue 10 items 4, 7, 9): the schema rejects what is out of
// range, and accepts the boundary values.
TEST(Schema, ExpressesTheInputLimits) {
  const std::vector<std::string> good = {
      R"({"name": "a"})",
      R"({"name": "A0._-z"})",
      R"({"name": ")" + std::string(64, 'n') + R"("})",
      R"({"description": ")" + std::string(4096, 'd') + R"("})",
      R"({"claim": ")" + std::string(4096, 'c') + R"("})",
      R"({"seed": 18446744073709551615})",
      R"({"seed": 0})",
      R"({"traffic": {"rate": 1000000}})",
      R"({"traffic": {"role_rates": [1000000]}})",
      R"({"traffic": {"bursts": [{"rate": 1000000}]}})",
  };
  for (const std::string& text : good) {
    EXPECT_TRUE(SchemaErrors(json::parse(text)).empty()) << text;
  }
  const std::vector<std::string> bad = {
      R"({"name": ""})",
      R"({"name": ".hidden"})",
      R"({"name": "-x"})",
      R"({"name": "_x"})",
      R"({"name": "a/b"})",
      R"({"name": "../up"})",
      R"({"name": "sp ace"})",
      R"({"name": ")" + std::string(65, 'n') + R"("})",
      R"({"description": ")" + std::string(4097, 'd') + R"("})",
      R"({"claim": ")" + std::string(4097, 'c') + R"("})",
      R"({"seed": -1})",
      R"({"seed": 1.5})",
      R"({"traffic": {"rate": 1e15}})",
      R"({"traffic": {"role_rates": [1, 1e15]}})",
      R"({"traffic": {"bursts": [{"rate": 2000000}]}})",
  };
  for (const std::string& text : bad) {
    EXPECT_FALSE(SchemaErrors(json::parse(text)).empty()) << text;
  }
  // The loader rejects the same numeric limits (names and free text are the CLI's).
  for (const char* text : {R"({"traffic": {"rate": 1e15}})", R"({"traffic": {"role_rates": [1, 1e15]}})",
                           R"({"traffic": {"bursts": [{"rate": 2000000}]}})", R"({"seed": -1})",
                           R"({"world": {"isolates": {"restart_interval": "1ns"}}})",
                           R"({"duration": "2562048h"})"}) {
    EXPECT_FALSE(ParseScenario(json::parse(text), "bad", ".").ok()) << text;
  }
  // restarts: at most 10000 entries in both.
  json many = {{"world", {{"isolates", {{"restarts", json::array()}}}}}};
  for (int i = 0; i < 10001; ++i) many["world"]["isolates"]["restarts"].push_back("1h");
  EXPECT_FALSE(SchemaErrors(many).empty());
  EXPECT_FALSE(ParseScenario(many, "bad", ".").ok());
  many["world"]["isolates"]["restarts"].erase(0);
  EXPECT_TRUE(SchemaErrors(many).empty());
  EXPECT_TRUE(ParseScenario(many, "ok", ".").ok()) << ParseScenario(many, "ok", ".").status();
}

TEST(Schema, IsDraft202012WithDescriptionsAndDefaults) {
  const json& s = Schema();
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s.value("$schema", ""), "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(s.value("additionalProperties", true), false);
  ASSERT_TRUE(s.contains("$defs"));
  EXPECT_TRUE(s["$defs"].contains("duration"));
  EXPECT_TRUE(s["$defs"].contains("distribution"));
  // Properties whose default depends on other fields (declared with derived_default, e.g. the
  // scenario name from the file name, the STS retry costs from the retry mode) or means
  // "absent".
  std::set<std::string> no_static_default = {
      "traffic.role_rates",         // absent: rate + popularity
      "traffic.trace",              // absent: no trace
  };
  absl::StatusOr<ParamLog> log = DeclaredParams();
  ASSERT_TRUE(log.ok()) << log.status();
  for (const auto& [path, r] : log->records()) {
    if (r.derived_default) no_static_default.insert(path);
  }
  EXPECT_TRUE(no_static_default.count("world.sts.retries.retry_cost"));
  const auto& props = SchemaProps();
  EXPECT_GT(props.size(), 250u);
  for (const auto& [path, info] : props) {
    const json& n = *info.node;
    EXPECT_TRUE(n.contains("description") && n["description"].is_string() &&
                !n["description"].get<std::string>().empty())
        << path << " has no description";
    if (!info.required && !no_static_default.count(path)) {
      EXPECT_TRUE(n.contains("default")) << path << " has no default";
    }
    // Objects that the loader reads with JsonReader reject unknown keys.
    if (n.value("type", "") == "object" && n.contains("properties")) {
      EXPECT_EQ(n.value("additionalProperties", true), false) << path;
    }
  }
  // The strategy kinds of the schema are the registered ones.
  std::vector<std::string> kinds;
  for (const auto& r : RegisteredStrategies()) kinds.emplace_back(r.kind);
  EXPECT_EQ(s["$defs"]["strategy_kind"]["enum"], json(kinds));
}

TEST(Schema, CommittedSchemaIsWhatCredsimSchemaGenerates) {
  absl::StatusOr<ParamLog> log = DeclaredParams();
  ASSERT_TRUE(log.ok()) << log.status();
  const nlohmann::ordered_json generated = ScenarioSchema(*log);
  EXPECT_FALSE(generated.contains("x-declaration-errors"))
      << generated["x-declaration-errors"].dump(2);
  EXPECT_EQ(ReadText(kSourceDir / "scenarios" / "schema.json"), generated.dump(2) + "\n")
      << "scenarios/schema.json is out of date: run `credsim schema --out scenarios/schema.json`";
}

TEST(Schema, DocsFieldTablesAreWhatCredsimDocsGenerates) {
  absl::StatusOr<ParamLog> log = DeclaredParams();
  ASSERT_TRUE(log.ok()) << log.status();
  const std::string docs = ReadText(kSourceDir / "docs" / "scenarios.md");
  absl::StatusOr<std::string> generated = WithFieldReference(docs, *log);
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_EQ(docs, *generated)
      << "docs/scenarios.md is out of date: run `credsim docs --update docs/scenarios.md`";
}

TEST(Schema, EveryDeclarationIsDocumented) {
  absl::StatusOr<ParamLog> log = DeclaredParams();
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_GT(log->size(), 300u);
  for (const auto& [path, r] : log->records()) {
    EXPECT_FALSE(r.doc.empty()) << path << " (" << r.where << ") has no ParamDoc.doc";
  }
}

TEST(Schema, GeneratorReportsAnUndocumentedOrUntypedDeclaration) {
  ParamLog log;
  ParamRecord raw;
  raw.type = "raw";
  raw.where = "x.cc:1";
  log.Record("mystery", raw);
  const nlohmann::ordered_json s = ScenarioSchema(log);
  ASSERT_TRUE(s.contains("x-declaration-errors"));
  const std::string errors = s["x-declaration-errors"].dump();
  EXPECT_NE(errors.find("mystery (x.cc:1): read raw but its declaration gives no schema"),
            std::string::npos) << errors;
  EXPECT_NE(errors.find("mystery (x.cc:1): declared without a description"), std::string::npos)
      << errors;
}

TEST(Schema, DocsWithoutMarkersAreRejected) {
  ParamLog log;
  EXPECT_FALSE(WithFieldReference("# no tables here\n", log).ok());
  EXPECT_FALSE(WithFieldReference("<!-- credsim docs: world -->\n| x |\n", log).ok());
}

TEST(Schema, LoaderReadsExactlyTheSchemaKeys) {
  TraceDir trace;
  const json doc = json::parse(kEverything);
  ParamLog log;
  absl::StatusOr<Scenario> sc = ParseScenario(doc, "everything", trace.path(), &log);
  ASSERT_TRUE(sc.ok()) << sc.status();
  // The document really exercised the optional parts.
  EXPECT_TRUE(sc->trace != nullptr);
  EXPECT_EQ(sc->strategies.size(), 6u);
  EXPECT_EQ(sc->world.colos.list.size(), 3u);

  std::set<std::string> schema_paths;
  for (const auto& [p, info] : SchemaProps()) schema_paths.insert(p);
  std::set<std::string> only_loader, only_schema;
  for (const auto& [k, record] : log.records()) {
    if (!schema_paths.count(k)) only_loader.insert(k);
  }
  for (const std::string& k : schema_paths) {
    if (!log.count(k)) only_schema.insert(k);
  }
  EXPECT_TRUE(only_loader.empty() && only_schema.empty())
      << "read by the loader but missing from scenarios/schema.json:" << Join(only_loader)
      << "\n  in scenarios/schema.json but never read by the loader:" << Join(only_schema);
  EXPECT_EQ(log.size(), schema_paths.size());

  const std::vector<std::string> errors = SchemaErrors(doc);
  EXPECT_TRUE(errors.empty()) << "schema.json rejects a document the loader accepts:\n  "
                              << fmt::format("{}", fmt::join(errors, "\n  "));
}

TEST(Schema, EveryFieldIsDocumented) {
  const std::string docs = ReadText(kSourceDir / "docs" / "scenarios.md");
  ASSERT_FALSE(docs.empty()) << "docs/scenarios.md is missing";
  std::set<std::string> missing;
  for (const auto& [path, info] : SchemaProps()) {
    if (docs.find("`" + path + "`") == std::string::npos) missing.insert(path);
  }
  EXPECT_TRUE(missing.empty()) << "schema paths not documented in docs/scenarios.md as `path`:"
                               << Join(missing);

  // And the field tables name no field that does not exist.
  const size_t ref = docs.find("## Field reference");
  ASSERT_NE(ref, std::string::npos);
  std::istringstream lines(docs.substr(ref));
  std::set<std::string> unknown;
  int rows = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    ++rows;
    const std::string first = line.substr(2, line.find(" |", 2) - 2);
    static const std::regex kCode("`([^`]+)`");
    for (std::sregex_iterator it(first.begin(), first.end(), kCode), end; it != end; ++it) {
      if (!SchemaProps().count((*it)[1].str())) unknown.insert((*it)[1].str());
    }
  }
  EXPECT_GT(rows, 200);
  EXPECT_TRUE(unknown.empty()) << "docs/scenarios.md documents fields the schema does not have:"
                               << Join(unknown);
}

TEST(Schema, ShippedScenariosAndTheDocsExampleLoadAndAreSchemaValid) {
  int checked = 0;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kSourceDir / "scenarios")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    const std::string name = p.filename().string();
    if (p.extension() != ".json" || name == "schema.json" || name == "baselines.json") continue;
    SCOPED_TRACE(name);
    const json doc = ReadJson(p);
    EXPECT_EQ(doc.value("$schema", ""), "./schema.json");
    absl::StatusOr<Scenario> sc = LoadScenario(p.string());
    EXPECT_TRUE(sc.ok()) << sc.status();
    const std::vector<std::string> errors = SchemaErrors(doc);
    EXPECT_TRUE(errors.empty()) << fmt::format("{}", fmt::join(errors, "\n"));
    ++checked;
  }
  EXPECT_GE(checked, 9);

  const std::string docs = ReadText(kSourceDir / "docs" / "scenarios.md");
  const size_t start = docs.find("```json\n");
  ASSERT_NE(start, std::string::npos) << "docs/scenarios.md has no ```json example";
  const size_t end = docs.find("```", start + 8);
  ASSERT_NE(end, std::string::npos);
  const json example = json::parse(docs.substr(start + 8, end - start - 8));
  absl::StatusOr<Scenario> sc = ParseScenario(example, "example", ".");
  EXPECT_TRUE(sc.ok()) << sc.status();
  EXPECT_TRUE(SchemaErrors(example).empty());
}

TEST(Schema, RejectsWhatTheLoaderRejects) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"wramup": "5m"})", "wramup"},
      {R"({"duration": 3600})", "duration"},
      {R"({"duration": "1 h"})", "duration"},
      {R"({"world": {"sts": {"latncy": "1s"}}})", "world.sts.latncy"},
      {R"({"world": {"sts": {"timeout": "10"}}})", "world.sts.timeout"},
      {R"({"world": {"sts": {"retries": {"mode": "adaptive"}}}})", "world.sts.retries.mode"},
      {R"({"world": {"sts": {"latency": {"uniform": {"min": "1ms"}}}}})",
       "world.sts.latency.uniform"},
      {R"({"world": {"kv": {"write_latency": {"lognormal": {"median": "2s"}}}}})",
       "world.kv.write_latency.lognormal"},
      {R"({"world": {"cache_api": {"match_latency": {"empirical": {"p0": "1ms", "p50": "2ms"}}}}})",
       "world.cache_api.match_latency.empirical"},
      {R"({"world": {"isolates": {"cold_start": {"gamma": {"k": "1ms"}}}}})",
       "world.isolates.cold_start"},
      {R"({"world": {"colos": {"weights": "zipf"}}})", "world.colos.weights"},
      {R"({"world": {"colos": {"rtt": {"wnam-wnam": "1ms"}}}})", "world.colos.rtt.wnam-wnam"},
      {R"({"world": {"colos": {"list": [{"region": "mars"}]}}})", "world.colos.list[0].region"},
      {R"({"world": {"kv": {"outages": [{"start": "1m", "end": "2m", "x": 1}]}}})",
       "world.kv.outages[0].x"},
      {R"({"traffic": {"curve": {"type": "sine"}}})", "traffic.curve.type"},
      {R"({"traffic": {"rate": -1}})", "traffic.rate"},
      {R"({"traffic": {"roles": 2.5}})", "traffic.roles"},
      {R"({"strategies": []})", "strategies"},
      {R"({"strategies": "some"})", "strategies"},
      {R"({"strategies": ["l3"]})", "strategies[0].kind"},
      {R"({"strategies": [{"name": "x"}]})", "strategies[0].kind"},
      {R"({"strategies": [{"kind": "l1", "params": {"variant": "v3"}}]})",
       "strategies[0].params.variant"},
      {R"({"strategies": [{"kind": "none", "params": {"variant": "v1"}}]})",
       "strategies[0].params.variant"},
      {R"({"strategies": [{"kind": "kv", "params": {"revocation": {"enabld": true}}}]})",
       "strategies[0].params.revocation.enabld"},
      {R"({"strategies": [{"kind": "do_alarm_kv", "params": {"fallback": "kv"}}]})",
       "strategies[0].params.fallback"},
  };
  for (const auto& [text, path] : bad) {
    SCOPED_TRACE(text);
    const json doc = json::parse(text);
    absl::StatusOr<Scenario> sc = ParseScenario(doc, "bad", ".");
    ASSERT_FALSE(sc.ok());
    EXPECT_EQ(std::string(sc.status().message()).rfind(path + ":", 0), 0u) << sc.status();
    EXPECT_FALSE(SchemaErrors(doc).empty()) << "schema.json accepts it";
  }
}

// ---------------------------------------------------------------------------------------------
// Defaults: schema "default" == what the loader produces when the key is absent.

// DefaultChecker: compares the schema "default" of a path with the loader's value and records
// the path; ExpectAllChecked() fails for a hand-stated scalar or distribution default never
// compared. (The comparisons below predate the generated schema; they stay as a check that
// the declared defaults are what an empty scenario loads as.)
class DefaultChecker {
 public:
  const json* Default(const std::string& path) {
    checked_.insert(path);
    auto it = SchemaProps().find(path);
    if (it == SchemaProps().end() || !it->second.node->contains("default")) {
      ADD_FAILURE() << path << ": no such property with a default in schema.json";
      return nullptr;
    }
    return &(*it->second.node)["default"];
  }
  void Dur(const std::string& path, Duration actual) {
    const json* d = Default(path);
    if (!d) return;
    absl::StatusOr<Duration> parsed =
        d->is_string() ? ParseDuration(d->get<std::string>()) : absl::InvalidArgumentError("not a string");
    ASSERT_TRUE(parsed.ok()) << path << ": default " << d->dump() << " is not a duration";
    EXPECT_EQ(parsed->nanos(), actual.nanos())
        << path << ": schema default " << d->dump() << ", loader " << FormatDuration(actual);
  }
  void OptDur(const std::string& path, std::optional<Duration> actual) {
    const json* d = Default(path);
    if (!d) return;
    if (d->is_null()) {
      EXPECT_FALSE(actual.has_value()) << path << ": schema default null, loader "
                                       << FormatDuration(*actual);
    } else {
      ASSERT_TRUE(actual.has_value()) << path << ": schema default " << d->dump() << ", loader none";
      checked_.erase(path);
      Dur(path, *actual);
    }
  }
  void Num(const std::string& path, double actual) {
    const json* d = Default(path);
    if (!d) return;
    ASSERT_TRUE(d->is_number()) << path;
    EXPECT_EQ(d->get<double>(), actual) << path;
  }
  void Bool(const std::string& path, bool actual) {
    const json* d = Default(path);
    if (!d) return;
    EXPECT_EQ(*d, json(actual)) << path;
  }
  void Str(const std::string& path, std::string_view actual) {
    const json* d = Default(path);
    if (!d) return;
    EXPECT_EQ(*d, json(std::string(actual))) << path;
  }
  void Dist(const std::string& path, const Distribution& actual) {
    const json* d = Default(path);
    if (!d) return;
    absl::StatusOr<Distribution> parsed = ParseDurationDistribution(*d, path);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, actual) << path << ": schema default " << d->dump() << " is "
                               << parsed->Describe() << ", loader " << actual.Describe();
  }
  // Every scalar or distribution default outside strategies[] that a declaration states by
  // hand (a "default" in its ParamDoc schema fragment) must have been compared: the others are
  // the getter's own default argument, which is what the loader returns for an absent key.
  void ExpectAllChecked() {
    absl::StatusOr<ParamLog> log = DeclaredParams();
    ASSERT_TRUE(log.ok()) << log.status();
    std::set<std::string> unchecked;
    for (const auto& [path, info] : SchemaProps()) {
      const json& n = *info.node;
      if (path.rfind("strategies[]", 0) == 0 || path == "$schema" || !n.contains("default")) continue;
      auto r = log->records().find(path);
      const bool by_hand = r == log->records().end() ||
                           (r->second.schema.is_object() && r->second.schema.contains("default"));
      if (!by_hand) continue;
      const bool dist = n.value("$ref", "") == kDistributionRef;
      if ((n["default"].is_primitive() || dist) && !checked_.count(path)) unchecked.insert(path);
    }
    EXPECT_TRUE(unchecked.empty()) << "schema defaults not compared with the loader:" << Join(unchecked);
  }

 private:
  std::set<std::string> checked_;
};

TEST(Schema, DefaultsMatchTheLoader) {
  DefaultChecker c;
  absl::StatusOr<Scenario> empty = ParseScenario(json::object(), "empty", ".");
  ASSERT_TRUE(empty.ok()) << empty.status();
  const Scenario& sc = *empty;
  const WorldConfig& w = sc.world;

  c.Str("description", sc.description);
  c.Str("claim", sc.claim);
  c.Num("seed", static_cast<double>(w.seed));
  c.Dur("duration", w.duration);
  c.Dur("warmup", w.warmup);
  c.Dur("timeseries_interval", w.interval);
  c.Str("initial_state", InitialStateName(w.initial_state));
  c.Str("strategies", "all");
  EXPECT_EQ(sc.strategies.size(), RegisteredStrategies().size());

  // world.colos
  c.Num("world.colos.count", w.colos.count);
  c.Num("world.colos.weights.zipf", w.colos.zipf_exponent);
  {
    const json* weights = c.Default("world.colos.weights");
    ASSERT_TRUE(weights && weights->is_object() && weights->contains("zipf"));
    EXPECT_EQ((*weights)["zipf"].get<double>(), w.colos.zipf_exponent);
  }
  EXPECT_EQ(*c.Default("world.colos.servers_per_colo"),
            json({{"requests_per_server", w.colos.requests_per_server},
                  {"max", w.colos.max_servers_per_colo}}));
  EXPECT_EQ(w.colos.servers_per_colo, 0);  // by rate
  c.Num("world.colos.servers_per_colo.requests_per_server", w.colos.requests_per_server);
  c.Num("world.colos.servers_per_colo.max", w.colos.max_servers_per_colo);
  c.Str("world.colos.routing",
        w.colos.routing == ColoConfig::Routing::kSharded ? "sharded" : "uniform");
  for (int r = 0; r < kRegionCount; ++r) {
    c.Num(fmt::format("world.colos.region_traffic_share.{}", kRegionNames[r]),
          w.colos.region_traffic_share[r]);
  }
  c.Dur("world.colos.intra_region_rtt", w.colos.intra_region_rtt);
  c.Str("world.colos.sts_region", kRegionNames[w.colos.sts_region]);
  for (int a = 0; a < kRegionCount; ++a) {
    for (int b = 0; b < kRegionCount; ++b) {
      if (a == b) continue;
      c.Dur(fmt::format("world.colos.rtt.{}-{}", kRegionNames[a], kRegionNames[b]),
            Duration::FromSecondsF(w.colos.rtt_ms[a][b] * 1e-3));
    }
  }
  // world.isolates
  c.Dist("world.isolates.cold_start", w.isolates.cold_start);
  c.Dur("world.isolates.cold_start_cpu", w.isolates.cold_start_cpu);
  c.Dist("world.isolates.idle_eviction", w.isolates.idle_eviction);
  c.Num("world.isolates.random_evictions_per_hour", w.isolates.random_evictions_per_hour);
  c.OptDur("world.isolates.max_lifetime", w.isolates.max_lifetime);
  c.OptDur("world.isolates.restart_interval", w.isolates.restart_interval);
  EXPECT_TRUE(w.isolates.restarts.empty());
  // world.workers
  c.Dur("world.workers.edge_timeout", w.workers.edge_timeout);
  c.Bool("world.workers.cross_request_waits_cancelled", w.workers.cross_request_waits_cancelled);
  c.Bool("world.workers.custom_domain", w.workers.custom_domain);
  c.Dur("world.workers.cpu_per_request", w.workers.cpu_per_request);
  c.Num("world.workers.prewarm_rate", w.workers.prewarm_rate);
  ASSERT_NE(c.Default("world.workers.deploy_colo"), nullptr);
  EXPECT_TRUE(c.Default("world.workers.deploy_colo")->is_null());
  EXPECT_FALSE(w.workers.deploy_colo.has_value());
  EXPECT_TRUE(w.isolates.evict_when_idle);
  // world.sts
  const StsConfig& s = w.sts;
  c.Dist("world.sts.latency", s.latency);
  c.Dur("world.sts.rtt", s.rtt);
  c.Str("world.sts.network", StsNetworkModeName(s.network));
  c.Num("world.sts.stall_probability", s.stall_probability);
  c.Dist("world.sts.stall_duration", s.stall_duration);
  c.Dur("world.sts.timeout", s.timeout);
  c.Str("world.sts.retries.mode", StsRetryModeName(s.retries.mode));
  c.Num("world.sts.retries.max_attempts", s.retries.max_attempts);
  // base_backoff_*, retry_cost and timeout_retry_cost depend on `mode`: no schema default.
  c.Dur("world.sts.retries.max_backoff", s.retries.max_backoff);
  c.Num("world.sts.retries.quota", s.retries.quota);
  c.Num("world.sts.retries.throttling_retry_cost", s.retries.throttling_retry_cost);
  c.Num("world.sts.retries.no_retry_increment", s.retries.no_retry_increment);
  c.Bool("world.sts.rate_limit.enabled", s.rate_limit.enabled);
  c.Num("world.sts.rate_limit.rate_per_s", s.rate_limit.rate_per_s);
  c.Num("world.sts.rate_limit.burst", static_cast<double>(s.rate_limit.burst));
  c.Num("world.sts.errors.access_denied", s.errors.access_denied);
  c.Num("world.sts.errors.invalid_identity_token", s.errors.invalid_identity_token);
  c.Num("world.sts.errors.idp_communication", s.errors.idp_communication);
  EXPECT_TRUE(s.outages.empty());
  c.Dur("world.sts.credential_duration", s.credential_duration);
  c.Dist("world.sts.signing_cpu", s.signing_cpu);
  // world.cache_api
  const ColoCacheConfig& ca = w.cache_api;
  c.Bool("world.cache_api.enabled", ca.enabled);
  c.Dist("world.cache_api.match_latency", ca.match_latency);
  c.Dist("world.cache_api.put_latency", ca.put_latency);
  c.Num("world.cache_api.put_failure_probability", ca.put_failure_probability);
  c.Num("world.cache_api.read_error_probability", ca.read_error_probability);
  c.OptDur("world.cache_api.lru_idle_eviction", ca.lru_idle_eviction);
  c.Num("world.cache_api.eviction_probability", ca.eviction_probability);
  // world.kv
  const KvConfig& kv = w.kv;
  c.Dist("world.kv.read_latency_hot", kv.read_latency_hot);
  c.Dist("world.kv.read_latency_cold", kv.read_latency_cold);
  c.Dist("world.kv.write_latency", kv.write_latency);
  c.Dist("world.kv.propagation_delay", kv.propagation_delay);
  c.Dur("world.kv.default_cache_ttl", kv.default_cache_ttl);
  c.Dur("world.kv.min_cache_ttl", kv.min_cache_ttl);
  c.Num("world.kv.write_rate_per_key_per_s", kv.write_rate_per_key_per_s);
  c.Dur("world.kv.min_expiration_ttl", kv.min_expiration_ttl);
  EXPECT_TRUE(kv.outages.empty());
  c.Num("world.kv.read_error_probability", kv.read_error_probability);
  c.Num("world.kv.background_refresh.window", kv.background_refresh.window);
  EXPECT_TRUE(kv.background_refresh.enabled);
  // world.durable_objects
  const DurableObjectConfig& d = w.durable_objects;
  c.Str("world.durable_objects.placement",
        d.placement == DurableObjectPlacement::kHint ? "hint" : "first_caller");
  c.Num("world.durable_objects.location_colo", d.location_colo);
  c.Dist("world.durable_objects.service_time", d.service_time);
  c.Dist("world.durable_objects.storage_latency", d.storage_latency);
  c.Num("world.durable_objects.soft_limit_rps", d.soft_limit_rps);
  c.Num("world.durable_objects.max_queue", d.max_queue);
  c.Dur("world.durable_objects.evict_after_idle", d.evict_after_idle);
  c.Dur("world.durable_objects.alarm_retry.initial", d.alarm_retry.initial);
  c.Num("world.durable_objects.alarm_retry.max_retries", d.alarm_retry.max_retries);
  c.Num("world.durable_objects.alarm_retry.factor", d.alarm_retry.factor);
  c.Bool("world.durable_objects.alarm_retry.set_alarm_cancels_retry",
         d.alarm_retry.set_alarm_cancels_retry);
  c.Num("world.durable_objects.alarm_retry.jitter", d.alarm_retry.jitter);
  // world.pricing
  const PricingConfig& p = w.pricing;
  c.Num("world.pricing.kv_read_per_million", p.kv_read_per_million);
  c.Num("world.pricing.kv_write_per_million", p.kv_write_per_million);
  c.Num("world.pricing.do_request_per_million", p.do_request_per_million);
  c.Num("world.pricing.do_gb_s_per_million", p.do_gb_s_per_million);
  c.Num("world.pricing.do_memory_gb", p.do_memory_gb);
  c.Num("world.pricing.do_row_write_per_million", p.do_row_write_per_million);
  c.Num("world.pricing.workers_request_per_million", p.workers_request_per_million);
  c.Num("world.pricing.workers_cpu_ms_per_million", p.workers_cpu_ms_per_million);
  // traffic
  const TrafficConfig& t = w.traffic;
  c.Num("traffic.roles", static_cast<double>(t.roles));
  c.Num("traffic.sessions_per_role", static_cast<double>(t.sessions_per_role));
  c.Num("traffic.popularity.zipf", t.popularity_zipf);
  c.Num("traffic.rate", t.rate);
  EXPECT_TRUE(t.role_rates.empty());
  EXPECT_TRUE(c.Default("traffic.start_time_of_day")->is_null());
  EXPECT_FALSE(t.start_time_of_day.has_value());
  c.Str("traffic.curve.type", t.curve == TrafficConfig::Curve::kConstant    ? "constant"
                              : t.curve == TrafficConfig::Curve::kPiecewise ? "piecewise"
                                                                            : "diurnal");
  c.Dur("traffic.curve.period", t.diurnal_period);
  c.Dur("traffic.curve.peak_at", t.diurnal_peak_at);
  c.Num("traffic.curve.trough", t.diurnal_trough);
  EXPECT_TRUE(t.bursts.empty());
  EXPECT_TRUE(t.failovers.empty());
  EXPECT_FALSE(t.trace.has_value());
  // revocation
  c.Dur("revocation.publish_delay", w.revocation.publish_delay);
  c.Dur("revocation.poll_latency", w.revocation.poll_latency);
  EXPECT_TRUE(w.revocation.events.empty());

  // Array elements and the trace object with their keys absent.
  TraceDir trace;
  absl::StatusOr<Scenario> elements =
      ParseScenario(json::parse(kElementDefaults), "elements", trace.path());
  ASSERT_TRUE(elements.ok()) << elements.status();
  const WorldConfig& e = elements->world;
  ASSERT_EQ(e.colos.list.size(), 2u);
  c.Str("world.colos.list[].region", kRegionNames[e.colos.list[0].region]);
  c.Num("world.colos.list[].weight", e.colos.list[0].weight);
  EXPECT_EQ(e.colos.list[0].servers, e.colos.servers_per_colo);
  ASSERT_EQ(e.sts.outages.size(), 1u);
  c.Str("world.sts.outages[].mode", e.sts.outages[0].mode == StsOutageMode::kHang ? "hang" : "error");
  ASSERT_EQ(e.traffic.points.size(), 1u);
  c.Dur("traffic.curve.points[].at", e.traffic.points[0].at);
  c.Num("traffic.curve.points[].multiplier", e.traffic.points[0].multiplier);
  ASSERT_EQ(e.traffic.bursts.size(), 1u);
  const BurstConfig& b = e.traffic.bursts[0];
  c.Dur("traffic.bursts[].start", b.start);
  c.Dur("traffic.bursts[].duration", b.duration);
  c.Num("traffic.bursts[].rate", b.rate);
  c.Num("traffic.bursts[].role", static_cast<double>(b.role));
  c.Str("traffic.bursts[].colos", b.uniform_colos ? "uniform" : "weighted");
  c.Dur("traffic.bursts[].spread", b.spread);
  EXPECT_TRUE(c.Default("traffic.bursts[].count")->is_null());
  EXPECT_FALSE(b.count.has_value());
  EXPECT_TRUE(c.Default("traffic.bursts[].at")->is_null());
  EXPECT_FALSE(b.at.has_value());
  ASSERT_EQ(e.traffic.failovers.size(), 1u);
  const FailoverConfig& f = e.traffic.failovers[0];
  c.Dur("traffic.failovers[].at", f.at);
  c.OptDur("traffic.failovers[].until", f.until);
  c.Num("traffic.failovers[].from", f.from);
  c.Num("traffic.failovers[].to", f.to);
  ASSERT_TRUE(e.traffic.trace.has_value());
  c.Num("traffic.trace.max_functions", static_cast<double>(e.traffic.trace->max_functions));
  c.Num("traffic.trace.scale", e.traffic.trace->scale);
  ASSERT_EQ(e.revocation.events.size(), 1u);
  c.Dur("revocation.events[].at", e.revocation.events[0].revoked_before.since_start());
  EXPECT_EQ(e.revocation.events[0].role, RevocationEvent::kAllRoles);
  ASSERT_EQ(e.revocation.feed_outages.size(), 1u);
  c.Dur("revocation.feed_outages[].start", e.revocation.feed_outages[0].start);

  c.ExpectAllChecked();
}

// Flattens a strategy's effective params() into "strategies[].params<KIND>.a.b" -> value.
void Flatten(const json& j, const std::string& path, std::map<std::string, json>* out) {
  for (const auto& [key, value] : j.items()) {
    const std::string p = path + "." + key;
    if (value.is_object()) {
      Flatten(value, p, out);
    } else {
      (*out)[p] = value;
    }
  }
}

TEST(Schema, StrategyParamDefaultsMatchEachStrategy) {
  for (const StrategyRegistration& reg : RegisteredStrategies()) {
    const std::string kind(reg.kind);
    SCOPED_TRACE(kind);
    const json empty = json::object();
    JsonReader params(empty, "params");
    auto strategy = reg.create(params);
    ASSERT_TRUE(strategy.ok()) << strategy.status();
    std::map<std::string, json> effective;
    const std::string prefix = fmt::format("strategies[].params<{}>", kind);
    Flatten((*strategy)->params(), prefix, &effective);
    ASSERT_FALSE(effective.empty());

    // Every effective parameter is a schema property with the same default.
    for (const auto& [path, value] : effective) {
      auto it = SchemaProps().find(path);
      if (it == SchemaProps().end() || !it->second.node->contains("default")) {
        ADD_FAILURE() << path << " (= " << value.dump() << ") has no default in schema.json";
        continue;
      }
      const json& def = (*it->second.node)["default"];
      if (def.is_string() && value.is_string()) {
        auto a = ParseDuration(def.get<std::string>());
        auto b = ParseDuration(value.get<std::string>());
        if (a.ok() && b.ok()) {
          EXPECT_EQ(a->nanos(), b->nanos()) << path << ": schema " << def << ", strategy " << value;
          continue;
        }
      }
      EXPECT_EQ(def, value) << path;
    }
    // And every scalar schema parameter of the kind is an effective parameter.
    for (const auto& [path, info] : SchemaProps()) {
      if (path.rfind(prefix + ".", 0) != 0) continue;
      if (info.node->contains("default") && (*info.node)["default"].is_primitive()) {
        EXPECT_TRUE(effective.count(path)) << path << " is not among the strategy's params()";
      }
    }
  }
}

}  // namespace
}  // namespace credsim
