// libFuzzer target for the baseline reader of `credsim check`: bytes -> JSON ->
// ValidateBaseline; an accepted baseline goes through Compare (tolerance 0 and 2%) and
// UpdateBaseline against a fixed valid current document, whose result must validate again.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/check.h"
#include "cli/fuzz/check_fixture.h"
#include "cli/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > credsim::fuzz::kMaxInput) return -1;
  std::optional<nlohmann::json> j = credsim::fuzz::ParseJson(data, size);
  if (!j) return 0;
  const absl::Status valid = credsim::ValidateBaseline(*j, "fuzz.json");
  if (!valid.ok()) {
    CREDSIM_FUZZ_CHECK(!valid.message().empty(), "a rejected baseline has an error message");
    return 0;
  }
  const nlohmann::json& current = credsim::fuzz::FixedCurrent();
  for (double tolerance : {0.0, 0.02}) {
    const credsim::CheckReport report = credsim::Compare(*j, current, tolerance);
    for (const credsim::CheckFinding& f : report.findings) {
      CREDSIM_FUZZ_CHECK(!f.Line().empty(), "every finding has a line");
      CREDSIM_FUZZ_CHECK(!f.GithubAnnotation().empty(), "every finding has an annotation");
    }
    (void)report.failed();
  }
  const credsim::CheckReport self = credsim::Compare(*j, *j, 0);
  CREDSIM_FUZZ_CHECK(self.findings.empty(), "a baseline compares clean against itself");
  const nlohmann::json updated = credsim::UpdateBaseline(*j, current);
  CREDSIM_FUZZ_CHECK(credsim::ValidateBaseline(updated, "updated").ok(),
                     "an updated baseline is valid");
  for (const credsim::CheckFinding& f : credsim::Compare(updated, current, 0).findings) {
    CREDSIM_FUZZ_CHECK(f.kind == credsim::CheckFinding::Kind::kMissingFromResults,
                       "after an update, the updated scenarios compare clean");
  }
  return 0;
}
