/* test_access.c - end to end: every endpoint against every kind of principal, and a log without secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "gw.h"

/*
 * The principals. Creditor A owns contract K_AP with agency P and dossier D
 * handed to P; creditor B has its own contract with agency Q; bailiff O works
 * for A under another contract but not on D; monitor A is granted A, monitor
 * B is granted B. AN sends no token, WT a well-formed token nobody holds.
 */
enum who { AD, CA, CB, PP, PQ, BO, MA, MB, AN, WT, N_WHO };

static const char *const who_name[N_WHO] = {"admin",    "creditor A", "creditor B", "agency P",  "agency Q",
					    "bailiff O", "monitor A", "monitor B", "anonymous", "wrong token"};

/*
 * The access matrix, written from DESIGN.md ("Who uses it", the API sketch)
 * and the README's API table, not from gateway/routes.c: a second, independent
 * statement of who may do what. One letter per principal, in the order above:
 *   Y  allowed: a 2xx answer
 *   F  forbidden for the role: 403
 *   N  the record is outside the principal's scope: 404 (its existence is not revealed)
 *   U  not authenticated: 401
 * {id} is A's record on P's side: partner P, contract K_AP, dossier D, the
 * decision on D. Every POST carries a valid body (and an Idempotency-Key), so
 * a 422 cannot stand in for a missing check.
 */
struct row {
	const char *method;
	const char *path; /* as in /openapi.json */
	const char *cells;
};

static const struct row matrix[] = {
	/*                                                  AD CA CB PP PQ BO MA MB AN WT */
	{"GET", "/healthz",                                "Y  Y  Y  Y  Y  Y  Y  Y  Y  Y"},
	{"GET", "/readyz",                                 "Y  Y  Y  Y  Y  Y  Y  Y  Y  Y"},
	{"GET", "/metrics",                                "Y  Y  Y  Y  Y  Y  Y  Y  Y  Y"},
	{"GET", "/openapi.json",                           "Y  Y  Y  Y  Y  Y  Y  Y  Y  Y"},
	{"GET", "/dashboard",                              "Y  Y  Y  Y  Y  Y  Y  Y  Y  Y"},
	/* the operator registers partners; any principal reads a registration */
	{"POST", "/v1/partners",                           "Y  F  F  F  F  F  F  F  U  U"},
	{"GET", "/v1/partners/{id}",                       "Y  Y  Y  Y  Y  Y  Y  Y  U  U"},
	/* creditors write contracts and exceptions; the contract's partner and monitor read */
	{"POST", "/v1/contracts",                          "F  Y  Y  F  F  F  F  F  U  U"},
	{"GET", "/v1/contracts/{id}",                      "F  Y  N  Y  N  N  Y  N  U  U"},
	{"POST", "/v1/exceptions",                         "F  Y  Y  F  F  F  F  F  U  U"},
	/* dossiers: the creditor hands over; creditor, its partner on the file, its monitor read */
	{"POST", "/v1/dossiers",                           "F  Y  Y  F  F  F  F  F  U  U"},
	{"GET", "/v1/dossiers/{id}",                       "F  Y  N  Y  N  N  Y  N  U  U"},
	{"POST", "/v1/dossiers/{id}/events",               "F  Y  N  Y  N  N  F  F  U  U"},
	{"POST", "/v1/dossiers/{id}/escalations",          "F  F  F  Y  N  N  F  F  U  U"},
	{"GET", "/v1/decisions/{id}",                      "F  Y  N  Y  N  N  Y  N  U  U"},
	{"POST", "/v1/simulate",                           "F  Y  N  F  F  F  Y  N  U  U"},
	/* the chain: monitors and the operator, redacted per creditor */
	{"GET", "/v1/audit",                               "Y  F  F  F  F  F  Y  Y  U  U"},
	{"GET", "/v1/audit/checkpoints",                   "Y  F  F  F  F  F  Y  Y  U  U"},
	/* deliveries: the operator all, creditors and partners their own */
	{"GET", "/v1/outbox",                              "Y  Y  Y  Y  Y  Y  F  F  U  U"},
	/*
	 * Figures of creditor A. Another creditor asking for A gets 404 (no such
	 * creditor visible to it); a monitor not granted A gets 403 "not granted"
	 * (gateway/kpi.c, as tests/gateway/test_kpi.c states too).
	 */
	{"GET", "/v1/kpi",                                 "F  Y  N  F  F  F  Y  F  U  U"},
	{"GET", "/v1/scorecard",                           "F  Y  N  F  F  F  Y  F  U  U"},
	{"GET", "/v1/reports/self-assessment",             "F  Y  N  F  F  F  Y  F  U  U"},
};

