#include "cli/sweep.h"

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>

#include "cli/fingerprint.h"
#include "cli/json_file.h"
#include "cli/results.h"
#include "cli/sha256.h"
#include "fmt/format.h"
#include "sim/config/json_reader.h"

namespace credsim {
namespace {

constexpr size_t kMaxAxisValues = 1000;

// One component of an axis path: `name`, optionally `[selector]` (an array: "" every element,
// digits an index, else the element whose "name" — or, for a bare-string strategy, whose kind —
// equals it) and `<kind>` (only elements whose "kind" is it; docs syntax "params<l1>", which
// qualifies the element that holds the key).
struct Segment {
  std::string name;
  std::optional<std::string> selector;
  std::optional<std::string> kind;
};

absl::StatusOr<std::vector<Segment>> ParsePath(const std::string& path) {
  std::vector<Segment> out;
  size_t i = 0;
  const auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(fmt::format(
        "\"{}\" is not an accepted path ({}); expected keys joined by '.', e.g. "
        "\"traffic.rate\", \"traffic.bursts[0].rate\", \"strategies[].params<l1>.variant\" or "
        "\"strategies[NAME].params.KEY\"",
        path, why));
  };
  if (path.empty()) return bad("empty");
  while (i <= path.size()) {
    Segment s;
    while (i < path.size() && path[i] != '.' && path[i] != '[' && path[i] != '<') s.name += path[i++];
    if (s.name.empty()) return bad("an empty key");
    if (i < path.size() && path[i] == '<') {
      const size_t close = path.find('>', i);
      if (close == std::string::npos) return bad("'<' without '>'");
      s.kind = path.substr(i + 1, close - i - 1);
      i = close + 1;
    }
    if (i < path.size() && path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close == std::string::npos) return bad("'[' without ']'");
      s.selector = path.substr(i + 1, close - i - 1);
      i = close + 1;
    }
    if (i < path.size() && path[i] == '<' && !s.kind) {
      const size_t close = path.find('>', i);
      if (close == std::string::npos) return bad("'<' without '>'");
      s.kind = path.substr(i + 1, close - i - 1);
      i = close + 1;
    }
    out.push_back(std::move(s));
    if (i == path.size()) break;
    if (path[i] != '.') return bad(fmt::format("unexpected '{}'", path[i]));
    ++i;
    if (i == path.size()) return bad("a trailing '.'");
  }
  if (out.front().name == "seed" || out.front().name == "replications") {
    return absl::InvalidArgumentError(fmt::format(
        "\"{}\" cannot be an axis: the sweep's own \"seed\" and \"replications\" set it", path));
  }
  return out;
}

bool DigitsOnly(const std::string& s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The kind of an array element (a strategy entry written as a bare string is its kind).
std::string KindOf(const nlohmann::json& e) {
  if (e.is_string()) return e.get<std::string>();
  if (e.is_object() && e.contains("kind") && e["kind"].is_string()) return e["kind"].get<std::string>();
  return "";
}
std::string NameOf(const nlohmann::json& e) {
  if (e.is_object() && e.contains("name") && e["name"].is_string()) return e["name"].get<std::string>();
  return KindOf(e);
}

// Applies segs[i..] under `node`; counts the leaves set.
absl::Status Apply(nlohmann::json& node, const std::vector<Segment>& segs, size_t i,
                   const nlohmann::json& value, const std::string& path, size_t* set,
                   bool strategy_entry = false) {
  const Segment& s = segs[i];
  if (s.kind && KindOf(node) != *s.kind) return absl::OkStatus();  // not this element
  // A strategy written as its kind ("l1") is the object {"kind": "l1"}; no other string is.
  if (node.is_string() && strategy_entry) node = nlohmann::json{{"kind", node.get<std::string>()}};
  if (node.is_null()) node = nlohmann::json::object();
  if (!node.is_object()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: the value holding \"{}\" is not an object", path, s.name));
  }
  const bool last = i + 1 == segs.size();
  nlohmann::json& child = node[s.name];
  if (!s.selector) {
    if (last) {
      child = value;
      ++*set;
      return absl::OkStatus();
    }
    return Apply(child, segs, i + 1, value, path, set);
  }
  if (!child.is_array()) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: \"{}\" is not an array in the scenario, so [{}] selects nothing", path, s.name, *s.selector));
  }
  const auto visit = [&](nlohmann::json& e) -> absl::Status {
    if (last) {
      e = value;
      ++*set;
      return absl::OkStatus();
    }
    return Apply(e, segs, i + 1, value, path, set, s.name == "strategies" && i == 0);
  };
  if (s.selector->empty()) {
    for (nlohmann::json& e : child) {
      if (absl::Status st = visit(e); !st.ok()) return st;
    }
  } else if (DigitsOnly(*s.selector)) {
    const size_t k = std::stoul(*s.selector);
    if (k >= child.size()) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: \"{}\" has {} elements, so [{}] does not exist", path, s.name, child.size(), k));
    }
    return visit(child[k]);
  } else {
    for (nlohmann::json& e : child) {
      if (NameOf(e) == *s.selector) {
        if (absl::Status st = visit(e); !st.ok()) return st;
      }
    }
  }
  return absl::OkStatus();
}

