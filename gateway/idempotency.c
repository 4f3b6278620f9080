/* idempotency.c - Idempotency-Key on POST: replay the first answer, refuse a changed body. */
#include "idempotency.h"

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "committer.h"
#include "headers.h"
#include "http.h"
#include "mem.h"
#include "rowset.h"
#include "server.h"

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

static void request_hash(struct req *r)
{
	unsigned char md[32];
	unsigned int len = 0;
	const char *path = evhttp_request_get_uri(r->ev);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, "POST ", 5) || !EVP_DigestUpdate(ctx, path, strlen(path)) ||
	    !EVP_DigestUpdate(ctx, "\n", 1) || !EVP_DigestUpdate(ctx, r->raw_body, r->raw_len) ||
	    !EVP_DigestFinal_ex(ctx, md, &len))
		abort();
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < len; i++)
		snprintf(r->idem_hash + 2 * i, 3, "%02x", md[i]);
}

struct lookup {
	struct req *r;
	void (*run)(struct req *r);
};

/* Replays a stored answer, or refuses a different request under the same key. */
static void answer_stored(struct req *r, const PGresult *res)
{
	if (strcmp(PQgetvalue(res, 0, 0), r->idem_hash) != 0) {
		req_problem(r, 422, "idempotency_key_reused",
			    "this Idempotency-Key was used for a different request", NULL);
		return;
	}
	if (PQgetisnull(res, 0, 3)) { /* a decision_id without its decision: never written so */
		req_problem(r, 500, "corrupt", "the stored answer to this Idempotency-Key cannot be read",
			    NULL);
		return;
	}
	struct evkeyvalq *h = r->ev ? evhttp_request_get_output_headers(r->ev) : NULL;
	if (h)
		evhttp_add_header(h, "Idempotent-Replayed", "true");
	req_reply_raw(r, atoi(PQgetvalue(res, 0, 1)), PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3),
		      (size_t)PQgetlength(res, 0, 3));
}

static void looked_up(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct lookup *l = arg;
	struct req *r = l->r;
	void (*run)(struct req *) = l->run;
	const PGresult *res = st == PGJOB_OK ? pgjob_result(job, 0) : NULL;
	free(l);
	if (!res)
		req_problem(r, 503, "unavailable", "the database is unavailable; nothing was changed", NULL);
	else if (PQntuples(res) == 1)
		answer_stored(r, res);
	else if (run)
		run(r);
	else
		req_problem(r, 409, "idempotency_key_in_flight",
			    "a request with this Idempotency-Key is being processed elsewhere", NULL);
}

static int add_lookup(struct req *r, struct pgjob *job)
{
	char pid[24];
	snprintf(pid, sizeof(pid), "%lld", r->who.id);
	const char *params[] = {pid, r->idem_key};
	return pgjob_add(job, "SELECT k.request_sha256, k.status, k.content_type, coalesce(k.response, "
			      "(SELECT d.body FROM decisions d WHERE d.id = k.decision_id)) "
			      "FROM idempotency_keys k WHERE k.principal_id = $1::bigint AND k.key = $2",
			 2, params);
}

static void submit_lookup(struct req *r, void (*run)(struct req *r))
{
	struct lookup *l = xcalloc(1, sizeof(*l));
	l->r = r;
	l->run = run;
	struct pgjob *job = pgjob_create(false);
	add_lookup(r, job);
	pgpool_submit(r->srv->pool, job, looked_up, l);
}

int idem_lookup_add(struct req *r, struct pgjob *job)
{
	if (!r->idem_lookup_due)
		return -1;
	r->idem_lookup_due = false;
	return add_lookup(r, job);
}

bool idem_lookup_answered(struct req *r, const PGresult *res)
{
	if (!res || PQntuples(res) != 1)
		return false;
	answer_stored(r, res);
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
	snprintf(r->idem_key, sizeof(r->idem_key), "%s", k);
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
	char pid[24], st[8];
	snprintf(pid, sizeof(pid), "%lld", r->who.id);
	snprintf(st, sizeof(st), "%d", status);
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
