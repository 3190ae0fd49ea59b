#include "cli/scenario.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_split.h"
#include "cli/json_file.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "strategies/registry.h"

namespace credsim {
namespace {

std::string KindList() {
  std::vector<std::string> kinds;
  for (const auto& r : RegisteredStrategies()) kinds.emplace_back(r.kind);
  return fmt::format("{}", fmt::join(kinds, ", "));
}

// Builds the strategy once to validate its parameters.
absl::Status CheckStrategy(const StrategySpec& spec, const std::string& path, ParamLog* log) {
  const StrategyRegistration* reg = FindStrategy(spec.kind);
  if (!reg) {
    return absl::InvalidArgumentError(fmt::format(
        "{}.kind: \"{}\" is not a strategy; expected one of {}", path, spec.kind, KindList()));
  }
  // Params are logged under a per-kind path so that the schema test sees every kind.
  ParamLog params_log;
  const nlohmann::json params_json = spec.params.is_null() ? nlohmann::json::object() : spec.params;
  JsonReader params(params_json, path + ".params", log ? &params_log : nullptr);
  auto s = reg->create(params);
  if (log) {
    log->MergePrefixed(params_log, NormalizePath(path + ".params"),
                       fmt::format("strategies[].params<{}>", spec.kind));
  }
  return s.status();
}

// Strategy names are labels in tables, CSV rows and CI annotations: short, no control
// characters (a newline would start a new CSV row or annotation line).
absl::Status CheckStrategyName(const std::string& name, const std::string& path) {
  bool ok = !name.empty() && name.size() <= kMaxStrategyNameBytes;
  for (unsigned char c : name) ok = ok && c >= 0x20 && c != 0x7f && c != ',';
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(fmt::format(
      "{}.name: a {}-byte name is not accepted; expected 1 to {} bytes without control "
      "characters or commas",
      path, name.size(), kMaxStrategyNameBytes));
}

absl::Status ParseStrategies(JsonReader& r, Scenario* out, ParamLog* log) {
  const nlohmann::json* list = r.GetRaw("strategies",
      {.doc = "The strategies to run: \"all\" (every registered kind with default parameters) "
              "or a non-empty array whose elements are kinds or {\"kind\", \"name\", \"params\"} "
              "objects. Names must be unique.",
       .schema = R"json({"oneOf":[{"const":"all"},{"type":"array","minItems":1,"items":{"oneOf":[{"$ref":"#/$defs/strategy_kind"},{"$ref":"#/$defs/strategy"}]}}],"default":"all"})json"});
  const std::string path = r.PathOf("strategies");
  if (!list || (list->is_string() && *list == "all")) {
    for (const auto& reg : RegisteredStrategies()) {
      out->strategies.push_back({std::string(reg.kind), std::string(reg.kind), nlohmann::json::object()});
    }
    return absl::OkStatus();
  }
  if (!list->is_array() || list->empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: expected \"all\" or a non-empty array of strategy kinds or {{\"kind\", \"name\", "
        "\"params\"}} objects",
        path));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string ep = JsonReader::ElementPath(path, i);
    const nlohmann::json& e = (*list)[i];
    StrategySpec spec;
    if (e.is_string()) {
      spec.kind = spec.name = e.get<std::string>();
      spec.params = nlohmann::json::object();
    } else {
      JsonReader er(e, ep, r);
      spec.kind = er.GetString("kind", "",
          {.doc = "The strategy kind (required).",
           .schema = R"json({"$ref": "#/$defs/strategy_kind"})json",
           .required = true});
      if (spec.kind.empty() && er.ok()) {
        er.Fail(er.PathOf("kind"), fmt::format("required; expected one of {}", KindList()));
      }
      const std::string name_schema = fmt::format(
          R"json({{"minLength": 1, "maxLength": {}, "pattern": "^[^\\u0000-\\u001f\\u007f,]+$"}})json",
          kMaxStrategyNameBytes);
      spec.name = er.GetString("name", spec.kind,
          {.doc = "Unique label in reports; defaults to the kind. 1 to 64 bytes without control "
                  "characters or commas.",
           .schema = name_schema,
           .derived_default = true});
      const nlohmann::json* p = er.GetRaw("params",
          {.doc = "Parameters of the kind (absent keys take their defaults); which keys are "
                  "accepted depends on `kind`.",
           .schema = R"json({"type":"object","default":{}})json"});
      spec.params = p ? *p : nlohmann::json::object();
      if (absl::Status s = er.Finish(); !s.ok()) return s;
    }
    if (absl::Status s = CheckStrategyName(spec.name, ep); !s.ok()) return s;
    if (!names.insert(spec.name).second) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: strategy name \"{}\" is used twice; give each entry a unique \"name\"", ep, spec.name));
    }
    if (absl::Status s = CheckStrategy(spec, ep, log); !s.ok()) return s;
    out->strategies.push_back(std::move(spec));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckScenarioName(const std::string& name) {
  auto safe = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  };
  bool ok = !name.empty() && name.size() <= kMaxScenarioNameBytes && safe(name[0]) && name[0] != '.' &&
            name[0] != '-' && name[0] != '_';
  for (char c : name) ok = ok && safe(c);
  if (ok) return absl::OkStatus();
  std::string shown;
  for (char c : name.substr(0, 80)) {
    shown += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? std::string(1, c)
                                                                 : fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
  }
  if (name.size() > 80) shown += "...";
  return absl::InvalidArgumentError(fmt::format(
      "\"{}\" is not accepted; expected 1 to {} characters from A-Z a-z 0-9 . _ -, starting with "
      "a letter or digit (the name becomes an output directory)",
      shown, kMaxScenarioNameBytes));
}

