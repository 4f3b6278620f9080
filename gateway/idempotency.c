/* idempotency.c - Idempotency-Key on POST: replay the first answer, refuse a changed body. */
#include "idempotency.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "committer.h"
#include "headers.h"
#include "http.h"
#include "mem.h"
#include "rowset.h"
#include "server.h"
#include "sha256.h"
#include "str.h"

#define IDEM_BUCKETS 4096

struct inflight {
	long long principal;
	char *key;
	struct inflight *next;
};

struct idem_table {
	struct inflight *buckets[IDEM_BUCKETS];
};

struct idem_table *idem_table_create(void)
{
	return xcalloc(1, sizeof(struct idem_table));
}

void idem_table_free(struct idem_table *t)
{
	if (!t)
		return;
	for (int i = 0; i < IDEM_BUCKETS; i++) {
		while (t->buckets[i]) {
			struct inflight *f = t->buckets[i];
			t->buckets[i] = f->next;
			free(f->key);
			free(f);
		}
	}
	free(t);
}

static unsigned bucket(long long principal, const char *key)
{
	unsigned h = (unsigned)principal * 2654435761u;
	for (const char *p = key; *p; p++)
		h = h * 31u + (unsigned char)*p;
	return h % IDEM_BUCKETS;
}

static struct inflight **find(struct idem_table *t, long long principal, const char *key)
{
	struct inflight **pp = &t->buckets[bucket(principal, key)];
	while (*pp && ((*pp)->principal != principal || strcmp((*pp)->key, key) != 0))
		pp = &(*pp)->next;
	return pp;
}

_Static_assert(sizeof(((struct req *)0)->idem_hash) == SHA256_HEX, "a request hash is a SHA-256 in hex");

static void request_hash(struct req *r)
{
	const char *path = evhttp_request_get_uri(r->ev);
	const struct sha256_part parts[] = {
		{"POST ", 5}, {path, strlen(path)}, {"\n", 1}, {r->raw_body, r->raw_len}};
	sha256_hex(parts, sizeof(parts) / sizeof(parts[0]), r->idem_hash);
}

struct lookup {
	struct req *r;
	void (*run)(struct req *r);
};

/*
 * The lookup of any number of keys in one statement: row u.n of the arrays is
 * the n-th key, and a stored answer comes back as (n, request_sha256, status,
 * content_type, response), the response read through the decision when it is
 * one (sql/010). Each key is a probe of its own (a LATERAL subquery with a
 * LIMIT is never turned into a join): as a join, the plan cached while the
 * table was nearly empty hashed the whole table for every lookup once it had
 * grown (11 ms per lookup after 40,000 keys, in the benchmark's profile).
 */
static const struct rowset_def LOOKUP_ROWS = {
	"SELECT u.n::int, k.request_sha256, k.status, k.content_type, k.response "
	"FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(p, key, n) CROSS JOIN LATERAL "
	"(SELECT i.request_sha256, i.status, i.content_type, coalesce(i.response, "
	"fairgate_decision_body(i.decision_id)) AS response "
	"FROM idempotency_keys i WHERE i.principal_id = u.p::bigint AND i.key = u.key LIMIT 1) k",
	2, 0};

struct idem_lookups {
	struct rowset rs;
};

const char *idem_lookup_sql(void)
{
	return LOOKUP_ROWS.sql;
}

struct idem_lookups *idem_lookups_new(void)
{
	struct idem_lookups *l = xcalloc(1, sizeof(*l));
	rowset_init(&l->rs, &LOOKUP_ROWS);
	return l;
}

static int lookups_put(struct idem_lookups *l, const struct req *r)
{
	char pid[STR_LL_MAX];
	str_ll(pid, r->who.id);
	const char *values[] = {pid, r->idem_key};
	return rowset_add(&l->rs, values) + 1;
}

int idem_lookups_add(struct idem_lookups *l, struct req *r)
{
	if (!r->idem_lookup_due)
		return 0;
	r->idem_lookup_due = false;
	return lookups_put(l, r);
}

int idem_lookups_flush(struct idem_lookups *l, struct pgjob *job)
{
	int idx = rowset_flush(&l->rs, job);
	rowset_free(&l->rs);
	free(l);
	return idx;
}

/* The row of position pos in a lookup's result, or -1 (no answer stored). */
static int row_of(const PGresult *res, int pos)
{
	for (int i = 0, n = res ? PQntuples(res) : 0; i < n; i++)
		if (atoi(PQgetvalue(res, i, 0)) == pos)
			return i;
	return -1;
}

