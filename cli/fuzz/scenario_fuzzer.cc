// libFuzzer target for the scenario loader: bytes -> JSON -> credsim::ParseScenario, the code
// behind `credsim validate` and `credsim run`. A valid scenario is parsed a second time with a
// ParamLog attached and goes through SelectStrategies.
//
// Files: relative trace paths resolve against a scratch directory that holds one tiny trace,
// invocations.csv (so replay configurations can load). A traffic.trace.path that is absolute
// or contains ".." is replaced by a name that does not exist, so an input can never make the
// loader read a file outside that directory (/dev/zero, /dev/stdin, a large trace, ...).
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "cli/fuzz/fuzz_util.h"
#include "cli/scenario.h"

namespace {

const std::string& BaseDir() {
  static const std::string dir = [] {
    const std::string d = credsim::fuzz::ScratchDir::Path();
    std::ofstream(d + "/invocations.csv")
        << "HashOwner,HashApp,HashFunction,Trigger,1,2,3,4\n"
           "o1,a1,f1,http,0,3,1,0\n"
           "o1,a1,f2,timer,1,1,1,1\n"
           "o2,a2,f3,queue,7,0,0,2\n";
    return d;
  }();
  return dir;
}

// Keeps traffic.trace.path inside BaseDir().
void ConfineTracePath(nlohmann::json& j) {
  if (!j.is_object()) return;
  auto traffic = j.find("traffic");
  if (traffic == j.end() || !traffic->is_object()) return;
  auto trace = traffic->find("trace");
  if (trace == traffic->end() || !trace->is_object()) return;
  auto path = trace->find("path");
  if (path == trace->end() || !path->is_string()) return;
  const std::string& p = path->get_ref<const std::string&>();
  if (!p.empty() && (p[0] == '/' || p.find("..") != std::string::npos)) *path = "missing.csv";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > credsim::fuzz::kMaxInput) return -1;  // -1: not added to the corpus
  std::optional<nlohmann::json> j = credsim::fuzz::ParseJson(data, size);
  if (!j) return 0;
  ConfineTracePath(*j);
  const std::string& base = BaseDir();
  absl::StatusOr<credsim::Scenario> sc = credsim::ParseScenario(*j, "fuzz", base, nullptr);
  if (!sc.ok()) {
    CREDSIM_FUZZ_CHECK(!sc.status().message().empty(), "a rejected scenario has an error message");
    return 0;
  }
  CREDSIM_FUZZ_CHECK(!sc->strategies.empty(), "a valid scenario runs at least one strategy");
  CREDSIM_FUZZ_CHECK(sc->world.traffic.trace.has_value() == (sc->trace != nullptr),
                     "a replay scenario has its trace loaded");

  // The same document with a ParamLog (the schema generator's path) must give the same verdict.
  credsim::ParamLog log;
  absl::StatusOr<credsim::Scenario> again = credsim::ParseScenario(*j, "fuzz", base, &log);
  CREDSIM_FUZZ_CHECK(again.ok(), "key logging does not change the verdict");
  CREDSIM_FUZZ_CHECK(again->strategies.size() == sc->strategies.size(),
                     "key logging does not change the strategies");

  credsim::Scenario all = *sc;
  CREDSIM_FUZZ_CHECK(credsim::SelectStrategies("all", &all).ok(), "--strategies all is accepted");
  return 0;
}
