#include "sim/config/json_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "fmt/format.h"
#include "fmt/ranges.h"

namespace credsim {

const nlohmann::json JsonReader::kEmptyObject = nlohmann::json::object();

namespace {
// Concatenates anything fmt can format (std::string_view included, unlike Debian's Abseil).
template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (fmt::format_to(std::back_inserter(out), "{}", args), ...);
  return out;
}
std::string TypeName(const nlohmann::json& j) { return j.type_name(); }
}  // namespace

std::string NormalizePath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  bool in_index = false;
  for (char c : path) {
    if (c == '[') {
      in_index = true;
      out += "[]";
    } else if (c == ']') {
      in_index = false;
    } else if (!in_index) {
      out += c;
    }
  }
  return out;
}

JsonReader::JsonReader(const nlohmann::json& j, std::string path, ParamLog* log)
    : j_(j.is_object() ? j : kEmptyObject),
      path_(std::move(path)),
      error_(std::make_shared<absl::Status>()),
      log_(log) {
  if (!j.is_object()) Fail(path_, Cat("expected an object, got ", TypeName(j)));
}

JsonReader::JsonReader(const nlohmann::json& j, std::string path, JsonReader& parent)
    : j_(j.is_object() ? j : kEmptyObject),
      path_(std::move(path)),
      error_(parent.error_),
      log_(parent.log_) {
  if (!j.is_object()) Fail(path_, Cat("expected an object, got ", TypeName(j)));
}

std::string JsonReader::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : Cat(path_, ".", key);
}

std::string JsonReader::ElementPath(const std::string& array_path, size_t i) {
  return Cat(array_path, "[", i, "]");
}

void JsonReader::Fail(std::string_view path, std::string_view message) {
  if (error_->ok()) *error_ = absl::InvalidArgumentError(Cat(path, ": ", message));
}

void ParamLog::MergePrefixed(const ParamLog& other, std::string_view strip,
                             std::string_view prefix) {
  // In the other log's declaration order (its map is by path), so that the order survives.
  std::vector<const std::pair<const std::string, ParamRecord>*> in_order;
  for (const auto& entry : other.records_) in_order.push_back(&entry);
  std::sort(in_order.begin(), in_order.end(),
            [](const auto* a, const auto* b) { return a->second.order < b->second.order; });
  for (const auto* entry : in_order) {
    std::string p(entry->first);
    if (p.compare(0, strip.size(), strip) == 0) p = Cat(prefix, p.substr(strip.size()));
    Record(p, entry->second);
  }
}

void JsonReader::Declare(std::string_view key, std::string_view type, nlohmann::json def,
                         nlohmann::json constraints, const ParamDoc& doc,
                         const ParamSite& loc) {
  if (!log_) return;
  ParamRecord r;
  r.type = std::string(type);
  r.default_value = std::move(def);
  r.constraints = std::move(constraints);
  r.doc = std::string(doc.doc);
  r.source = std::string(doc.source);
  r.unit = std::string(doc.unit);
  if (!doc.schema.empty()) r.schema = nlohmann::json::parse(doc.schema);
  r.required = doc.required;
  r.derived_default = doc.derived_default;
  std::string_view file = loc.file;
  for (std::string_view root : {"/sim/", "/strategies/", "/cli/"}) {
    if (size_t at = file.rfind(root); at != std::string_view::npos) {
      file = file.substr(at + 1);
      break;
    }
  }
  r.where = Cat(file, ":", loc.line);
  log_->Record(NormalizePath(PathOf(key)), std::move(r));
}

bool JsonReader::Has(std::string_view key) const { return j_.contains(std::string(key)); }

const nlohmann::json* JsonReader::Lookup(std::string_view key) {
  known_.emplace_back(key);
  auto it = j_.find(std::string(key));
  if (it == j_.end()) return nullptr;
  return &*it;
}

const nlohmann::json* JsonReader::GetRaw(std::string_view key, const ParamDoc& doc,
                                         ParamSite loc) {
  Declare(key, "raw", nullptr, nlohmann::json::object(), doc, loc);
  return Lookup(key);
}