#define N_ROWS (sizeof(matrix) / sizeof(matrix[0]))

static struct gw g;
static const char *binary;
static char tokens[N_WHO][80];
static char secret[96];
static char id_a[64], id_b[64], id_p[64], id_q[64], id_o[64];
static char k_ap[64], k_ao[64], k_bq[64], dos_d[64], dos_e[64], dec_d[80];
static char audit_query[96];
static PGconn *db;
static int fresh; /* numbers every id a request creates */

/* Every debtor_ref this test sent, and every token it holds: none may be logged. */
static char refs[64][64];
static int n_refs;

/* ---- the matrix ---- */

/* The expected letter of (row, principal). */
static char cell(const struct row *rw, int w)
{
	int i = 0;
	for (const char *c = rw->cells; *c; c++) {
		if (*c == ' ')
			continue;
		if (i++ == w)
			return *c;
	}
	return '?';
}

static int cells_in(const struct row *rw)
{
	int n = 0;
	for (const char *c = rw->cells; *c; c++)
		n += *c != ' ';
	return n;
}

static const struct row *row_of(const char *method, const char *path)
{
	for (size_t i = 0; i < N_ROWS; i++)
		if (!strcasecmp(matrix[i].method, method) && !strcmp(matrix[i].path, path))
			return &matrix[i];
	return NULL;
}

/* ---- documents ---- */

static const char *new_id(const char *what)
{
	return gw_fmt("%s-%d-%s", what, ++fresh, gw_run_id());
}

static const char *new_ref(void)
{
	assert_true(n_refs < 64);
	snprintf(refs[n_refs], sizeof(refs[0]), "DEBTREF-%s-%02d-QZX", gw_run_id(), n_refs);
	return refs[n_refs++];
}

static const char *day_of(long long t)
{
	return gw_fmt("%.10s", gw_stamp(t));
}

static const char *partner_doc(const char *id, const char *kind)
{
	if (!strcmp(kind, "bailiff"))
		return gw_fmt("{\"id\":\"%s\",\"kind\":\"bailiff\",\"name\":\"Deurwaarder %s\","
			      "\"webhook_url\":\"%s/hooks/%s\"}", id, id, g.base, id);
	return gw_fmt("{\"id\":\"%s\",\"kind\":\"agency\",\"name\":\"Incasso %s\",\"webhook_url\":\"%s/hooks/%s\","
		      "\"wki_registration\":{\"number\":\"WKI-%s\",\"valid_until\":\"2099-12-31\"}}",
		      id, id, g.base, id, gw_run_id());
}

static const char *contract_doc(const char *id, const char *partner)
{
	return gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"version\":1,\"valid_from\":\"2020-01-01\","
		      "\"valid_to\":null,\"terms\":{\"fee_model\":\"fixed_fee\",\"allowed_actions\":[\"collection_costs\","
		      "\"transfer_to_bailiff\",\"summons\",\"wage_garnishment\",\"extend_duration\"],"
		      "\"bank_seizure_allowed\":false,\"personal_contact_before_summons\":{\"required\":true,"
		      "\"channels\":[\"phone\",\"visit\"],\"min_attempts\":1,\"within_days\":90},"
		      "\"max_duration_days\":120,\"shortened_amicable_days\":14,\"collection_costs\":"
		      "{\"scale\":\"wik\",\"vat\":false},\"summons_min_principal_cents\":25000,"
		      "\"judicial_cost_ratio_max\":1.0,\"approved_letter_templates\":[\"herinnering-v3\"]}}",
		      id, partner);
}