nlohmann::json OrderedToJson(const nlohmann::ordered_json& j) { return nlohmann::json::parse(j.dump()); }

std::string AxisValuesText(const Sweep& sweep, size_t point) {
  std::string out;
  const std::vector<nlohmann::json> values = sweep.PointValues(point);
  for (size_t a = 0; a < sweep.axes.size(); ++a) {
    out += fmt::format("{}{}={}", a ? ", " : "", sweep.axes[a].path, values[a].dump());
  }
  return out;
}

}  // namespace

size_t Sweep::points() const {
  size_t p = 1;
  for (const SweepAxis& a : axes) p *= a.values.size();
  return p;
}

std::vector<nlohmann::json> Sweep::PointValues(size_t point) const {
  std::vector<nlohmann::json> out(axes.size());
  for (size_t a = axes.size(); a-- > 0;) {
    const size_t n = axes[a].values.size();
    out[a] = axes[a].values[point % n];
    point /= n;
  }
  return out;
}

absl::Status ApplyAxis(nlohmann::json& doc, const std::string& path, const nlohmann::json& value) {
  absl::StatusOr<std::vector<Segment>> segs = ParsePath(path);
  if (!segs.ok()) return segs.status();
  size_t set = 0;
  if (absl::Status s = Apply(doc, *segs, 0, value, path, &set); !s.ok()) return s;
  if (set == 0) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: selects nothing in the scenario (no array element matches its [..] or <kind>)", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<Scenario> PointScenario(const Sweep& sweep, size_t point, uint64_t seed) {
  nlohmann::json doc = sweep.scenario_doc;
  const std::vector<nlohmann::json> values = sweep.PointValues(point);
  for (size_t a = 0; a < sweep.axes.size(); ++a) {
    if (absl::Status s = ApplyAxis(doc, sweep.axes[a].path, values[a]); !s.ok()) {
      return absl::InvalidArgumentError(fmt::format("{}: axes: {}", sweep.path, std::string(s.message())));
    }
  }
  doc["seed"] = seed;
  doc.erase("replications");
  const std::filesystem::path sp(sweep.scenario_path);
  const std::string base = sp.has_parent_path() ? sp.parent_path().string() : std::string(".");
  absl::StatusOr<Scenario> sc = ParseScenario(doc, sp.stem().string(), base);
  if (!sc.ok()) {
    return absl::InvalidArgumentError(fmt::format("{}: point {} ({}): {}: {}", sweep.path, point,
                                                  AxisValuesText(sweep, point), sweep.scenario_path,
                                                  std::string(sc.status().message())));
  }
  if (absl::Status s = SelectStrategies(sweep.strategies, &*sc); !s.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: strategies: {}", sweep.path, std::string(s.message())));
  }
  sc->path = sweep.scenario_path;
  sc->replications = 1;
  return sc;
}

absl::StatusOr<std::vector<SweepRun>> PlanSweep(const Sweep& sweep) {
  std::vector<SweepRun> runs;
  runs.reserve(sweep.runs());
  std::map<std::string, std::string> trace_hashes;  // each trace file is read once
  for (size_t p = 0; p < sweep.points(); ++p) {
    // The seed only seeds the simulation (and the fingerprint leaves it out): one parse and
    // one hash per point; the key adds each replication's seed.
    absl::StatusOr<Scenario> sc = PointScenario(sweep, p, sweep.seed);
    if (!sc.ok()) return sc.status();
    absl::StatusOr<std::string> sha = ScenarioSha256(*sc, &trace_hashes);
    if (!sha.ok()) return sha.status();
    std::string strategies;
    for (const StrategySpec& s : sc->strategies) strategies += s.name + "\n";
    for (uint64_t r = 0; r < sweep.replications; ++r) {
      const uint64_t seed = sweep.seed + r;
      const std::string key =
          Sha256Hex(fmt::format("credsim sweep run\n{}\nseed {}\n{}{}\n", Version(), seed,
                                strategies, *sha))
              .substr(0, 20);
      runs.push_back(SweepRun{runs.size(), p, static_cast<size_t>(r), seed, key});
    }
  }
  return runs;
}

