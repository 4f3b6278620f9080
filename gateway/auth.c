/* auth.c - bearer tokens: random, stored only as SHA-256, cached briefly in memory. */
#include "auth.h"

#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hex.h"
#include "log.h"
#include "mem.h"
#include "sha256.h"

static const char *const role_names[] = {"admin", "creditor", "agency", "bailiff", "monitor"};

const char *role_name(enum role r)
{
	for (int i = 0; i < 5; i++)
		if ((int)r == (1 << i))
			return role_names[i];
	return "unknown";
}

bool role_parse(const char *s, enum role *out)
{
	for (int i = 0; i < 5; i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum role)(1 << i);
			return true;
		}
	}
	return false;
}

bool principal_sees(const struct principal *p, const char *creditor_id, const char *partner_id)
{
	if (p->role & (ROLE_CREDITOR | ROLE_MONITOR))
		return strcmp(p->creditor_id, creditor_id) == 0;
	if (p->role & ROLE_PARTNER)
		return strcmp(p->partner_id, partner_id) == 0;
	return false;
}


_Static_assert(AUTH_HASH_HEX == SHA256_HEX, "a token hash is a SHA-256 in hex");

void auth_token_hash(const char *token, char hash[AUTH_HASH_HEX])
{
	sha256_hex_str(token, hash);
}

bool auth_token_new(char token[AUTH_TOKEN_LEN + 1], char hash[AUTH_HASH_HEX])
{
	unsigned char rnd[32];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return false;
	memcpy(token, "fg_", 3);
	hex_encode(rnd, sizeof(rnd), token + 3);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	auth_token_hash(token, hash);
	return true;
}

static bool exec_ok(PGconn *c, const char *sql, int n, const char *const *params, char *err,
		    size_t errlen)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		snprintf(err, errlen, "%s", PQresultErrorMessage(r));
	PQclear(r);
	return ok;
}

bool auth_principal_add(const char *conninfo, const struct principal *p,
			char token[AUTH_TOKEN_LEN + 1], char *err, size_t errlen)
{
	char hash[AUTH_HASH_HEX];
	if (!auth_token_new(token, hash)) {
		snprintf(err, errlen, "the system random generator failed");
		return false;
	}
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "database: %s", PQerrorMessage(c));
		PQfinish(c);
		return false;
	}
	const char *cred = p->creditor_id[0] ? p->creditor_id : NULL;
	const char *part = p->partner_id[0] ? p->partner_id : NULL;
	const char *ins[] = {hash, role_name(p->role), p->name, cred, part};
	const char *credp[] = {p->creditor_id, p->name};
	bool ok = exec_ok(c, "BEGIN", 0, NULL, err, errlen) &&
		  exec_ok(c, "INSERT INTO principals (token_sha256, role, name, creditor_id, partner_id) "
			     "VALUES ($1, $2, $3, $4, $5)", 5, ins, err, errlen) &&
		  (p->role != ROLE_CREDITOR ||
		   exec_ok(c, "INSERT INTO creditors (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
			   2, credp, err, errlen)) &&
		  exec_ok(c, "COMMIT", 0, NULL, err, errlen);
	PQfinish(c);
	return ok;
}

/* ---- the in-memory cache ---- */

#define AUTH_BUCKETS 1024

struct entry {
	char hash[AUTH_HASH_HEX];
	struct principal p;
	long long fetched_ms;
	struct entry *next;
};

struct auth {
	struct pgpool *pool;
	int ttl_ms;
	PGconn *listener;        /* LISTEN fairgate_principals; NULL when down */
	struct event *listen_ev;
	struct entry *buckets[AUTH_BUCKETS];
};