absl::StatusOr<Scenario> ParseScenario(const nlohmann::json& j, const std::string& default_name,
                                       const std::string& base_dir, ParamLog* log) {
  Scenario sc;
  sc.source = j;
  JsonReader r(j, "", log);
  if (!r.ok()) return absl::InvalidArgumentError("(top level): expected a JSON object");
  r.GetRaw("$schema",
      {.doc = "Schema reference for editors; ignored by the loader.",
       .schema = R"json({"type":"string","default":"./schema.json"})json"});
  const bool named = r.Has("name");
  const std::string name_schema = fmt::format(
      R"({{"pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{{0,{}}}$"}})", kMaxScenarioNameBytes - 1);
  sc.name = r.GetString("name", default_name,
      {.doc = "Scenario name in reports and the output directory (--out/<name>): 1 to 64 "
              "characters from A-Z a-z 0-9 . _ -, starting with a letter or digit.",
       .schema = name_schema,
       .derived_default = true});
  const std::string text_schema = fmt::format(R"({{"maxLength": {}}})", kMaxFreeTextBytes);
  sc.description = r.GetString("description", "",
      {.doc = "What the scenario models; at most 4096 bytes (UTF-8).", .schema = text_schema});
  sc.claim = r.GetString("claim", "",
      {.doc = "What the scenario demonstrates (shown in reports); at most 4096 bytes (UTF-8).",
       .schema = text_schema});
  if (r.ok()) {
    if (absl::Status s = CheckScenarioName(sc.name); !s.ok()) {
      r.Fail("name", named ? std::string(s.message())
                           : fmt::format("{} (taken from the file name: add a \"name\")", std::string(s.message())));
    }
  }
  for (auto [key, text] : {std::pair{"description", &sc.description}, std::pair{"claim", &sc.claim}}) {
    if (r.ok() && text->size() > kMaxFreeTextBytes) {
      r.Fail(key, fmt::format("{} bytes is too long; at most {} bytes are accepted", text->size(),
                              kMaxFreeTextBytes));
    }
  }
  WorldConfig& w = sc.world;
  w.seed = r.GetUint64("seed", 1, 0, UINT64_MAX,
      {.doc = "Seed of every random stream; same scenario + seed = identical results. Any "
              "64-bit unsigned integer, 0 to 2^64-1 (the range of --seed)."});
  sc.replications = r.GetUint64("replications", 1, 1, kMaxReplications,
      {.doc = "Independent replications of the run: replication r uses seed `seed + r` for "
              "every strategy (common random numbers), and results.json reports per metric "
              "n, mean, sd and a Student-t 95 % interval (docs/statistics.md). "
              "`credsim run --replications N` overrides it."});
  w.duration = r.GetDuration("duration", w.duration,
      {.doc = "Measured time (after the warm-up); warmup + duration <= 720h.",
       .source = "assumption."});
  w.warmup = r.GetDuration("warmup", w.warmup,
      {.doc = "Simulated time before measurement starts (caches fill, isolates warm).",
       .source = "assumption."});
  w.interval = r.GetDuration("timeseries_interval", w.interval,
      {.doc = "Bucket width of the time series (timeseries.csv); at most 1 000 000 buckets.",
       .source = "assumption."});
  w.initial_state = r.GetEnum("initial_state", "steady", {"steady", "cold"},
      {.doc = "How the caches start. \"steady\": the first isolate of every server and the "
              "Durable Objects stand for the ones running before t = 0: the first credential "
              "each obtains for a key is back-dated by a uniformly random age, so every tier "
              "starts as if the fleet had been running forever and renewals are spread over "
              "a lifetime. \"cold\": every cache starts empty at t = 0 and the whole fleet "
              "fills (and, one lifetime later, renews) together; use it for deploys and "
              "flash crowds.",
       .source = "design (docs/validation.md#steady-state)."}) == "cold"
                        ? InitialState::kCold
                        : InitialState::kSteady;
  if (r.ok()) {
    if (absl::Status s = CheckRunLength(w); !s.ok()) return s;  // overflow-checked sums
  }
  if (!r.ok()) return r.status();
  {
    JsonReader world = r.Child("world",
        {.doc = "The simulated platform."});
    if (absl::Status s = ParseWorldObject(world, &w); !s.ok()) return s;
    if (absl::Status s = world.Finish(); !s.ok()) return s;
  }
  {
    JsonReader traffic = r.Child("traffic",
        {.doc = "Request arrivals. Every strategy sees identical traffic (same seed, common "
                "random numbers).",
         .source = "assumption."});
    if (absl::Status s = ParseTrafficConfig(traffic, base_dir, &w.traffic); !s.ok()) return s;
    if (absl::Status s = traffic.Finish(); !s.ok()) return s;
  }
  {
    JsonReader rev = r.Child("revocation",
        {.doc = "IAM \"revoke active sessions\" events and the revocation feed that strategies "
                "with `revocation.enabled` poll.",
         .source = "sources.md §S5 \"Verification cache with revocation feed\"."});
    if (absl::Status s = ParseRevocationConfig(rev, &w.revocation); !s.ok()) return s;
    if (absl::Status s = rev.Finish(); !s.ok()) return s;
  }
  if (absl::Status s = ParseScenarioWindows(r, &w); !s.ok()) return s;
  if (absl::Status s = ParseStrategies(r, &sc, log); !s.ok()) return s;
  if (absl::Status s = r.Finish(); !s.ok()) return s;

  // Cross-field checks.
  const size_t colos = w.colos.list.empty() ? static_cast<size_t>(w.colos.count) : w.colos.list.size();
  if (w.durable_objects.placement == DurableObjectPlacement::kHint &&
      w.durable_objects.location_colo >= colos) {
    return absl::InvalidArgumentError(fmt::format(
        "world.durable_objects.location_colo: colo {} does not exist; expected 0..{}",
        w.durable_objects.location_colo, colos - 1));
  }
  if (absl::Status s = CheckWorldConfig(w); !s.ok()) return s;
  for (size_t i = 0; i < w.traffic.failovers.size(); ++i) {
    const auto& f = w.traffic.failovers[i];
    for (auto [field, v] : {std::pair{"from", f.from}, std::pair{"to", f.to}}) {
      if (v >= colos) {
        return absl::InvalidArgumentError(fmt::format(
            "traffic.failovers[{}].{}: colo {} does not exist; expected 0..{}", i, field, v, colos - 1));
      }
    }
  }
  if (w.traffic.trace) {
    auto trace = LoadAzureTrace(*w.traffic.trace);
    if (!trace.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("traffic.trace.path: {}", std::string(trace.status().message())));
    }
    sc.trace = std::make_shared<const Trace>(std::move(*trace));
  }
  return sc;
}

