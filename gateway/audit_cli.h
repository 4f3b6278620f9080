/* audit_cli.h - `fairgate audit verify|pubkey`: the chain, the signed checkpoints, exports. */
#ifndef FAIRGATE_AUDIT_CLI_H
#define FAIRGATE_AUDIT_CLI_H

#include "config.h"

/*
 * The subcommands that need no database: `audit pubkey` prints the
 * checkpoint public key (PEM), `audit verify --export FILE` checks an export.
 * Returns the exit status, or -1 when the command needs the database (then
 * call audit_cli_db), or 2 after a usage error.
 */
int audit_cli_offline(const struct config *cfg, int argc, char **argv);
/*
 * `audit verify [--pubkey FILE]`: every chain, then every checkpoint's
 * signature (with FILE, else the gateway's key) and signed head. Prints what
 * it found; 0 when everything verifies, 1 otherwise.
 */
int audit_cli_db(const struct config *cfg, const char *conninfo, int argc, char **argv);

#endif