static const char *exception_doc(const char *id, const char *contract, const char *partner)
{
	int year = atoi(day_of(time(NULL)));
	return gw_fmt("{\"id\":\"%s\",\"version\":1,\"contract_id\":\"%s\",\"partner_id\":\"%s\",\"rule\":\"R04\","
		      "\"clause\":\"max_duration_days\",\"reason\":\"Pilot with the municipality.\","
		      "\"decided_by\":\"Board decision %d-014\",\"valid_from\":\"%d-01-01\",\"valid_until\":\"%d-12-31\"}",
		      id, contract, partner, year, year, year);
}

static const char *dossier_doc(const char *id, const char *partner, const char *contract)
{
	long long now = (long long)time(NULL);
	return gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"contract_id\":\"%s\",\"debtor_ref\":\"%s\","
		      "\"principal_cents\":84000,\"currency\":\"EUR\",\"due_date\":\"%s\",\"phase\":\"amicable\","
		      "\"shortened_amicable_track\":false,\"flags\":[],\"handed_over_at\":\"%s\"}",
		      id, partner, contract, new_ref(), day_of(now - 60 * 86400), gw_stamp(now - 3 * 86400));
}

static const char *payment_doc(void)
{
	return gw_fmt("{\"type\":\"payment\",\"occurred_at\":\"%s\",\"amount_cents\":100}",
		      gw_stamp((long long)time(NULL) - 3600));
}

static const char *const ESCALATION = "{\"action\":\"transfer_to_bailiff\"}";

/*
 * The body a principal sends to a POST row: valid, with fresh ids. Creditor B
 * writes in its own world (contract K_BQ with Q); everyone else in A's, so a
 * missing check would let the write through.
 */
static const char *body_for(const struct row *rw, int w)
{
	const char *p = rw->path;
	bool b = w == CB;
	if (!strcmp(p, "/v1/partners"))
		return partner_doc(new_id("acc-px"), "agency");
	if (!strcmp(p, "/v1/contracts"))
		return contract_doc(new_id("acc-k"), b ? id_q : id_p);
	if (!strcmp(p, "/v1/exceptions"))
		return exception_doc(new_id("acc-x"), b ? k_bq : k_ap, b ? id_q : id_p);
	if (!strcmp(p, "/v1/dossiers"))
		return dossier_doc(new_id("acc-d"), b ? id_q : id_p, b ? k_bq : k_ap);
	if (!strcmp(p, "/v1/dossiers/{id}/events"))
		return payment_doc();
	if (!strcmp(p, "/v1/dossiers/{id}/escalations"))
		return ESCALATION;
	if (!strcmp(p, "/v1/simulate"))
		return gw_fmt("{\"dossier_id\":\"%s\",\"request\":%s}", dos_d, ESCALATION);
	fail_msg("no body for POST %s", p);
	return NULL;
}

/* The request path of a row: {id} filled in, and the query a read needs. */
static const char *path_for(const struct row *rw)
{
	const char *p = rw->path, *id = strstr(p, "{id}");
	long long now = (long long)time(NULL);
	const char *period = gw_fmt("creditor_id=%s&from=%s&to=%s", id_a, day_of(now - 30 * 86400), day_of(now));
	if (id) {
		const char *obj = !strncmp(p, "/v1/partners/", 13)    ? id_p
				  : !strncmp(p, "/v1/contracts/", 14) ? k_ap
				  : !strncmp(p, "/v1/dossiers/", 13)  ? dos_d
								      : dec_d;
		return gw_fmt("%.*s%s%s", (int)(id - p), p, obj, id + 4);
	}
	if (!strcmp(p, "/v1/kpi") || !strcmp(p, "/v1/scorecard"))
		return gw_fmt("%s?%s", p, period);
	if (!strcmp(p, "/v1/reports/self-assessment"))
		return gw_fmt("%s?creditor_id=%s&year=%.4s", p, id_a, day_of(now));
	if (!strcmp(p, "/v1/audit"))
		return gw_fmt("%s?%s", p, audit_query);
	return p;
}

static const char *token_of(int w)
{
	return w == AN ? NULL : tokens[w];
}

/* ---- what a request changed ---- */

/*
 * Row counts of everything this run's ids name, in one line: the records,
 * their audit entries and notifications, the KPI counters, the stored
 * Idempotency-Key answers of this run's principals.
 */
