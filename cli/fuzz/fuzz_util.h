// Helpers shared by the libFuzzer targets of cli/fuzz/: JSON parsing the way the CLI reads
// files, a scratch directory that is removed at exit, and a property check that aborts.
#ifndef CREDSIM_CLI_FUZZ_FUZZ_UTIL_H_
#define CREDSIM_CLI_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "nlohmann/json.hpp"

#if __has_include("cli/json_file.h")
#include "cli/json_file.h"
#define CREDSIM_FUZZ_STRICT_JSON 1
#else
#define CREDSIM_FUZZ_STRICT_JSON 0
#endif

namespace credsim::fuzz {

// Inputs above this size are ignored (the scripts also pass -max_len).
inline constexpr size_t kMaxInput = 64 * 1024;

// Parses the bytes as the CLI parses a JSON file: with the strict reader (cli/json_file.h)
// when the tree has it, otherwise with nlohmann::json without exceptions. nullopt when the
// text is not accepted.
inline std::optional<nlohmann::json> ParseJson(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
#if CREDSIM_FUZZ_STRICT_JSON
  auto j = ParseJsonText(text, "fuzz.json");
  if (!j.ok()) return std::nullopt;
  return std::move(*j);
#else
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
#endif
}

// A fresh directory under $TMPDIR (default /tmp), created once per process and removed,
// with everything in it, at exit. Fuzz inputs never choose paths inside or outside it.
class ScratchDir {
 public:
  static const std::string& Path() {
    static ScratchDir* dir = new ScratchDir();  // intentionally leaked; removed by atexit
    return dir->path_;
  }

 private:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/credsim-fuzz-XXXXXX";
    if (!mkdtemp(tmpl.data())) {
      std::perror("credsim fuzz: mkdtemp");
      std::abort();
    }
    path_ = tmpl;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(Path(), ec);
    });
  }
  std::string path_;
};

// Aborts (a libFuzzer crash) when an invariant of the code under test does not hold.
#define CREDSIM_FUZZ_CHECK(cond, what)                                             \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      std::fprintf(stderr, "credsim fuzz: property violated: %s (%s:%d)\n", what, \
                   __FILE__, __LINE__);                                            \
      std::abort();                                                                \
    }                                                                              \
  } while (0)

}  // namespace credsim::fuzz

#endif  // CREDSIM_CLI_FUZZ_FUZZ_UTIL_H_
