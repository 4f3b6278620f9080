/* main.c - the fairgate command line: serve, migrate, principal, contract, audit, simulate, db. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_cli.h"
#include "auth.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "migrate.h"
#include "pgcluster.h"
#include "server.h"
#include "simulate.h"

static void usage(void)
{
	fputs("usage: fairgate [--config FILE] COMMAND ...\n"
	      "  serve [--listen HOST:PORT] [--database-url URL]\n"
	      "  migrate\n"
	      "  principal add --role ROLE --name NAME [--creditor ID] [--partner ID]\n"
	      "  principal revoke --id N\n"
	      "  principal bind-cert --id N --cert FILE\n"
	      "  creditor set-webhook --creditor ID --url URL\n"
	      "  contract check FILE...\n"
	      "  audit verify [--pubkey FILE] [--export FILE] | audit pubkey\n"
	      "  simulate --contract FILE [--since YYYY-MM-DD]\n"
	      "  db start | db stop    (the private PostgreSQL under data_dir)\n"
	      "Settings come from --config FILE and FAIRGATE_* environment variables\n"
	      "(FAIRGATE_DATABASE_URL, FAIRGATE_LISTEN, FAIRGATE_DATA_DIR, ...).\n",
	      stderr);
}

/* Resolves the database: the configured URL, or the private cluster (started if needed). */
static bool database(struct config *cfg, char *conninfo, size_t len)
{
	char dir[512], err[1024];
	if (cfg->database_url[0]) {
		snprintf(conninfo, len, "%s", cfg->database_url);
		return true;
	}
	snprintf(dir, sizeof(dir), "%s/pg", cfg->data_dir);
	if (!pgcluster_start(dir, cfg->private_pg_port, conninfo, len, err, sizeof(err))) {
		fprintf(stderr, "fairgate: private PostgreSQL: %s\n", err);
		return false;
	}
	return true;
}

static bool stop_private(const struct config *cfg)
{
	char dir[512], err[1024];
	snprintf(dir, sizeof(dir), "%s/pg", cfg->data_dir);
	if (!pgcluster_stop(dir, err, sizeof(err))) {
		fprintf(stderr, "fairgate: stopping private PostgreSQL: %s\n", err);
		return false;
	}
	return true;
}

static int cmd_migrate(struct config *cfg, const char *conninfo)
{
	char err[1024];
	int applied = 0;
	if (!migrate_run(conninfo, cfg->sql_dir, &applied, err, sizeof(err))) {
		fprintf(stderr, "fairgate migrate: %s\n", err);
		return 1;
	}
	fprintf(stderr, "fairgate migrate: %d migration(s) applied\n", applied);
	return 0;
}

static int cmd_serve(struct config *cfg, int argc, char **argv)
{
	char conninfo[1024], err[256];
	for (int i = 0; i < argc; i++) {
		const char *name = strcmp(argv[i], "--listen") == 0         ? "listen"
				   : strcmp(argv[i], "--database-url") == 0 ? "database_url"
									    : NULL;
		if (!name || i + 1 >= argc) {
			usage();
			return 2;
		}
		if (!config_set(cfg, name, argv[++i], err, sizeof(err))) {
			fprintf(stderr, "fairgate serve: %s\n", err);
			return 2;
		}
	}
	bool private_pg = cfg->database_url[0] == '\0';
	if (!database(cfg, conninfo, sizeof(conninfo)))
		return 1;
	int rc = cmd_migrate(cfg, conninfo);
	if (rc == 0)
		rc = server_run(cfg, conninfo);
	if (private_pg && !stop_private(cfg))
		rc = 1;
	return rc;
}

static int cmd_audit(struct config *cfg, int argc, char **argv)
{
	char conninfo[1024];
	int rc = audit_cli_offline(cfg, argc, argv);
	if (rc >= 0)
		return rc;
	if (!database(cfg, conninfo, sizeof(conninfo)))
		return 1;
	return audit_cli_db(cfg, conninfo, argc, argv);
}

static int cmd_db(struct config *cfg, int argc, char **argv)
{
	char conninfo[1024];
	if (argc == 1 && strcmp(argv[0], "start") == 0) {
		if (!database(cfg, conninfo, sizeof(conninfo)))
			return 1;
		printf("%s\n", conninfo);
		return 0;
	}
	if (argc == 1 && strcmp(argv[0], "stop") == 0)
		return stop_private(cfg) ? 0 : 1;
	usage();
	return 2;
}

/* Commands that need the database get its connection string. */
static int dispatch(struct config *cfg, int argc, char **argv)
{
	char conninfo[1024];
	const char *cmd = argv[0];
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(cfg, argc - 1, argv + 1);
	if (strcmp(cmd, "contract") == 0)
		return cli_contract(argc - 1, argv + 1);
	if (strcmp(cmd, "db") == 0)
		return cmd_db(cfg, argc - 1, argv + 1);
	if (strcmp(cmd, "audit") == 0)
		return cmd_audit(cfg, argc - 1, argv + 1);
	if (strcmp(cmd, "migrate") != 0 && strcmp(cmd, "principal") != 0 &&
	    strcmp(cmd, "creditor") != 0 && strcmp(cmd, "simulate") != 0) {
		usage();
		return 2;
	}
	if (!database(cfg, conninfo, sizeof(conninfo)))
		return 1;
	if (strcmp(cmd, "migrate") == 0)
		return cmd_migrate(cfg, conninfo);
	if (strcmp(cmd, "principal") == 0)
		return cli_principal(conninfo, argc - 1, argv + 1);
	if (strcmp(cmd, "simulate") == 0)
		return simulate_run(conninfo, argc - 1, argv + 1);
	return cli_creditor(conninfo, argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	struct config cfg;
	char err[512];
	config_defaults(&cfg);
	int i = 1;
	if (argc > 2 && strcmp(argv[1], "--config") == 0) {
		if (!config_load_file(&cfg, argv[2], err, sizeof(err))) {
			fprintf(stderr, "fairgate: %s\n", err);
			return 2;
		}
		i = 3;
	}
	if (!config_load_env(&cfg, err, sizeof(err))) {
		fprintf(stderr, "fairgate: %s\n", err);
		return 2;
	}
	if (!log_level_parse(cfg.log_level, &log_min_level)) {
		fprintf(stderr, "fairgate: log_level: unknown level '%s'\n", cfg.log_level);
		return 2;
	}
	if (i >= argc) {
		usage();
		return 2;
	}
	return dispatch(&cfg, argc - i, argv + i);
}