Duration JsonReader::GetDuration(std::string_view key, Duration def, const ParamDoc& doc,
                                 ParamSite loc) {
  if (log_) Declare(key, "duration", FormatDuration(def), nlohmann::json::object(), doc, loc);
  const nlohmann::json* v = Lookup(key);
  if (!v || !ok()) return def;
  if (!v->is_string()) {
    Fail(PathOf(key), Cat("expected a duration string such as \"150ms\" or \"1h30m\", got ",
                                   TypeName(*v)));
    return def;
  }
  auto d = ParseDuration(v->get<std::string>());
  if (!d.ok()) {
    Fail(PathOf(key), std::string(d.status().message()));
    return def;
  }
  return *d;
}

std::optional<Duration> JsonReader::GetOptionalDuration(std::string_view key,
                                                        const ParamDoc& doc,
                                                        ParamSite loc) {
  const nlohmann::json* v = Lookup(key);
  std::optional<Duration> out;
  if (v && !v->is_null() && ok()) {
    known_.pop_back();
    out = GetDuration(key, Duration());
  }
  Declare(key, "optional_duration", nullptr, nlohmann::json::object(), doc, loc);
  return out;
}

double JsonReader::GetNumber(std::string_view key, double def, double min, double max,
                             const ParamDoc& doc, ParamSite loc) {
  if (log_) Declare(key, "number", def, {{"minimum", min}, {"maximum", max}}, doc, loc);
  const nlohmann::json* v = Lookup(key);
  if (!v || !ok()) return def;
  if (!v->is_number()) {
    Fail(PathOf(key), Cat("expected a number in [", min, ", ", max, "], got ", TypeName(*v)));
    return def;
  }
  double x = v->get<double>();
  if (!(x >= min && x <= max)) {
    Fail(PathOf(key), Cat(x, " is out of range; expected a number in [", min, ", ", max, "]"));
    return def;
  }
  return x;
}

std::optional<int64_t> ExactInt64(const nlohmann::json& j) {
  if (j.is_number_unsigned()) {
    const uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (j.is_number_integer()) return j.get<int64_t>();
  if (!j.is_number_float()) return std::nullopt;
  const double d = j.get<double>();
  // -2^63 and 2^63 are exact doubles; the cast is defined only strictly inside (-2^63-1, 2^63).
  if (!(std::floor(d) == d) || !(d >= -0x1p63 && d < 0x1p63)) return std::nullopt;
  return static_cast<int64_t>(d);
}

std::optional<uint64_t> ExactUint64(const nlohmann::json& j) {
  if (j.is_number_unsigned()) return j.get<uint64_t>();
  if (j.is_number_integer()) {
    const int64_t i = j.get<int64_t>();
    if (i < 0) return std::nullopt;
    return static_cast<uint64_t>(i);
  }
  if (!j.is_number_float()) return std::nullopt;
  const double d = j.get<double>();
  if (!(std::floor(d) == d) || !(d >= 0 && d < 0x1p64)) return std::nullopt;
  return static_cast<uint64_t>(d);
}

namespace {
bool IsIntegral(const nlohmann::json& j) {
  if (j.is_number_integer()) return true;  // signed or unsigned
  if (!j.is_number_float()) return false;
  const double d = j.get<double>();
  return std::floor(d) == d;  // false for NaN; true for +-inf (then out of range)
}
}  // namespace

namespace {
// GetInt and GetUint64: an integral JSON number converted exactly by `exact` (nullopt: it does
// not fit T), then checked against [min, max].
template <typename T>
T GetExactInteger(JsonReader& r, std::string_view key, T def, T min, T max,
                  std::optional<T> (*exact)(const nlohmann::json&)) {
  const nlohmann::json* v = r.GetRaw(key);
  if (!v || !r.ok()) return def;
  if (!IsIntegral(*v)) {
    r.Fail(r.PathOf(key), Cat("expected an integer in [", min, ", ", max, "], got ",
                              v->is_number() ? v->dump() : TypeName(*v)));
    return def;
  }
  const std::optional<T> x = exact(*v);
  if (!x || *x < min || *x > max) {
    r.Fail(r.PathOf(key), Cat(v->dump(), " is out of range; expected an integer in [", min, ", ", max, "]"));
    return def;
  }
  return *x;
}
}  // namespace

int64_t JsonReader::GetInt(std::string_view key, int64_t def, int64_t min, int64_t max,
                           const ParamDoc& doc, ParamSite loc) {
  const int64_t x = GetExactInteger<int64_t>(*this, key, def, min, max, &ExactInt64);
  if (log_) Declare(key, "integer", def, {{"minimum", min}, {"maximum", max}}, doc, loc);
  return x;
}

uint64_t JsonReader::GetUint64(std::string_view key, uint64_t def, uint64_t min, uint64_t max,
                               const ParamDoc& doc, ParamSite loc) {
  const uint64_t x = GetExactInteger<uint64_t>(*this, key, def, min, max, &ExactUint64);
  if (log_) Declare(key, "integer", def, {{"minimum", min}, {"maximum", max}}, doc, loc);
  return x;
}

absl::StatusOr<uint64_t> ParseSeed(std::string_view text) {
  constexpr std::string_view kAccepted =
      "expected an integer from 0 to 18446744073709551615 (decimal digits only)";
  const auto bad = [&](std::string_view what) {
    std::string shown(text.substr(0, 64));
    for (char& c : shown) {
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    }
    if (text.size() > 64) shown += "...";
    return absl::InvalidArgumentError(Cat("\"", shown, "\" ", what, "; ", kAccepted));
  };
  if (text.empty()) return bad("is empty");
  for (char c : text) {
    if (c < '0' || c > '9') return bad("is not accepted");
  }
  uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) return bad("is out of range");
  if (ec != std::errc() || ptr != text.data() + text.size()) return bad("is not accepted");
  return v;
}

