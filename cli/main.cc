// credsim: command-line entry point. See `credsim --help` and docs/cli.md.
#include "cli/commands.h"

int main(int argc, char** argv) { return credsim::Main(argc, argv); }
