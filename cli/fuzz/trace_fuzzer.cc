// libFuzzer target for the Azure Functions 2019 trace reader (traffic.trace of a scenario).
// Every input is parsed with max_functions 0 (all rows), 1 and 2, and the results must agree:
// a limited read is a prefix of the full one.
//
// When sim/world/traffic.h declares ParseAzureTrace (text in memory), it is called directly;
// otherwise the bytes are written to an anonymous in-memory file (memfd, nothing on disk)
// that LoadAzureTrace opens through /proc/self/fd. cli/fuzz/CMakeLists.txt detects which.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cli/fuzz/fuzz_util.h"
#include "sim/world/traffic.h"

namespace {

absl::StatusOr<credsim::Trace> Parse(std::string_view text, int64_t max_functions) {
#if CREDSIM_FUZZ_HAVE_PARSE_AZURE_TRACE
  return credsim::ParseAzureTrace(text, "fuzz.csv", max_functions);
#else
  static const int fd = [] {
    const int f = memfd_create("credsim-trace-fuzz", 0);
    if (f < 0) {
      std::perror("credsim fuzz: memfd_create");
      std::abort();
    }
    return f;
  }();
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (ftruncate(fd, 0) != 0) std::abort();
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = pwrite(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
  credsim::TraceConfig config;
  config.path = path;
  config.max_functions = max_functions;
  return credsim::LoadAzureTrace(config);
#endif
}

void CheckShape(const credsim::Trace& t, int64_t max_functions) {
  CREDSIM_FUZZ_CHECK(!t.counts.empty(), "an accepted trace has at least one function");
  CREDSIM_FUZZ_CHECK(t.minutes() > 0, "an accepted trace has at least one minute");
  for (const auto& row : t.counts) {
    CREDSIM_FUZZ_CHECK(row.size() == t.minutes(), "every function has one count per minute");
  }
  if (max_functions > 0) {
    CREDSIM_FUZZ_CHECK(t.counts.size() <= static_cast<size_t>(max_functions),
                       "max_functions limits the rows");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > credsim::fuzz::kMaxInput) return -1;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<credsim::Trace> all = Parse(text, 0);
  if (all.ok()) CheckShape(*all, 0);
  for (int64_t limit : {1, 2}) {
    const absl::StatusOr<credsim::Trace> some = Parse(text, limit);
    if (some.ok()) CheckShape(*some, limit);
    if (all.ok()) {
      CREDSIM_FUZZ_CHECK(some.ok(), "a trace that loads whole also loads limited");
      const size_t n = std::min(all->counts.size(), static_cast<size_t>(limit));
      CREDSIM_FUZZ_CHECK(some->counts.size() == n, "a limited read keeps the first rows");
      for (size_t i = 0; i < n; ++i) {
        CREDSIM_FUZZ_CHECK(some->counts[i] == all->counts[i], "a limited read keeps the first rows");
      }
    }
  }
  return 0;
}
