/* audit_cli.c - `fairgate audit verify|pubkey`: the chain, the signed checkpoints, exports. */
#include "audit_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "checkpoint.h"

/* The value of --name in argv (after the subcommand), or NULL; *bad on an unknown flag. */
static const char *flag(int argc, char **argv, const char *name, bool *bad)
{
	const char *v = NULL;
	for (int i = 1; i < argc; i++) {
		bool known = strcmp(argv[i], "--pubkey") == 0 || strcmp(argv[i], "--export") == 0;
		if (!known || i + 1 >= argc) {
			*bad = true;
			return NULL;
		}
		if (strcmp(argv[i], name) == 0)
			v = argv[i + 1];
		i++;
	}
	return v;
}

static int print_pubkey(const struct config *cfg)
{
	char err[512];
	EVP_PKEY *key = checkpoint_key_load(cfg, false, err, sizeof(err));
	char *pem = key ? checkpoint_pubkey_pem(key) : NULL;
	EVP_PKEY_free(key);
	if (!pem) {
		fprintf(stderr, "fairgate: %s\n", key ? "cannot encode the public key" : err);
		return 1;
	}
	fputs(pem, stdout);
	free(pem);
	return 0;
}

static int verify_export(const char *path)
{
	char err[512];
	long long checked = 0;
	if (!checkpoint_verify_export(path, &checked, err, sizeof(err))) {
		printf("audit export BROKEN after %lld good records: %s\n", checked, err);
		return 1;
	}
	printf("audit export ok: %lld records verified\n", checked);
	return 0;
}

int audit_cli_offline(const struct config *cfg, int argc, char **argv)
{
	bool bad = false;
	if (argc == 1 && strcmp(argv[0], "pubkey") == 0)
		return print_pubkey(cfg);
	const char *export = argc >= 1 ? flag(argc, argv, "--export", &bad) : NULL;
	if (argc < 1 || strcmp(argv[0], "verify") != 0 || bad) {
		fputs("usage: fairgate audit verify [--pubkey FILE] [--export FILE] | audit pubkey\n", stderr);
		return 2;
	}
	return export ? verify_export(export) : -1;
}

/* The trusted key: --pubkey FILE, else the gateway's own; NULL (with a note) when none. */
static EVP_PKEY *trusted_key(const struct config *cfg, const char *pubkey)
{
	char err[512];
	EVP_PKEY *k = pubkey ? checkpoint_pubkey_read(pubkey, err, sizeof(err))
			     : checkpoint_key_load(cfg, false, err, sizeof(err));
	if (!k)
		fprintf(stderr, "fairgate: %s\n", err);
	return k;
}

int audit_cli_db(const struct config *cfg, const char *conninfo, int argc, char **argv)
{
	char err[512];
	long long checked = 0;
	bool bad = false;
	int rc = 0;
	if (!audit_verify_db(conninfo, &checked, err, sizeof(err))) {
		printf("audit chain BROKEN after %lld good records: %s\n", checked, err);
		rc = 1;
	} else {
		printf("audit chain ok: %lld records verified\n", checked);
	}
	EVP_PKEY *pub = trusted_key(cfg, flag(argc, argv, "--pubkey", &bad));
	if (!checkpoint_verify_db(conninfo, pub, &checked, err, sizeof(err))) {
		printf("audit checkpoints BROKEN after %lld good checkpoints: %s\n", checked, err);
		rc = 1;
	} else {
		printf("audit checkpoints ok: %lld signed checkpoints verified\n", checked);
	}
	EVP_PKEY_free(pub);
	return rc;
}