absl::StatusOr<Scenario> LoadScenario(const std::string& path) {
  auto j = ReadJsonFile(path, kMaxScenarioFileBytes);
  if (!j.ok()) return j.status();
  const std::filesystem::path p(path);
  // (Not `base = "."` after the fact: GCC 12 reports a false -Wrestrict there, PR 105329.)
  const std::string base = p.has_parent_path() ? p.parent_path().string() : std::string(".");
  auto sc = ParseScenario(*j, p.stem().string(), base);
  if (!sc.ok()) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", path, std::string(sc.status().message())));
  }
  sc->path = path;
  return sc;
}

absl::Status SelectStrategies(const std::string& filter, Scenario* scenario) {
  if (filter.empty()) return absl::OkStatus();
  if (filter == "all") {
    for (const auto& reg : RegisteredStrategies()) {
      bool present = false;
      for (const auto& s : scenario->strategies) present |= s.kind == reg.kind;
      if (!present) {
        scenario->strategies.push_back({std::string(reg.kind), std::string(reg.kind), nlohmann::json::object()});
      }
    }
    return absl::OkStatus();
  }
  std::vector<StrategySpec> chosen;
  for (absl::string_view part : absl::StrSplit(filter, ',', absl::SkipEmpty())) {
    const std::string want(part);
    bool found = false;
    for (const auto& s : scenario->strategies) {
      if (s.name == want || s.kind == want) {
        bool dup = false;
        for (const auto& c : chosen) dup |= c.name == s.name;
        if (!dup) chosen.push_back(s);
        found = true;
      }
    }
    if (!found) {
      if (!FindStrategy(want)) {
        return absl::InvalidArgumentError(fmt::format(
            "--strategies: \"{}\" is neither a strategy of the scenario nor a kind; expected "
            "\"all\" or names/kinds from {}",
            want, KindList()));
      }
      chosen.push_back({want, want, nlohmann::json::object()});
    }
  }
  scenario->strategies = std::move(chosen);
  return absl::OkStatus();
}

}  // namespace credsim
