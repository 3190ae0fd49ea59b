// Child processes without a shell: the program and its arguments are an argument vector
// handed to posix_spawnp, so no character of an argument (quotes, `;`, `$(...)`, spaces,
// newlines) is ever interpreted.
#ifndef CREDSIM_CLI_SUBPROCESS_H_
#define CREDSIM_CLI_SUBPROCESS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace credsim {

struct SpawnOptions {
  // Empty: inherit. Otherwise the child's stdout/stderr go to these files (truncated).
  std::string stdout_path, stderr_path;
  // Environment variables set in the child, and variables removed from it.
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::string> unset_env;
  bool discard_output = false;  // stdout and stderr to /dev/null
  std::string stdin_path;       // empty: inherit
  std::string cwd;              // empty: inherit
};

struct ExitStatus {
  int code = -1;    // exit code when exited normally, else -1
  int signal = 0;   // terminating signal, else 0
  bool ok() const { return code == 0; }
  std::string Describe() const;  // "exit code 3" / "killed by signal 9"
};

// Runs argv[0] (looked up on PATH when it has no '/') with `argv`, waits for it. Errors:
// the program could not be started (the message names it and the OS reason).
absl::StatusOr<ExitStatus> RunProcess(const std::vector<std::string>& argv,
                                      const SpawnOptions& options = {});

}  // namespace credsim

#endif  // CREDSIM_CLI_SUBPROCESS_H_
