/* cli.h - the administrative subcommands (synchronous; never part of serving). */
#ifndef FAIRGATE_CLI_H
#define FAIRGATE_CLI_H

/* Each returns a process exit code: 0 ok, 1 failure, 2 usage. */
int cli_principal(const char *conninfo, int argc, char **argv);
int cli_creditor(const char *conninfo, int argc, char **argv);
int cli_contract(int argc, char **argv);

#endif