bool JsonReader::GetBool(std::string_view key, bool def, const ParamDoc& doc,
                         ParamSite loc) {
  if (log_) Declare(key, "boolean", def, nlohmann::json::object(), doc, loc);
  const nlohmann::json* v = Lookup(key);
  if (!v || !ok()) return def;
  if (!v->is_boolean()) {
    Fail(PathOf(key), Cat("expected true or false, got ", TypeName(*v)));
    return def;
  }
  return v->get<bool>();
}

std::string JsonReader::GetString(std::string_view key, std::string def, const ParamDoc& doc,
                                  ParamSite loc) {
  if (log_) Declare(key, "string", def, nlohmann::json::object(), doc, loc);
  const nlohmann::json* v = Lookup(key);
  if (!v || !ok()) return def;
  if (!v->is_string()) {
    Fail(PathOf(key), Cat("expected a string, got ", TypeName(*v)));
    return def;
  }
  return v->get<std::string>();
}

std::string JsonReader::GetEnum(std::string_view key, std::string def,
                                std::initializer_list<std::string_view> accepted,
                                const ParamDoc& doc, ParamSite loc) {
  if (log_) {
    nlohmann::json values = nlohmann::json::array();
    for (std::string_view a : accepted) values.push_back(std::string(a));
    Declare(key, "enum", def, {{"enum", values}}, doc, loc);
  }
  const nlohmann::json* v = Lookup(key);
  if (!v || !ok()) return def;
  std::string got = v->is_string() ? v->get<std::string>() : v->dump();
  if (!v->is_string() || std::find(accepted.begin(), accepted.end(), got) == accepted.end()) {
    Fail(PathOf(key), Cat("\"", got, "\" is not accepted; expected one of ",
                                   fmt::format("{}", fmt::join(accepted, ", "))));
    return def;
  }
  return got;
}

JsonReader JsonReader::Child(std::string_view key, const ParamDoc& doc,
                             ParamSite loc) {
  Declare(key, "object", nullptr, nlohmann::json::object(), doc, loc);
  const nlohmann::json* v = Lookup(key);
  return JsonReader(v ? *v : kEmptyObject, PathOf(key), *this);
}

std::vector<const nlohmann::json*> JsonReader::GetArray(std::string_view key,
                                                        const ParamDoc& doc,
                                                        ParamSite loc) {
  Declare(key, "array", nullptr, nlohmann::json::object(), doc, loc);
  std::vector<const nlohmann::json*> out;
  const nlohmann::json* v = Lookup(key);
  if (!v || !ok()) return out;
  if (!v->is_array()) {
    Fail(PathOf(key), Cat("expected an array, got ", TypeName(*v)));
    return out;
  }
  for (const auto& e : *v) out.push_back(&e);
  return out;
}

absl::Status JsonReader::Finish() {
  if (!ok()) return *error_;
  for (auto it = j_.begin(); it != j_.end(); ++it) {
    if (std::find(known_.begin(), known_.end(), it.key()) == known_.end()) {
      std::vector<std::string> sorted = known_;
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      Fail(PathOf(it.key()),
           Cat("unknown key; accepted: ", fmt::format("{}", fmt::join(sorted, ", "))));
      return *error_;
    }
  }
  return *error_;
}

}  // namespace credsim