static char *snapshot(void)
{
	static const char *const q =
		"SELECT concat_ws(' ', (SELECT count(*) FROM partners WHERE id LIKE $1), "
		"(SELECT count(*) FROM creditors WHERE id LIKE $1), "
		"(SELECT count(*) FROM contracts WHERE id LIKE $1 OR creditor_id LIKE $1), "
		"(SELECT count(*) FROM contract_exceptions WHERE id LIKE $1 OR creditor_id LIKE $1), "
		"(SELECT count(*) FROM dossiers WHERE id LIKE $1 OR creditor_id LIKE $1), "
		"(SELECT count(*) FROM events WHERE dossier_id LIKE $1), "
		"(SELECT count(*) FROM refused_events WHERE dossier_id LIKE $1), "
		"(SELECT count(*) FROM decisions WHERE dossier_id LIKE $1), "
		"(SELECT count(*) FROM audit_log WHERE subject LIKE $1 OR creditor_id LIKE $1), "
		"(SELECT count(*) FROM outbox WHERE target_id LIKE $1), "
		"(SELECT coalesce(sum(value), 0) FROM kpi_counts WHERE creditor_id LIKE $1), "
		"(SELECT count(*) FROM idempotency_keys k JOIN principals p ON p.id = k.principal_id "
		"WHERE p.name LIKE $1))";
	const char *params[] = {gw_fmt("%%%s%%", gw_run_id())};
	char *s = strdup(gw_sql_value(db, q, 1, params));
	assert_non_null(s);
	assert_null(strstr(s, "ERR"));
	return s;
}

/* ---- set-up ---- */

static int setup(void **state)
{
	const char *run = gw_run_id();
	snprintf(secret, sizeof(secret), "FAIRGATE_WEBHOOK_SECRET=whsec-%s-9f3c1b7e", run);
	const char *env[] = {secret, "FAIRGATE_LOG_LEVEL=debug", "FAIRGATE_OUTBOX_POLL_MS=100",
			     "FAIRGATE_CHECKPOINT_INTERVAL_MS=86400000", NULL};
	snprintf(id_a, sizeof(id_a), "acc-cred-a-%s", run);
	snprintf(id_b, sizeof(id_b), "acc-cred-b-%s", run);
	snprintf(id_p, sizeof(id_p), "acc-agency-p-%s", run);
	snprintf(id_q, sizeof(id_q), "acc-agency-q-%s", run);
	snprintf(id_o, sizeof(id_o), "acc-bailiff-o-%s", run);
	snprintf(k_ap, sizeof(k_ap), "acc-k-ap-%s", run);
	snprintf(k_ao, sizeof(k_ao), "acc-k-ao-%s", run);
	snprintf(k_bq, sizeof(k_bq), "acc-k-bq-%s", run);
	snprintf(dos_d, sizeof(dos_d), "acc-dos-d-%s", run);
	snprintf(dos_e, sizeof(dos_e), "acc-dos-e-%s", run);
	/* a token of the right shape that was never issued, distinctive in the log */
	snprintf(tokens[WT], sizeof(tokens[WT]), "fg_%s%s", run,
		 "0badc0de0badc0de0badc0de0badc0de0badc0de0badc0de0badc0de07"); /* 3 + 6 + 58 */
	if (!gw_start(&g, binary, env))
		return -1;
	db = PQconnectdb(g.db_url);
	if (PQstatus(db) != CONNECTION_OK)
		return -1;
	struct { int w; const char *role, *creditor, *partner; } who[] = {
		{AD, "admin", NULL, NULL}, {CA, "creditor", id_a, NULL}, {CB, "creditor", id_b, NULL},
		{PP, "agency", NULL, id_p}, {PQ, "agency", NULL, id_q},  {BO, "bailiff", NULL, id_o},
		{MA, "monitor", id_a, NULL}, {MB, "monitor", id_b, NULL},
	};
	for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++)
		if (!gw_token(&g, who[i].role, gw_fmt("acc-%d-%s", who[i].w, run), who[i].creditor, who[i].partner,
			      tokens[who[i].w]))
			return -1;
	return 0;
}

static int teardown(void **state)
{
	PQfinish(db);
	return gw_stop(&g) ? 0 : -1;
}

/* ---- the tests ---- */

