/* cli.c - principal, creditor and contract subcommands. */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "contract.h"
#include "json_fast.h"
#include "tls.h"

/* Finds "--name VALUE" in argv; NULL when absent. */
static const char *flag(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static bool copy_id(char *dst, size_t len, const char *src, const char *what)
{
	if (!src)
		return true;
	if (strlen(src) >= len || !src[0]) {
		fprintf(stderr, "fairgate: %s: must be 1 to %zu characters\n", what, len - 1);
		return false;
	}
	memcpy(dst, src, strlen(src) + 1);
	return true;
}

/* Reads and checks the flags of "principal add". */
static bool principal_from_flags(int argc, char **argv, struct principal *p)
{
	const char *role = flag(argc, argv, "--role"), *name = flag(argc, argv, "--name");
	memset(p, 0, sizeof(*p));
	if (!role || !role_parse(role, &p->role)) {
		fprintf(stderr, "fairgate: --role must be admin, creditor, agency, bailiff or monitor\n");
		return false;
	}
	if (!name || !copy_id(p->name, sizeof(p->name), name, "--name"))
		return name ? false : (fprintf(stderr, "fairgate: --name is required\n"), false);
	if (!copy_id(p->creditor_id, sizeof(p->creditor_id), flag(argc, argv, "--creditor"), "--creditor") ||
	    !copy_id(p->partner_id, sizeof(p->partner_id), flag(argc, argv, "--partner"), "--partner"))
		return false;
	if ((p->role & (ROLE_CREDITOR | ROLE_MONITOR)) && !p->creditor_id[0]) {
		fprintf(stderr, "fairgate: a %s needs --creditor ID\n", role_name(p->role));
		return false;
	}
	if ((p->role & ROLE_PARTNER) && !p->partner_id[0]) {
		fprintf(stderr, "fairgate: an %s needs --partner ID\n", role_name(p->role));
		return false;
	}
	return true;
}

static int principal_revoke(const char *conninfo, const char *id)
{
	PGconn *c = PQconnectdb(conninfo);
	const char *params[] = {id};
	int rc = 1;
	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexecParams(c, "UPDATE principals SET revoked_at = now() "
					      "WHERE id = $1::bigint AND revoked_at IS NULL", 1, NULL,
					   params, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdTuples(r), "1") == 0)
			rc = 0;
		else
			fprintf(stderr, "fairgate: no active principal %s %s\n", id, PQresultErrorMessage(r));
		PQclear(r);
	} else {
		fprintf(stderr, "fairgate: database: %s", PQerrorMessage(c));
	}
	PQfinish(c);
	return rc;
}

/* "principal bind-cert --id N --cert FILE": the certificate authenticates principal N. */
static int principal_bind_cert(const char *conninfo, const char *id, const char *path)
{
	char fp[TLS_FP_HEX], err[512], *end;
	long long n = strtoll(id, &end, 10);
	if (*end || n <= 0) {
		fprintf(stderr, "fairgate: --id must be a principal id\n");
		return 2;
	}
	if (!tls_file_fingerprint(path, fp, err, sizeof(err)) ||
	    !auth_bind_cert(conninfo, n, fp, err, sizeof(err))) {
		fprintf(stderr, "fairgate: %s\n", err);
		return 1;
	}
	printf("%s\n", fp);
	return 0;
}

int cli_principal(const char *conninfo, int argc, char **argv)
{
	struct principal p;
	char token[AUTH_TOKEN_LEN + 1], err[512];
	if (argc >= 1 && strcmp(argv[0], "revoke") == 0 && flag(argc, argv, "--id"))
		return principal_revoke(conninfo, flag(argc, argv, "--id"));
	if (argc >= 1 && strcmp(argv[0], "bind-cert") == 0 && flag(argc, argv, "--id") &&
	    flag(argc, argv, "--cert"))
		return principal_bind_cert(conninfo, flag(argc, argv, "--id"), flag(argc, argv, "--cert"));
	if (argc < 1 || strcmp(argv[0], "add") != 0) {
		fprintf(stderr, "usage: fairgate principal add --role ROLE --name NAME "
				"[--creditor ID] [--partner ID] | principal revoke --id N\n"
				"       fairgate principal bind-cert --id N --cert FILE\n");
		return 2;
	}
	if (!principal_from_flags(argc, argv, &p))
		return 2;
	if (!auth_principal_add(conninfo, &p, token, err, sizeof(err))) {
		fprintf(stderr, "fairgate: %s", err);
		return 1;
	}
	printf("%s\n", token); /* the only time the token is shown */
	return 0;
}

int cli_creditor(const char *conninfo, int argc, char **argv)
{
	const char *id = flag(argc, argv, "--creditor"), *url = flag(argc, argv, "--url");
	if (argc < 1 || strcmp(argv[0], "set-webhook") != 0 || !id || !url) {
		fprintf(stderr, "usage: fairgate creditor set-webhook --creditor ID --url URL\n");
		return 2;
	}
	PGconn *c = PQconnectdb(conninfo);
	const char *params[] = {id, url};
	int rc = 1;
	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexecParams(c, "INSERT INTO creditors (id, name, webhook_url) VALUES ($1, $1, $2) "
					      "ON CONFLICT (id) DO UPDATE SET webhook_url = $2", 2, NULL,
					   params, NULL, NULL, 0);
		rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : 1;
		if (rc)
			fprintf(stderr, "fairgate: %s", PQresultErrorMessage(r));
		PQclear(r);
	}
	PQfinish(c);
	return rc;
}

/* Checks one contract file; prints ok or its errors. */
static bool check_file(const char *path)
{
	json_error_t jerr;
	struct contract c;
	struct contract_errors errs;
	json_t *doc = json_fast_load_file(path, &jerr);
	if (!doc) {
		printf("%s:%d:%d: malformed JSON: %s\n", path, jerr.line, jerr.column, jerr.text);
		return false;
	}
	bool ok = contract_from_json(doc, &c, &errs);
	json_decref(doc);
	if (ok) {
		printf("%s: ok (%s version %d)\n", path, c.id, c.version);
		return true;
	}
	for (int i = 0; i < errs.count; i++)
		printf("%s: %s: %s\n", path, errs.items[i].pointer[0] ? errs.items[i].pointer : "/",
		       errs.items[i].message);
	if (errs.truncated)
		printf("%s: more errors were found than could be reported\n", path);
	return false;
}

int cli_contract(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[0], "check") != 0) {
		fprintf(stderr, "usage: fairgate contract check FILE...\n");
		return 2;
	}
	bool ok = true;
	for (int i = 1; i < argc; i++)
		ok = check_file(argv[i]) && ok;
	return ok ? 0 : 1;
}