/* Replays a stored answer (row of a lookup's result), or refuses a different request under the same key. */
static void answer_stored(struct req *r, const PGresult *res, int row)
{
	if (strcmp(PQgetvalue(res, row, 1), r->idem_hash) != 0) {
		req_problem(r, 422, "idempotency_key_reused",
			    "this Idempotency-Key was used for a different request", NULL);
		return;
	}
	if (PQgetisnull(res, row, 4)) { /* a decision_id without its decision: never written so */
		req_problem(r, 500, "corrupt", "the stored answer to this Idempotency-Key cannot be read",
			    NULL);
		return;
	}
	struct evkeyvalq *h = r->ev ? evhttp_request_get_output_headers(r->ev) : NULL;
	if (h)
		evhttp_add_header(h, "Idempotent-Replayed", "true");
	req_reply_raw(r, atoi(PQgetvalue(res, row, 2)), PQgetvalue(res, row, 3), PQgetvalue(res, row, 4),
		      (size_t)PQgetlength(res, row, 4));
}

static void looked_up(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct lookup *l = arg;
	struct req *r = l->r;
	void (*run)(struct req *) = l->run;
	const PGresult *res = st == PGJOB_OK ? pgjob_result(job, 0) : NULL;
	int row = row_of(res, 1);
	free(l);
	if (!res)
		req_problem(r, 503, "unavailable", "the database is unavailable; nothing was changed", NULL);
	else if (row >= 0)
		answer_stored(r, res, row);
	else if (run)
		run(r);
	else
		req_problem(r, 409, "idempotency_key_in_flight",
			    "a request with this Idempotency-Key is being processed elsewhere", NULL);
}

static void submit_lookup(struct req *r, void (*run)(struct req *r))
{
	struct lookup *l = xcalloc(1, sizeof(*l));
	l->r = r;
	l->run = run;
	struct pgjob *job = pgjob_create(false);
	struct idem_lookups *one = idem_lookups_new();
	lookups_put(one, r);
	idem_lookups_flush(one, job);
	pgpool_submit(r->srv->pool, job, looked_up, l);
}

bool idem_lookup_answered(struct req *r, const PGresult *res, int pos)
{
	int row = pos > 0 ? row_of(res, pos) : -1;
	if (row < 0)
		return false;
	answer_stored(r, res, row);
	return true;
}

bool idem_begin(struct req *r, void (*run)(struct req *r))
{
	const char *k = r->ev ? evhttp_find_header(evhttp_request_get_input_headers(r->ev),
						   "Idempotency-Key") : NULL;
	if (!k)
		return true;
	if (!header_idempotency_key(k)) {
		req_problem(r, 400, "bad_idempotency_key",
			    "Idempotency-Key must be 1 to 255 visible ASCII characters", NULL);
		return false;
	}
	struct idem_table *t = r->srv->idem;
	if (*find(t, r->who.id, k)) {
		req_problem(r, 409, "idempotency_key_in_flight",
			    "a request with this Idempotency-Key is still being processed", NULL);
		return false;
	}
	str_copy(r->idem_key, sizeof(r->idem_key), k);
	request_hash(r);
	struct inflight *f = xcalloc(1, sizeof(*f));
	f->principal = r->who.id;
	f->key = xstrdup(k);
	struct inflight **pp = find(t, r->who.id, k);
	*pp = f;
	r->idem_inflight = true;
	if (r->route && (r->route->flags & ROUTE_IDEM_IN_HANDLER)) {
		r->idem_lookup_due = true;
		return true;
	}
	submit_lookup(r, run);
	return false;
}

/* The answer: its text (response), or the decision whose body it is (decision_id). */
static const struct rowset_def IDEM_ROWS = {
	"INSERT INTO idempotency_keys (principal_id, key, request_sha256, status, content_type, "
	"response, decision_id) SELECT p::bigint, k, h, s::int, t, b, d FROM unnest($1::text[], "
	"$2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(p, k, h, s, t, b, d)",
	7, 700};

static void record(struct req *r, const struct commit_ctx *ctx, int status, const char *ctype,
		   const char *body, const char *decision_id)
{
	if (!r->idem_key[0])
		return;
	char pid[STR_LL_MAX], st[STR_LL_MAX];
	str_ll(pid, r->who.id);
	str_ll(st, status);
	const char *values[] = {pid, r->idem_key, r->idem_hash, st, ctype, body, decision_id};
	commit_rows(ctx, &IDEM_ROWS, values);
}

void idem_record(struct req *r, const struct commit_ctx *ctx, int status, const char *ctype,
		 const char *body)
{
	record(r, ctx, status, ctype, body, NULL);
}

void idem_record_decision(struct req *r, const struct commit_ctx *ctx, int status, const char *ctype,
			  const char *decision_id)
{
	record(r, ctx, status, ctype, NULL, decision_id);
}

bool idem_lost_race(struct req *r, const char *error)
{
	if (!r->idem_key[0] || !error || !strstr(error, "idempotency_keys_pkey"))
		return false;
	submit_lookup(r, NULL); /* the stored answer exists now: replay it */
	return true;
}

void idem_end(struct req *r)
{
	if (!r->idem_inflight)
		return;
	struct inflight **pp = find(r->srv->idem, r->who.id, r->idem_key);
	if (*pp) {
		struct inflight *f = *pp;
		*pp = f->next;
		free(f->key);
		free(f);
	}
	r->idem_inflight = false;
}
