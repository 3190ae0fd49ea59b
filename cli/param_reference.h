// The parameter reference generated from the loader's own declarations (sim/config/param.h):
// the JSON Schema of scenario files (`credsim schema`, committed as scenarios/schema.json) and
// the field tables of docs/scenarios.md (`credsim docs`): each table sits between a line
// "<!-- credsim docs: SECTION -->" (SECTION a JSON path such as world.sts, or "(top level)")
// and "<!-- /credsim docs -->" and lists the keys below SECTION that no deeper marked
// section lists. A test checks that both committed files are
// what these functions produce, so the loader, the schema and the docs cannot drift apart.
#ifndef CREDSIM_CLI_PARAM_REFERENCE_H_
#define CREDSIM_CLI_PARAM_REFERENCE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sim/config/param.h"

namespace credsim {

// Loads a built-in document that reaches every section, array element and strategy kind with a
// ParamLog attached: the declarations of every parameter the loader reads.
absl::StatusOr<ParamLog> DeclaredParams();

// That document (JSON text; its traffic.trace.path is "invocations.csv", relative to the
// directory it is loaded with).
const char* EveryBranchDocument();

// The JSON Schema (draft 2020-12) of scenario files, from the declarations.
nlohmann::ordered_json ScenarioSchema(const ParamLog& params);

// The JSON Schema of sweep files (cli/sweep.h), from the sweep loader's declarations.
nlohmann::ordered_json SweepSchema(const ParamLog& params);

// One Markdown table of every declared key (all sections).
std::string FieldReference(const ParamLog& params);

// The table of `section` ("" = top level) given every marked section of the document.
std::string FieldTable(const ParamLog& params, const std::string& section,
                       const std::vector<std::string>& sections);

// `docs` with every marked table regenerated; an error if there are no markers or one is
// unterminated.
absl::StatusOr<std::string> WithFieldReference(const std::string& docs, const ParamLog& params);

// WithFieldReference for docs/sweeps.md and the sweep declarations (long schemas point at
// scenarios/sweeps/schema.json).
absl::StatusOr<std::string> WithSweepFieldReference(const std::string& docs, const ParamLog& params);

}  // namespace credsim

#endif  // CREDSIM_CLI_PARAM_REFERENCE_H_