struct pending {
	struct auth *a;
	char hash[AUTH_HASH_HEX];
	auth_cb cb;
	void *arg;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned bucket_of(const char *hash)
{
	return (unsigned)strtoul((char[9]){hash[0], hash[1], hash[2], hash[3], hash[4], hash[5],
					  hash[6], hash[7], 0}, NULL, 16) % AUTH_BUCKETS;
}

static struct entry *find(struct auth *a, const char *hash)
{
	for (struct entry *e = a->buckets[bucket_of(hash)]; e; e = e->next)
		if (CRYPTO_memcmp(e->hash, hash, AUTH_HASH_HEX) == 0)
			return e;
	return NULL;
}

static void forget(struct auth *a, const char *hash)
{
	struct entry **pp = &a->buckets[bucket_of(hash)];
	while (*pp) {
		if (strcmp((*pp)->hash, hash) == 0) {
			struct entry *dead = *pp;
			*pp = dead->next;
			free(dead);
			return;
		}
		pp = &(*pp)->next;
	}
}

static void remember(struct auth *a, const char *hash, const struct principal *p)
{
	forget(a, hash);
	struct entry *e = xcalloc(1, sizeof(*e));
	memcpy(e->hash, hash, AUTH_HASH_HEX);
	e->p = *p;
	e->fetched_ms = now_ms();
	unsigned b = bucket_of(hash);
	e->next = a->buckets[b];
	a->buckets[b] = e;
}

static void row_to_principal(const PGresult *r, struct principal *p)
{
	memset(p, 0, sizeof(*p));
	p->id = atoll(PQgetvalue(r, 0, 0));
	if (!role_parse(PQgetvalue(r, 0, 1), &p->role))
		p->role = 0;
	snprintf(p->name, sizeof(p->name), "%s", PQgetvalue(r, 0, 2));
	snprintf(p->creditor_id, sizeof(p->creditor_id), "%s", PQgetvalue(r, 0, 3));
	snprintf(p->partner_id, sizeof(p->partner_id), "%s", PQgetvalue(r, 0, 4));
}

static void lookup_done(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct pending *pd = arg;
	const PGresult *r = st == PGJOB_OK ? pgjob_result(job, 0) : NULL;
	if (st != PGJOB_OK) {
		pd->cb(pd->arg, NULL, true);
	} else if (r && PQntuples(r) == 1) {
		struct principal p;
		row_to_principal(r, &p);
		remember(pd->a, pd->hash, &p);
		pd->cb(pd->arg, &p, false);
	} else {
		forget(pd->a, pd->hash);
		pd->cb(pd->arg, NULL, false);
	}
	free(pd);
}

#define PRINCIPAL_COLUMNS                                                                          \
	"SELECT id, role, name, coalesce(creditor_id, ''), coalesce(partner_id, '') FROM principals "

/* Answers from the cache under key, or asks the database with sql($1 = param). */
static void lookup(struct auth *a, const char *key, const char *sql, const char *param, auth_cb cb,
		   void *arg)
{
	struct entry *e = find(a, key);
	if (e && now_ms() - e->fetched_ms < a->ttl_ms) {
		cb(arg, &e->p, false);
		return;
	}
	struct pending *pd = xcalloc(1, sizeof(*pd));
	pd->a = a;
	memcpy(pd->hash, key, AUTH_HASH_HEX);
	pd->cb = cb;
	pd->arg = arg;
	const char *params[] = {param};
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job, sql, 1, params);
	pgpool_submit(a->pool, job, lookup_done, pd);
}

void auth_lookup(struct auth *a, const char *token, auth_cb cb, void *arg)
{
	char hash[AUTH_HASH_HEX];
	auth_token_hash(token, hash);
	lookup(a, hash, PRINCIPAL_COLUMNS "WHERE token_sha256 = $1 AND revoked_at IS NULL", hash, cb,
	       arg);
}

/* ---- client certificates (tls_client_ca) ---- */

void auth_lookup_cert(struct auth *a, const char *fp, auth_cb cb, void *arg)
{
	char key[AUTH_HASH_HEX], tagged[80];
	snprintf(tagged, sizeof(tagged), "cert:%s", fp); /* its own cache keys, apart from tokens' */
	auth_token_hash(tagged, key);
	lookup(a, key, PRINCIPAL_COLUMNS "WHERE cert_sha256 = $1 AND revoked_at IS NULL", fp, cb, arg);
}

/* One request's credentials between the certificate and the token lookups. */
struct both {
	struct auth *a;
	struct principal by_cert;
	char token[AUTH_TOKEN_LEN + 1]; /* "" when none was sent */
	auth_cb cb;
	void *arg;
};

static void both_free(struct both *b)
{
	OPENSSL_cleanse(b->token, sizeof(b->token));
	free(b);
}

