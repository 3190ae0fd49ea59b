// A fixed, valid baseline-form document (BaselineFromResults output of scenarios/busy-steady.json,
// two strategies kept) that the results and baseline fuzzers compare against.
#ifndef CREDSIM_CLI_FUZZ_CHECK_FIXTURE_H_
#define CREDSIM_CLI_FUZZ_CHECK_FIXTURE_H_

#include "nlohmann/json.hpp"

namespace credsim::fuzz {

inline const nlohmann::json& FixedCurrent() {
  static const nlohmann::json j = nlohmann::json::parse(R"({
    "credsim_version": "0.1.0",
    "scenarios": {
      "busy-steady": {
        "l1": {"auth_p99_ms": 0.0, "errors": {"403": 0, "500": 0, "502": 0, "503": 0},
               "sts_calls": 500, "sts_throttled": 0},
        "none": {"auth_p99_ms": 1178.599423, "errors": {"403": 0, "500": 0, "502": 0, "503": 1449},
                 "sts_calls": 1440796, "sts_throttled": 0}
      },
      "sts-throttle": {
        "kv": {"auth_p99_ms": 52.5, "errors": {"403": 1, "500": 2, "502": 3, "503": 4},
               "sts_calls": 12, "sts_throttled": 7}
      }
    }
  })");
  return j;
}

}  // namespace credsim::fuzz

#endif  // CREDSIM_CLI_FUZZ_CHECK_FIXTURE_H_
