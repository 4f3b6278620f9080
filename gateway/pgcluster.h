/* pgcluster.h - a private PostgreSQL cluster under a directory (var/), for demo and tests. */
#ifndef FAIRGATE_PGCLUSTER_H
#define FAIRGATE_PGCLUSTER_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Start-up only (blocking is fine here, never on the serving path).
 * pgcluster_start: finds the system's PostgreSQL binaries (pg_config
 * --bindir, or /usr/lib/postgresql/N/bin, highest N), runs initdb in
 * DIR/data if there is no cluster yet, and starts it listening on
 * 127.0.0.1:port and on a socket in DIR/run, logging to DIR/postgres.log.
 * When running as root, the cluster is owned and run by an unprivileged
 * system user ("fairgate", created if missing, or "postgres").
 * A cluster already running in DIR is reused. Creates database "fairgate".
 * Writes a libpq connection string into conninfo.
 * Returns true, or false with a message in err.
 */
bool pgcluster_start(const char *dir, int port, char *conninfo, size_t conninfo_len,
		     char *err, size_t errlen);
/* Stops the cluster in DIR (fast shutdown, waits). True when it is stopped. */
bool pgcluster_stop(const char *dir, char *err, size_t errlen);

#endif