/*
 * Completeness: every operation of the served /openapi.json has a row, every
 * row is an operation there, and the document calls public exactly the rows
 * open to anonymous callers. A new endpoint without a row fails here.
 */
static void test_matrix_covers_openapi(void **state)
{
	struct http_reply r;
	size_t ops = 0;
	int bad = 0;
	assert_true(gw_http(&g, "GET", "/openapi.json", NULL, NULL, NULL, &r));
	assert_int_equal(r.status, 200);
	json_t *paths = json_object_get(r.json, "paths"), *item, *op;
	const char *path, *method;
	assert_true(json_object_size(paths) > 0);
	json_object_foreach(paths, path, item) {
		json_object_foreach(item, method, op) {
			if (!json_is_object(op) || !json_object_get(op, "responses"))
				continue; /* "parameters" and other path-level members */
			ops++;
			const struct row *rw = row_of(method, path);
			json_t *sec = json_object_get(op, "security");
			bool open = json_is_array(sec) && json_array_size(sec) == 0;
			if (!rw)
				bad++, fprintf(stderr, "%s %s is in /openapi.json but not in the access matrix\n", method, path);
			else if (open != (cell(rw, AN) == 'Y'))
				bad++, fprintf(stderr, "%s %s: public in one, not in the other\n", method, path);
		}
	}
	for (size_t i = 0; i < N_ROWS; i++) {
		item = json_object_get(paths, matrix[i].path);
		char lower[8] = "";
		for (size_t k = 0; matrix[i].method[k] && k + 1 < sizeof(lower); k++)
			lower[k] = (char)(matrix[i].method[k] | 0x20);
		if (!json_object_get(item, lower))
			bad++, fprintf(stderr, "%s %s is in the matrix but not in /openapi.json\n", matrix[i].method,
				       matrix[i].path);
		if (cells_in(&matrix[i]) != N_WHO)
			bad++, fprintf(stderr, "%s %s: %d cells, want %d\n", matrix[i].method, matrix[i].path,
				       cells_in(&matrix[i]), N_WHO);
	}
	http_reply_free(&r);
	assert_int_equal(bad, 0);
	assert_int_equal(ops, N_ROWS);
}

static void created(int w, const char *path, const char *body, struct http_reply *r)
{
	assert_true(gw_http(&g, "POST", path, tokens[w], body, NULL, r));
	if (r->status != 201)
		fprintf(stderr, "POST %s as %s: %ld %s\n", path, who_name[w], r->status, r->body);
	assert_int_equal(r->status, 201);
}

/* The records every {id} of the matrix points to, made through the API by their owners. */
static void test_objects(void **state)
{
	struct http_reply r;
	gw_post_created(&g, tokens[AD], "/v1/partners", partner_doc(id_p, "agency"));
	gw_post_created(&g, tokens[AD], "/v1/partners", partner_doc(id_q, "agency"));
	gw_post_created(&g, tokens[AD], "/v1/partners", partner_doc(id_o, "bailiff"));
	const char *hook[] = {"creditor", "set-webhook", "--creditor", id_a, "--url",
			      gw_fmt("%s/hooks/%s", g.base, id_a), NULL};
	assert_int_equal(gw_cli(&g, hook, NULL, 0), 0);
	gw_post_created(&g, tokens[CA], "/v1/contracts", contract_doc(k_ap, id_p));
	gw_post_created(&g, tokens[CA], "/v1/contracts", contract_doc(k_ao, id_o));
	gw_post_created(&g, tokens[CB], "/v1/contracts", contract_doc(k_bq, id_q));
	gw_post_created(&g, tokens[CA], "/v1/exceptions", exception_doc(gw_fmt("acc-x-a-%s", gw_run_id()), k_ap, id_p));
	gw_post_created(&g, tokens[CA], "/v1/dossiers", dossier_doc(dos_d, id_p, k_ap));
	gw_post_created(&g, tokens[CB], "/v1/dossiers", dossier_doc(dos_e, id_q, k_bq));
	gw_post_created(&g, tokens[CA], gw_fmt("/v1/dossiers/%s/events", dos_d), payment_doc());
	gw_post_created(&g, tokens[PP], gw_fmt("/v1/dossiers/%s/events", dos_d), payment_doc());
	created(PP, gw_fmt("/v1/dossiers/%s/escalations", dos_d), ESCALATION, &r);
	snprintf(dec_d, sizeof(dec_d), "%s", gw_jstr(r.json, "decision_id"));
	assert_true(dec_d[0] != '\0');
	http_reply_free(&r);
	/* the audit page that starts at D's handover */
	const char *params[] = {dos_d};
	const char *at = gw_sql_value(db, "SELECT chain || '&after_seq=' || (seq - 1) FROM audit_log "
					  "WHERE subject = $1 AND kind = 'dossier.handed_over'", 1, params);
	assert_true(at[0] >= '0' && at[0] <= '9');
	snprintf(audit_query, sizeof(audit_query), "chain=%s&limit=100", at);
}

