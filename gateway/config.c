/* config.c - the settings table and its loaders. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ctype { CT_STR, CT_INT };

struct setting {
	const char *name;
	enum ctype type;
	size_t offset;
	size_t size; /* for strings: buffer size */
	const char *def;
	long min, max; /* for integers */
};

#define S(name, def) {#name, CT_STR, offsetof(struct config, name), sizeof(((struct config *)0)->name), def, 0, 0}
#define I(name, def, lo, hi) {#name, CT_INT, offsetof(struct config, name), sizeof(int), #def, lo, hi}

static const struct setting settings[] = {
	S(listen, "127.0.0.1:8080"),
	S(database_url, ""),
	S(data_dir, "var"),
	I(private_pg_port, 54329, 1024, 65535),
	S(sql_dir, FAIRGATE_SQL_DIR),
	I(pool_size, 4, 1, 64), /* with up to 4 jobs pipelined on each (gateway/pgpool.c) */
	I(statement_timeout_ms, 5000, 0, 600000),
	I(pool_queue_max, 10000, 1, 1000000),
	I(max_body_bytes, 65536, 1024, 16777216),
	I(max_header_bytes, 16384, 1024, 1048576),
	I(max_json_depth, 16, 2, 64),
	I(request_timeout_s, 30, 1, 3600),
	/* TLS and per-principal limits (gateway/tls.c, gateway/ratelimit.c) */
	S(tls_listen, ""),
	S(tls_cert, ""),
	S(tls_key, ""),
	S(tls_client_ca, ""),
	I(rate_limit_per_s, 0, 0, 1000000),
	I(rate_limit_burst, 0, 0, 1000000),
	S(log_level, "info"),
	S(webhook_secret, "fairgate-demo-webhook-secret"),
	I(outbox_max_attempts, 20, 1, 100),
	I(outbox_base_delay_ms, 10000, 10, 3600000),
	I(outbox_max_delay_ms, 21600000, 10, 86400000),
	I(outbox_poll_ms, 1000, 10, 600000),
	I(janitor_interval_ms, 60000, 10, 86400000),
	I(kpi_fold_interval_ms, 250, 10, 3600000),
	I(commit_batch_max, 256, 1, 4096),
	I(commit_lanes, 2, 1, 8),
	/* later lanes take changes only while the first lane's batch is out longer (gateway/committer.h);
	 * 0: a dossier's lane is its id's hash. 6 ms lies between a batch's time in flight at 64
	 * concurrent requests (~4-5 ms) and at 256 (~12 ms) on the benchmark's machine (ops/BENCHMARKS.md) */
	I(commit_relief_us, 6000, 0, 10000000),
	I(read_in_flight_max, 1, 0, 256), /* dossier read statements out at once; 0: no limit */
	S(signing_key, ""),
	I(checkpoint_interval_ms, 60000, 10, 86400000),
};

#undef S
#undef I

static const struct setting *find(const char *name)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

static bool set_one(struct config *cfg, const struct setting *s, const char *value, char *err,
		    size_t errlen)
{
	char *field = (char *)cfg + s->offset;
	if (s->type == CT_STR) {
		if (strlen(value) >= s->size) {
			snprintf(err, errlen, "setting %s: longer than %zu characters", s->name, s->size - 1);
			return false;
		}
		memcpy(field, value, strlen(value) + 1);
		return true;
	}
	char *end;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (errno || end == value || *end != '\0' || v < s->min || v > s->max) {
		snprintf(err, errlen, "setting %s: must be an integer between %ld and %ld, got '%s'",
			 s->name, s->min, s->max, value);
		return false;
	}
	*(int *)field = (int)v;
	return true;
}

bool config_set(struct config *cfg, const char *name, const char *value, char *err, size_t errlen)
{
	const struct setting *s = find(name);
	if (!s) {
		snprintf(err, errlen, "unknown setting '%s'", name);
		return false;
	}
	return set_one(cfg, s, value, err, errlen);
}

void config_defaults(struct config *cfg)
{
	char err[256];
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (!set_one(cfg, &settings[i], settings[i].def, err, sizeof(err)))
			abort(); /* a broken default is a programming error */
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

bool config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	char line[1024];
	int lineno = 0;
	bool ok = true;
	while (ok && fgets(line, sizeof(line), f)) {
		lineno++;
		char *l = trim(line);
		if (*l == '\0' || *l == '#')
			continue;
		char *eq = strchr(l, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected 'name = value'", path, lineno);
			ok = false;
			break;
		}
		*eq = '\0';
		char inner[256];
		ok = config_set(cfg, trim(l), trim(eq + 1), inner, sizeof(inner));
		if (!ok)
			snprintf(err, errlen, "%s:%d: %s", path, lineno, inner);
	}
	fclose(f);
	return ok;
}

bool config_load_env(struct config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		char env[96] = "FAIRGATE_";
		size_t n = strlen(env);
		for (const char *p = settings[i].name; *p && n < sizeof(env) - 1; p++)
			env[n++] = (char)toupper((unsigned char)*p);
		env[n] = '\0';
		const char *v = getenv(env);
		if (v && !set_one(cfg, &settings[i], v, err, errlen))
			return false;
	}
	return true;
}