absl::Status ReadSweepFields(const nlohmann::json& j, const std::string& path, ParamLog* log,
                             Sweep* sw, std::string* scenario, bool* has_seed) {
  JsonReader r(j, "", log);
  if (!r.ok()) return absl::InvalidArgumentError(fmt::format("{}: (top level): expected a JSON object", path));
  r.GetRaw("$schema",
      {.doc = "Schema reference for editors; ignored.",
       .schema = R"json({"type":"string","default":"./schema.json"})json"});
  const std::filesystem::path p(path);
  sw->name = r.GetString("name", p.stem().string(),
      {.doc = "Sweep name in reports; default the file name.", .derived_default = true});
  *scenario = r.GetString("scenario", "",
      {.doc = "The scenario file, relative to the sweep file.", .required = true});
  r.GetRaw("axes",
      {.doc = "Object: a scenario path (the paths of docs/scenarios.md, e.g. `traffic.rate`, "
              "`strategies[].params<l1>.variant`, `strategies[NAME].params.KEY`, "
              "`traffic.bursts[0].rate`) -> a non-empty array of distinct values, each any "
              "JSON the path accepts. The points are the Cartesian product, first axis "
              "slowest. At most 8 axes, 1000 values each, 100 000 points, 1 000 000 runs.",
       .schema = R"json({"type":"object","minProperties":1,"maxProperties":8,"additionalProperties":{"type":"array","minItems":1,"maxItems":1000}})json",
       .required = true});
  sw->replications = r.GetUint64("replications", 1, 1, kMaxReplications,
      {.doc = "Replications per point; replication r uses seed `seed + r` at every point and "
              "for every strategy (common random numbers)."});
  *has_seed = r.Has("seed");
  sw->seed = r.GetUint64("seed", 1, 0, UINT64_MAX,
      {.doc = "Seed of replication 0; default the scenario's seed.", .derived_default = true});
  sw->strategies = r.GetString("strategies", "",
      {.doc = "Strategy filter, as `credsim run --strategies` (\"all\" or names/kinds, "
              "comma-separated); default the scenario's own list."});
  if (absl::Status s = r.Finish(); !s.ok()) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", path, std::string(s.message())));
  }
  return absl::OkStatus();
}

absl::StatusOr<ParamLog> DeclaredSweepParams() {
  ParamLog log;
  Sweep sw;
  std::string scenario;
  bool has_seed = false;
  const nlohmann::json doc = {{"scenario", "scenario.json"}, {"axes", {{"traffic.rate", {1, 10}}}}};
  if (absl::Status s = ReadSweepFields(doc, "sweep.json", &log, &sw, &scenario, &has_seed); !s.ok()) {
    return s;
  }
  return log;
}

