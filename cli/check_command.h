// `credsim check`: the CI regression gate (cli/check.h) as a subcommand.
#ifndef CREDSIM_CLI_CHECK_COMMAND_H_
#define CREDSIM_CLI_CHECK_COMMAND_H_

namespace credsim {

// argv[0] is the program, argv[1] "check". Exit codes: 0 ok, 1 regression, 2 bad input.
int CmdCheck(int argc, char** argv);

}  // namespace credsim

#endif  // CREDSIM_CLI_CHECK_COMMAND_H_