/* One failure line per cell that did not answer as the matrix says; counts them. */
static int failures;

static void mismatch(const struct row *rw, int w, const char *what, const struct http_reply *r)
{
	failures++;
	fprintf(stderr, "ACCESS %s %s as %s: %s (got %ld: %.200s)\n", rw->method, rw->path, who_name[w], what,
		r->status, r->body ? r->body : "");
}

/* What an answer may show: no token, and a debtor_ref only to those who see its dossier. */
static void check_content(const struct row *rw, int w, const struct http_reply *r)
{
	for (int t = 0; t < N_WHO; t++)
		if (t != AN && strstr(r->body, tokens[t]))
			mismatch(rw, w, "the answer carries a token", r);
	bool sees_d = w == CA || w == PP || w == MA, sees_e = w == CB || w == PQ || w == MB;
	if (!sees_d && strstr(r->body, refs[0])) /* refs[0]: D's, refs[1]: E's (test_objects) */
		mismatch(rw, w, "the answer shows the debtor_ref of A's dossier", r);
	if (!sees_e && strstr(r->body, refs[1]))
		mismatch(rw, w, "the answer shows the debtor_ref of B's dossier", r);
}

/* Data scope inside an allowed read: the audit chain redacted, deliveries only one's own. */
static void check_scope(const struct row *rw, int w, const struct http_reply *r)
{
	if (!strcmp(rw->path, "/v1/audit")) {
		bool whole = strstr(r->body, dos_d) != NULL;
		if (w == MA && !whole)
			mismatch(rw, w, "monitor A does not see its creditor's record whole", r);
		if (w != MA && whole)
			mismatch(rw, w, "the record of A's dossier is not redacted", r);
	}
	if (!strcmp(rw->path, "/v1/outbox") && w != AD) {
		const char *own = w == CA ? id_a : w == CB ? id_b : w == PP ? id_p : w == PQ ? id_q : id_o;
		json_t *d, *list = json_object_get(r->json, "deliveries");
		size_t i;
		if (w == PP && json_array_size(list) == 0)
			mismatch(rw, w, "P's own deliveries are missing", r);
		json_array_foreach(list, i, d) {
			if (strcmp(gw_jstr(d, "target_id"), own) != 0) {
				mismatch(rw, w, "a delivery to someone else is listed", r);
				break;
			}
		}
	}
}

static void run_cell(const struct row *rw, int w)
{
	struct http_reply r;
	char want = cell(rw, w), path[512], body[4096], key[96];
	bool post = !strcmp(rw->method, "POST");
	snprintf(path, sizeof(path), "%s", path_for(rw));
	snprintf(body, sizeof(body), "%s", post ? body_for(rw, w) : "");
	snprintf(key, sizeof(key), "Idempotency-Key: acc-%d-%s", ++fresh, gw_run_id());
	const char *hdr[] = {key, NULL};
	char *before = want == 'Y' ? NULL : snapshot();
	assert_true(gw_http(&g, rw->method, path, token_of(w), post ? body : NULL, post ? hdr : NULL, &r));
	long code = want == 'F' ? 403 : want == 'N' ? 404 : want == 'U' ? 401 : 0;
	if (want == 'Y' && (r.status < 200 || r.status > 299))
		mismatch(rw, w, "allowed, want 2xx", &r);
	else if (want != 'Y' && r.status != code)
		mismatch(rw, w, gw_fmt("want %ld", code), &r);
	if (before) {
		char *after = snapshot();
		if (strcmp(before, after) != 0)
			mismatch(rw, w, gw_fmt("refused, yet rows changed: %s -> %s", before, after), &r);
		free(after);
		free(before);
	}
	check_content(rw, w, &r);
	if (want == 'Y')
		check_scope(rw, w, &r);
	http_reply_free(&r);
}

