// The credsim subcommands (run, validate, compare, report, check). Exit codes: 0 success,
// 1 failure (regression for `check`, a run or report that failed), 2 bad input (nothing is
// written in that case).
#ifndef CREDSIM_CLI_COMMANDS_H_
#define CREDSIM_CLI_COMMANDS_H_

namespace credsim {

int Main(int argc, char** argv);

}  // namespace credsim

#endif  // CREDSIM_CLI_COMMANDS_H_