absl::StatusOr<Sweep> LoadSweep(const std::string& path) {
  absl::StatusOr<std::string> text = ReadRegularFile(path, kMaxSweepFileBytes);
  if (!text.ok()) return text.status();
  absl::StatusOr<nlohmann::json> j = ParseJsonText(*text, path);  // strict: no duplicate keys
  if (!j.ok()) return j.status();
  const nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(*text);
  const auto fail = [&](const std::string& where, const std::string& what) {
    return absl::InvalidArgumentError(fmt::format("{}: {}: {}", path, where, what));
  };
  Sweep sw;
  // Canonical, so the merged outputs do not depend on how the path was typed (s.json,
  // ./s.json, /abs/s.json): every engine's shards merge to the same bytes.
  std::error_code canon_ec;
  const std::filesystem::path canon = std::filesystem::weakly_canonical(path, canon_ec);
  sw.path = canon_ec ? path : canon.string();
  std::string scenario;
  bool has_seed = false;
  if (absl::Status s = ReadSweepFields(*j, path, nullptr, &sw, &scenario, &has_seed); !s.ok()) {
    return s;
  }
  const uint64_t seed = sw.seed;
  const std::filesystem::path p(path);
  if (scenario.empty()) return fail("scenario", "required: the scenario file, relative to the sweep file");
  if (!j->contains("axes")) return fail("axes", "required: an object {\"<scenario path>\": [values...]}");
  const nlohmann::ordered_json& oaxes = ordered["axes"];
  if (!oaxes.is_object() || oaxes.empty()) {
    return fail("axes", "expected a non-empty object {\"<scenario path>\": [values...]}");
  }
  if (oaxes.size() > kMaxSweepAxes) {
    return fail("axes", fmt::format("{} axes; at most {} are accepted", oaxes.size(), kMaxSweepAxes));
  }
  double points = 1;
  for (auto it = oaxes.begin(); it != oaxes.end(); ++it) {
    if (!it.value().is_array() || it.value().empty() || it.value().size() > kMaxAxisValues) {
      return fail("axes." + it.key(), fmt::format("expected a non-empty array of at most {} values", kMaxAxisValues));
    }
    if (absl::StatusOr<std::vector<Segment>> segs = ParsePath(it.key()); !segs.ok()) {
      return fail("axes." + it.key(), std::string(segs.status().message()));
    }
    SweepAxis a;
    a.path = it.key();
    for (const auto& v : it.value()) a.values.push_back(OrderedToJson(v));
    for (size_t x = 0; x < a.values.size(); ++x) {
      for (size_t y = 0; y < x; ++y) {
        if (a.values[x] == a.values[y]) {
          return fail(fmt::format("axes.{}[{}]", a.path, x),
                      fmt::format("{} repeats axes.{}[{}]; every value must be distinct", a.values[x].dump(), a.path, y));
        }
      }
    }
    points *= static_cast<double>(a.values.size());
    sw.axes.push_back(std::move(a));
  }
  if (points > static_cast<double>(kMaxSweepPoints) ||
      points * static_cast<double>(sw.replications) > static_cast<double>(kMaxSweepRuns)) {
    return fail("axes", fmt::format("{} points x {} replications; at most {} points and {} runs are accepted",
                                    points, sw.replications, kMaxSweepPoints, kMaxSweepRuns));
  }
  const std::filesystem::path sp = std::filesystem::path(scenario).is_absolute()
                                       ? std::filesystem::path(scenario)
                                       : (p.has_parent_path() ? p.parent_path() : std::filesystem::path(".")) / scenario;
  const std::filesystem::path scenario_canon = std::filesystem::weakly_canonical(sp, canon_ec);
  sw.scenario_path = canon_ec ? sp.lexically_normal().string() : scenario_canon.string();
  absl::StatusOr<nlohmann::json> doc = ReadJsonFile(sw.scenario_path, kMaxScenarioFileBytes);
  if (!doc.ok()) return fail("scenario", std::string(doc.status().message()));
  if (!doc->is_object()) return fail("scenario", sw.scenario_path + ": expected a JSON object");
  sw.scenario_doc = std::move(*doc);
  sw.seed = seed;
  if (!has_seed) {
    const nlohmann::json& s = sw.scenario_doc.contains("seed") ? sw.scenario_doc["seed"] : nlohmann::json(1);
    if (!s.is_number_unsigned()) {
      return fail("scenario", sw.scenario_path + ": seed: expected an integer 0 to 2^64-1");
    }
    sw.seed = s.get<uint64_t>();
  }
  return sw;
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> ParseShard(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(fmt::format(
        "--shard: \"{}\" is not accepted ({}); expected K/N with 0 <= K < N, 0-based (0/4 .. 3/4), "
        "or \"auto\" (the index and count of a Slurm or AWS Batch array, or a Kubernetes "
        "Indexed Job with --shard-count)",
        text, why));
  };
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return bad("no '/'");
  const std::string k = text.substr(0, slash), n = text.substr(slash + 1);
  const auto digits = [](const std::string& x) {
    if (x.empty() || x.size() > 10) return false;
    for (char c : x) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  };
  if (!digits(k) || !digits(n)) return bad("K and N must be decimal integers of at most 10 digits");
  const uint64_t kv = std::stoull(k), nv = std::stoull(n);
  if (nv > UINT32_MAX) return bad("N must be at most 4294967295");
  if (nv == 0) return bad("N must be at least 1");
  if (kv >= nv) return bad(fmt::format("K = {} is not below N = {}; shards are numbered 0 to {}", kv, nv, nv - 1));
  return std::pair{kv, nv};
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> ShardFromEnvironment(
    const std::function<const char*(const char*)>& env, std::optional<uint64_t> count) {
  const auto get = [&](const char* name) -> std::optional<std::string> {
    const char* v = env(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
  struct Engine {
    const char* index;
    const char* count;
  };
  for (const Engine& e : {Engine{"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"},
                          Engine{"AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE"},
                          Engine{"JOB_COMPLETION_INDEX", nullptr}}) {
    const std::optional<std::string> index = get(e.index);
    if (!index) continue;
    std::optional<std::string> n;
    if (count) n = std::to_string(*count);
    else if (e.count) n = get(e.count);
    if (!n) {
      return absl::InvalidArgumentError(fmt::format(
          "--shard auto: {} is set but the shard count is not known; pass --shard-count N "
          "(a Kubernetes Indexed Job's spec.completions)",
          e.index));
    }
    absl::StatusOr<std::pair<uint64_t, uint64_t>> s = ParseShard(*index + "/" + *n);
    if (!s.ok()) {
      return absl::InvalidArgumentError(fmt::format("--shard auto ({}={}, count {}): {}", e.index,
                                                    *index, *n, std::string(s.status().message())));
    }
    return s;
  }
  return absl::InvalidArgumentError(
      "--shard auto: none of SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX or "
      "JOB_COMPLETION_INDEX is set; pass --shard K/N explicitly (GNU parallel, GitHub Actions "
      "matrices: K = the job index, N = the job total)");
}

}  // namespace credsim
