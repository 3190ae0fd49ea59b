// libFuzzer target for the results.json readers of `credsim compare` and `credsim check`:
// bytes -> JSON -> BaselineFromResults (check) and, when the document passes compare's shape
// check, ComparisonMarkdown (alone and beside itself, the multi-scenario table). An accepted
// document must give a baseline that ValidateBaseline accepts and that compares clean
// against itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/check.h"
#include "cli/fuzz/check_fixture.h"
#include "cli/fuzz/fuzz_util.h"
#include "cli/results.h"

namespace {

// The shape check of `credsim compare` (cli/commands.cc, CmdCompare).
bool LooksLikeResults(const nlohmann::json& j) {
  return j.is_object() && j.contains("strategies") && j.at("strategies").is_array() &&
         j.contains("scenario");
}

void Consume(const credsim::CheckReport& report) {
  for (const credsim::CheckFinding& f : report.findings) {
    CREDSIM_FUZZ_CHECK(!f.Line().empty(), "every finding has a line");
    CREDSIM_FUZZ_CHECK(!f.GithubAnnotation().empty(), "every finding has an annotation");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > credsim::fuzz::kMaxInput) return -1;
  std::optional<nlohmann::json> j = credsim::fuzz::ParseJson(data, size);
  if (!j) return 0;

  if (LooksLikeResults(*j)) {
    const std::string one = credsim::ComparisonMarkdown({*j});
    const std::string two = credsim::ComparisonMarkdown({*j, *j});
    CREDSIM_FUZZ_CHECK(one.size() > 100 && two.size() > 100, "the table has a header");
  }

  absl::StatusOr<nlohmann::json> current = credsim::BaselineFromResults({*j}, {"fuzz.json"});
  if (!current.ok()) return 0;
  CREDSIM_FUZZ_CHECK(LooksLikeResults(*j), "check accepts only what compare accepts");
  CREDSIM_FUZZ_CHECK(credsim::ValidateBaseline(*current, "current").ok(),
                     "BaselineFromResults output is a valid baseline");
  const credsim::CheckReport self = credsim::Compare(*current, *current, 0);
  CREDSIM_FUZZ_CHECK(self.findings.empty(), "a baseline compares clean against itself");
  Consume(self);
  Consume(credsim::Compare(credsim::fuzz::FixedCurrent(), *current, 0));
  Consume(credsim::Compare(*current, credsim::fuzz::FixedCurrent(), 0.02));
  const nlohmann::json updated = credsim::UpdateBaseline(credsim::fuzz::FixedCurrent(), *current);
  CREDSIM_FUZZ_CHECK(credsim::ValidateBaseline(updated, "updated").ok(),
                     "an updated baseline is valid");
  return 0;
}