static void token_checked(void *arg, const struct principal *p, bool unavailable)
{
	struct both *b = arg;
	b->cb(b->arg, p && p->id == b->by_cert.id ? p : NULL, unavailable);
	both_free(b);
}

static void cert_resolved(void *arg, const struct principal *p, bool unavailable)
{
	struct both *b = arg;
	if (p && !unavailable && b->token[0]) {
		b->by_cert = *p;
		auth_lookup(b->a, b->token, token_checked, b); /* must name the same principal */
		return;
	}
	if (unavailable || p || !b->token[0])
		b->cb(b->arg, p, unavailable);
	else
		auth_lookup(b->a, b->token, b->cb, b->arg); /* an unbound certificate: the token decides */
	both_free(b);
}

void auth_resolve(struct auth *a, const char *fp, const char *token, auth_cb cb, void *arg)
{
	if (!fp) {
		if (token)
			auth_lookup(a, token, cb, arg);
		else
			cb(arg, NULL, false);
		return;
	}
	struct both *b = xcalloc(1, sizeof(*b));
	b->a = a;
	snprintf(b->token, sizeof(b->token), "%s", token ? token : "");
	b->cb = cb;
	b->arg = arg;
	auth_lookup_cert(a, fp, cert_resolved, b);
}

bool auth_bind_cert(const char *conninfo, long long id, const char *fp, char *err, size_t errlen)
{
	char idtext[24];
	snprintf(idtext, sizeof(idtext), "%lld", id);
	const char *params[] = {idtext, fp};
	PGconn *c = PQconnectdb(conninfo);
	bool ok = PQstatus(c) == CONNECTION_OK;
	if (!ok) {
		snprintf(err, errlen, "database: %s", PQerrorMessage(c));
	} else {
		PGresult *r = PQexecParams(c, "UPDATE principals SET cert_sha256 = $2 WHERE id = $1::bigint "
					      "AND revoked_at IS NULL", 2, NULL, params, NULL, NULL, 0);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdTuples(r), "1") == 0;
		if (!ok)
			snprintf(err, errlen, "no active principal %s %s", idtext,
				 PQresultErrorMessage(r));
		PQclear(r);
	}
	PQfinish(c);
	return ok;
}

static void forget_all(struct auth *a)
{
	for (int i = 0; i < AUTH_BUCKETS; i++) {
		while (a->buckets[i]) {
			struct entry *e = a->buckets[i];
			a->buckets[i] = e->next;
			free(e);
		}
	}
}

static void stop_listening(struct auth *a)
{
	if (a->listen_ev) {
		event_free(a->listen_ev);
		a->listen_ev = NULL;
	}
	PQfinish(a->listener);
	a->listener = NULL;
}

/* Reads what arrived; any notification (or the connection's end) empties the cache. */
static void drain_notifies(struct auth *a)
{
	PGnotify *n;
	bool any = false;
	if (!PQconsumeInput(a->listener)) {
		log_warn("auth: the principal listener is down; tokens are checked on every request");
		forget_all(a);
		stop_listening(a);
		return;
	}
	while ((n = PQnotifies(a->listener)) != NULL) {
		PQfreemem(n);
		any = true;
	}
	if (any)
		forget_all(a);
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	drain_notifies(arg);
}

bool auth_listen(struct auth *a, struct event_base *base, const char *conninfo)
{
	a->listener = PQconnectdb(conninfo);
	PGresult *r = PQstatus(a->listener) == CONNECTION_OK ? PQexec(a->listener, "LISTEN fairgate_principals")
							     : NULL;
	bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK && PQsetnonblocking(a->listener, 1) == 0;
	PQclear(r);
	if (ok) {
		a->listen_ev = event_new(base, PQsocket(a->listener), EV_READ | EV_PERSIST, on_notify, a);
		ok = a->listen_ev && event_add(a->listen_ev, NULL) == 0;
	}
	if (!ok)
		stop_listening(a);
	return ok;
}

struct auth *auth_create(struct pgpool *pool, int cache_ttl_ms)
{
	struct auth *a = xcalloc(1, sizeof(*a));
	a->pool = pool;
	a->ttl_ms = cache_ttl_ms;
	return a;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	stop_listening(a);
	forget_all(a);
	free(a);
}
