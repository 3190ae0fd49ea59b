#include "cli/replicated_results.h"

#include <cmath>
#include <map>
#include <string>

#include "fmt/format.h"

namespace credsim {
namespace {

void Flatten(const nlohmann::json& node, const std::string& prefix, nlohmann::json& out) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_number()) {
      out[key] = *it;
    } else if (it->is_object()) {
      Flatten(*it, key, out);
    }
  }
}

// The values of `key` in every replication's map that has it.
std::vector<double> Column(const std::vector<nlohmann::json>& values, const std::string& key) {
  std::vector<double> xs;
  for (const nlohmann::json& v : values) {
    if (auto it = v.find(key); it != v.end() && it->is_number()) xs.push_back(it->get<double>());
  }
  return xs;
}

nlohmann::json Nullable(const std::optional<double>& v) {
  return v ? nlohmann::json(RoundSignificant(*v)) : nlohmann::json(nullptr);
}

}  // namespace

double RoundSignificant(double v) {
  if (v == 0 || !std::isfinite(v)) return v;
  return std::stod(fmt::format("{:.10g}", v));
}

nlohmann::json ScalarValues(const nlohmann::json& entry) {
  nlohmann::json out = nlohmann::json::object();
  for (auto it = entry.begin(); it != entry.end(); ++it) {
    const std::string& k = it.key();
    if (k == "params" || k == "stats" || k == "replications" || k == "vs_baseline") continue;
    if (it->is_number()) {
      out[k] = *it;
    } else if (it->is_object()) {
      Flatten(*it, k, out);
    }
  }
  return out;
}

nlohmann::json SummaryJson(const SampleSummary& s) {
  nlohmann::json j;
  j["n"] = s.n;
  j["mean"] = RoundSignificant(s.mean);
  j["sd"] = Nullable(s.sd);
  j["ci95"] = s.half_width ? nlohmann::json::array({RoundSignificant(s.mean - *s.half_width),
                                                    RoundSignificant(s.mean + *s.half_width)})
                           : nlohmann::json(nullptr);
  j["half_width"] = Nullable(s.half_width);
  return j;
}

nlohmann::json StatsOf(const std::vector<nlohmann::json>& values) {
  std::map<std::string, bool> keys;  // sorted union
  for (const nlohmann::json& v : values) {
    for (auto it = v.begin(); it != v.end(); ++it) keys[it.key()] = true;
  }
  nlohmann::json stats = nlohmann::json::object();
  for (const auto& [key, unused] : keys) {
    const std::vector<double> xs = Column(values, key);
    stats[key] = SummaryJson(Summarize(xs));
  }
  return stats;
}

nlohmann::json Replicate(nlohmann::json first, const std::vector<nlohmann::json>& values,
                         const std::vector<uint64_t>& seeds) {
  nlohmann::json reps = nlohmann::json::array();
  for (size_t r = 0; r < values.size(); ++r) {
    reps.push_back({{"seed", seeds.at(r)}, {"values", values[r]}});
  }
  first["stats"] = StatsOf(values);
  first["replications"] = std::move(reps);
  return first;
}

absl::Status AddPairedComparisons(nlohmann::json& results, const std::string& baseline) {
  nlohmann::json& list = results["strategies"];
  const nlohmann::json* base = nullptr;
  std::string names;
  for (const nlohmann::json& s : list) {
    names += (names.empty() ? "" : ", ") + s.value("name", std::string("?"));
    if (s.value("name", std::string()) == baseline) base = &s;
  }
  if (base == nullptr) {
    return absl::InvalidArgumentError(fmt::format(
        "--baseline: no strategy is named \"{}\"; expected one of {}", baseline, names));
  }
  // Hand-edited or foreign files: "replications" must be [{seed, values: {}}] wherever present.
  for (size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& s = list[i];
    if (!s.is_object() || !s.contains("replications")) continue;
    const nlohmann::json& reps = s["replications"];
    bool ok = reps.is_array();
    for (size_t r = 0; ok && r < reps.size(); ++r) {
      ok = reps[r].is_object() && reps[r].contains("seed") && reps[r]["seed"].is_number_unsigned() &&
           reps[r].contains("values") && reps[r]["values"].is_object();
    }
    if (!ok) {
      return absl::InvalidArgumentError(fmt::format(
          "strategies[{}].replications: expected an array of {{\"seed\": unsigned integer, "
          "\"values\": object}} (as credsim run writes it)", i));
    }
  }
  // seed -> values of the baseline.
  std::map<uint64_t, const nlohmann::json*> base_values;
  if (base->contains("replications")) {
    for (const nlohmann::json& r : base->at("replications")) {
      base_values[r.at("seed").get<uint64_t>()] = &r.at("values");
    }
  }
  for (nlohmann::json& s : list) {
    s.erase("vs_baseline");
    if (&s == base) continue;
    if (!s.contains("replications")) continue;
    std::map<std::string, std::vector<double>> diffs;
    for (const nlohmann::json& r : s.at("replications")) {
      auto b = base_values.find(r.at("seed").get<uint64_t>());
      if (b == base_values.end()) continue;
      const nlohmann::json& values = r.at("values");
      for (auto it = values.begin(); it != values.end(); ++it) {
        auto bv = b->second->find(it.key());
        if (bv == b->second->end() || !bv->is_number() || !it->is_number()) continue;
        diffs[it.key()].push_back(it->get<double>() - bv->get<double>());
      }
    }
    nlohmann::json vs = nlohmann::json::object();
    for (const auto& [key, xs] : diffs) {
      const SampleSummary sum = Summarize(xs);
      nlohmann::json j = SummaryJson(sum);
      j["mean_diff"] = j["mean"];
      j.erase("mean");
      j["distinguishable"] = sum.half_width ? nlohmann::json(!sum.IntervalContains(0))
                                            : nlohmann::json(nullptr);
      vs[key] = std::move(j);
    }
    s["vs_baseline"] = std::move(vs);
  }
  results["baseline_strategy"] = baseline;
  return absl::OkStatus();
}

}  // namespace credsim