/* Every cell of the matrix, against the live gateway. */
static void test_matrix(void **state)
{
	int refused = 0, allowed = 0;
	for (size_t i = 0; i < N_ROWS; i++) {
		for (int w = 0; w < N_WHO; w++) {
			run_cell(&matrix[i], w);
			cell(&matrix[i], w) == 'Y' ? allowed++ : refused++;
		}
	}
	fprintf(stderr, "access matrix: %zu endpoints x %d principals, %d refused cells, %d allowed, %d wrong\n",
		N_ROWS, N_WHO, refused, allowed, failures);
	assert_int_equal(failures, 0);
}

/* A status and "nothing written" for a POST whose body names another creditor's records. */
static void refused_reference(int w, const char *path, const char *body, long want, const char *code)
{
	struct http_reply r;
	char *before = snapshot();
	assert_true(gw_http(&g, "POST", path, tokens[w], body, NULL, &r));
	if (r.status != want)
		fprintf(stderr, "POST %s as %s: %ld %s\n", path, who_name[w], r.status, r.body);
	assert_int_equal(r.status, want);
	assert_string_equal(gw_jstr(r.json, "code"), code);
	char *after = snapshot();
	assert_string_equal(before, after);
	free(before);
	free(after);
	http_reply_free(&r);
}

/*
 * The matrix's POSTs by creditor B use B's own contract. Here B names A's
 * records in the body instead, and a partner writes what only a creditor may:
 * each is refused and writes nothing.
 */
static void test_foreign_references(void **state)
{
	refused_reference(CB, "/v1/dossiers", dossier_doc(new_id("acc-d"), id_p, k_ap), 422, "validation_failed");
	refused_reference(CB, "/v1/exceptions", exception_doc(new_id("acc-x"), k_ap, id_p), 422, "unknown_contract");
	refused_reference(CB, "/v1/contracts", contract_doc(k_ap, id_p), 409, "contract_owned_elsewhere");
	refused_reference(PP, gw_fmt("/v1/dossiers/%s/events", dos_d),
			  gw_fmt("{\"type\":\"creditor_approval\",\"occurred_at\":\"%s\",\"action\":\"summons\"}",
				 gw_stamp((long long)time(NULL) - 60)),
			  403, "forbidden");
}

/*
 * After everything above (and the webhook deliveries it caused), the log holds
 * access lines but no token, no Authorization value, no debtor_ref and not the
 * webhook secret.
 */
static void test_log_is_clean(void **state)
{
	const char *params[] = {id_p};
	const char *q = "SELECT count(*) FROM outbox WHERE target_id = $1 AND attempts > 0";
	for (int i = 0; i < 100 && atoi(gw_sql_value(db, q, 1, params)) == 0; i++)
		usleep(50 * 1000);
	assert_true(atoi(gw_sql_value(db, q, 1, params)) > 0); /* the delivery path ran, and logged */
	const char *secrets[N_WHO + 64 + 2] = {NULL};
	int n = 0;
	for (int t = 0; t < N_WHO; t++)
		if (t != AN)
			secrets[n++] = tokens[t];
	for (int i = 0; i < n_refs; i++)
		secrets[n++] = refs[i];
	secrets[n++] = strchr(secret, '=') + 1;
	const char *leak = gw_log_leak(&g, secrets);
	if (leak)
		fprintf(stderr, "the log (%s) holds %s\n", g.log_path, leak);
	assert_null(leak);
	char *log = gw_read_log(&g);
	int lines = 0;
	for (const char *p = log; (p = strstr(p, "\"type\":\"access\"")); p++)
		lines++;
	free(log);
	assert_true(lines >= (int)(N_ROWS * N_WHO)); /* the log is the one the requests went to */
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FAIRGATE_BINARY\n", argv[0]);
		return 2;
	}
	binary = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix_covers_openapi),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_foreign_references),
		cmocka_unit_test(test_log_is_clean),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
