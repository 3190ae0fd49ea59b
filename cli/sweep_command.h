// `credsim sweep plan|run|merge|report`: parameter sweeps as independent, addressable,
// restartable runs (cli/sweep.h), sharded for cluster engines with --shard K/N, merged into
// sweep.json / sweep.csv / sweep.md (cli/sweep_merge.h) and plotted (reports/).
#ifndef CREDSIM_CLI_SWEEP_COMMAND_H_
#define CREDSIM_CLI_SWEEP_COMMAND_H_

namespace credsim {

// argv[1] is "sweep". Exit codes: 0 ok, 1 a run failed or (merge) runs are missing, 2 bad input.
int CmdSweep(int argc, char** argv);

}  // namespace credsim

#endif  // CREDSIM_CLI_SWEEP_COMMAND_H_
