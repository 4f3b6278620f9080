/* h_escalations.c - deciding a partner's escalation request, and reading decisions. */
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caldate.h"
#include "committer.h"
#include "decision_json.h"
#include "dossier_load.h"
#include "handlers.h"
#include "hex.h"
#include "idempotency.h"
#include "input.h"
#include "kpi_count.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "outbox.h"
#include "rowset.h"
#include "server.h"
#include "str.h"

#define DECIDE_MAX_TRIES 5

/*
 * An escalation request moves through explicit states:
 *   ESC_LOADING    the dossier, contract and history are being read
 *   ESC_COMMITTING the decision and its audit record are in a commit batch
 * and is answered from the commit's outcome. A concurrent change of the
 * dossier (another decision or fact) sends it back to ESC_LOADING.
 */
enum esc_state { ESC_LOADING, ESC_COMMITTING };

struct esc {
	struct req *r;
	enum esc_state state;
	int tries;
	struct timespec stage_start; /* of the current state, for metrics_decision_stage */
	struct escalation_request er;
	char decision_id[40];
	int64_t now;
	struct dossier_ctx *ctx;
	/* built by build(), kept alive until done() */
	char *body;         /* the answer, also the audit record's payload */
	char *request_text;
	struct decision dec; /* last: 26 KB that policy_decide fills, never zeroed (esc_new) */
};

/*
 * A request's state with everything before dec zeroed. calloc had zeroed the
 * decision's 26 KB of reason texts on every request, which policy_decide
 * writes itself (reason_add starts each reason it uses).
 */
static struct esc *esc_new(void)
{
	struct esc *e = xmalloc(sizeof(*e));
	memset(e, 0, offsetof(struct esc, dec));
	e->dec.allow = false;
	e->dec.n_reasons = 0;
	return e;
}

static void esc_free(void *p)
{
	struct esc *e = p;
	dossier_ctx_free(e->ctx);
	free(e->body);
	free(e->request_text);
	free(e);
}

static void esc_load(struct esc *e);

/*
 * The decision's row. Its body is not in it: the body is the audit record's
 * payload (audit_chain, audit_seq), read back by fairgate_decision_body
 * (sql/015_decision_body_in_audit.sql).
 */
static const struct rowset_def DECISION_ROWS = {
	"INSERT INTO decisions (id, dossier_id, creditor_id, partner_id, action, outcome, rules, "
	"contract_id, contract_version, amount_cents, request, audit_chain, audit_seq, decided_at) "
	"SELECT id, dossier_id, creditor_id, partner_id, action, outcome, rules::text[], contract_id, "
	"contract_version::int, amount_cents::bigint, request::jsonb, audit_chain::int, "
	"audit_seq::bigint, decided_at::timestamptz "
	"FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], "
	"$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], "
	"$14::text[]) AS u(id, dossier_id, creditor_id, partner_id, action, outcome, rules, "
	"contract_id, contract_version, amount_cents, request, audit_chain, audit_seq, decided_at)",
	14, 100};

static void esc_build(void *arg, const struct commit_ctx *cc, const char **kind, const char **subject,
		      const char **creditor, const char **payload)
{
	struct esc *e = arg;
	struct dossier_ctx *c = e->ctx;
	char decided_at[21], cver[STR_LL_MAX], chain[STR_LL_MAX], seq[STR_LL_MAX], rules[128], amount[STR_LL_MAX];
	timestamp_format(e->now, decided_at);
	struct decision_body b = {e->decision_id, c->id, action_name(e->er.action), c->contract.id,
				  decided_at, c->contract.version, cc->chain, cc->seq};
	free(e->body);
	e->body = decision_body_json(&b, &e->dec);
	str_ll(cver, c->contract.version);
	str_ll(chain, cc->chain);
	str_ll(seq, cc->seq);
	str_ll(amount, (long long)e->er.amount_cents);
	denying_rules_literal(&e->dec, rules, sizeof(rules));
	const char *pd[] = {e->decision_id, c->id, c->creditor_id, c->partner.id, action_name(e->er.action),
			    e->dec.allow ? "allow" : "deny", rules, c->contract.id, cver,
			    e->er.has_amount ? amount : NULL, e->request_text, chain, seq, decided_at};
	commit_rows(cc, &DECISION_ROWS, pd);
	kpi_count_decision(cc, c->creditor_id, c->partner.id, &c->contract, &c->dossier, e->er.action,
			   &e->dec, e->now);
	/* the body is stored once, as the audit payload: the notification and the key's answer refer to the decision */
	outbox_enqueue_decision(cc, "creditor", c->creditor_id, c->creditor_webhook, "decision.made",
				e->decision_id);
	idem_record_decision(e->r, cc, 201, "application/json", e->decision_id);
	*kind = "decision.recorded";
	*subject = c->id;
	*creditor = c->creditor_id;
	*payload = e->body;
}

static void count_decision(struct server *srv, const struct esc *e)
{
	metrics_decision(srv->metrics, action_name(e->er.action), e->dec.allow ? "allow" : "deny");
	for (int i = 0; i < e->dec.n_reasons; i++)
		if (!e->dec.reasons[i].waived)
			metrics_decision_rule(srv->metrics, rule_code(e->dec.reasons[i].rule));
}

static void esc_done(void *arg, enum commit_status st, const struct commit_ctx *cc,
		     const char *sqlstate, const char *error)
{
	struct esc *e = arg;
	struct req *r = e->r;
	metrics_decision_stage(r->srv->metrics, "commit", &e->stage_start);
	if (st == COMMIT_CONFLICT && ++e->tries < DECIDE_MAX_TRIES) {
		dossier_ctx_free(e->ctx);
		e->ctx = NULL;
		esc_load(e); /* another change came first: decide again on the new state */
		return;
	}
	if (st == COMMIT_DUPLICATE && idem_lost_race(r, error))
		return;
	if (st != COMMIT_OK) {
		/* Fail closed: no recorded decision, no allow. */
		req_problem(r, st == COMMIT_CONFLICT ? 409 : 503,
			    st == COMMIT_CONFLICT ? "concurrent_change" : "unavailable",
			    "the decision could not be recorded, so nothing is allowed; try again", NULL);
		return;
	}
	count_decision(r->srv, e);
	/* without a webhook URL the notification is stored as no_endpoint, never sent: no poll */
	if (r->srv->outbox && e->ctx->creditor_webhook[0])
		outbox_kick(r->srv->outbox);
	req_reply_raw(r, 201, "application/json", e->body, strlen(e->body));
}

static const struct commit_unit_ops esc_ops = {esc_build, esc_done};

/*
 * What an allow changes on its dossier with the version bump (sql/013): its
 * entry among the allowed escalations, [action, decided_at epoch, amount_cents,
 * the request's extend_days or 0], and for an extension the deadline's days.
 */
static void allowed_change(const struct esc *e, struct dossier_change *out)
{
	char at[STR_LL_MAX], amount[STR_LL_MAX], days[STR_LL_MAX];
	str_ll(at, (long long)e->now);
	str_ll(amount, e->er.has_amount ? (long long)e->er.amount_cents : 0LL);
	str_ll(days, e->er.extend_days);
	const char *parts[] = {"[\"", action_name(e->er.action), "\",", at, ",", amount, ",",
			       days, "]"};
	str_join(out->allowed_entry, sizeof(out->allowed_entry), parts, sizeof(parts) / sizeof(parts[0]));
	out->extend_days =
	    e->er.action == ACTION_EXTEND_DURATION ? policy_extension_days(e->er.extend_days) : 0;
}

static void esc_loaded(void *arg, enum load_status st, struct dossier_ctx *c)
{
	struct esc *e = arg;
	struct req *r = e->r;
	struct policy_input in;
	metrics_decision_stage(r->srv->metrics, "read", &e->stage_start);
	if (st != LOAD_OK || !dossier_visible(c, &r->who)) {
		dossier_ctx_free(c);
		req_problem(r, st == LOAD_UNAVAILABLE ? 503 : st == LOAD_CORRUPT ? 500 : 404,
			    st == LOAD_UNAVAILABLE ? "unavailable" : st == LOAD_CORRUPT ? "corrupt" : "not_found",
			    st == LOAD_UNAVAILABLE ? "the database is unavailable; nothing is allowed"
						   : "no such dossier handed to you", NULL);
		return;
	}
	if (!c->has_contract) {
		dossier_ctx_free(c);
		req_problem(r, 409, "no_contract_in_force", "no version of the dossier's contract is in force "
			    "today, so nothing can be allowed", NULL);
		return;
	}
	e->ctx = c;
	e->now = (int64_t)time(NULL);
	dossier_policy_input(c, e->now, &in);
	policy_decide(&in, &e->er, &e->dec);
	e->state = ESC_COMMITTING;
	clock_gettime(CLOCK_MONOTONIC, &e->stage_start);
	/*
	 * An allow changes what the dossier permits next (R10, R15, extensions):
	 * it commits only if the dossier is still as read. A deny changes nothing
	 * a decision reads, so it is valid as of its snapshot and needs no check.
	 */
	if (e->dec.allow) {
		struct dossier_change change;
		allowed_change(e, &change);
		committer_submit_checked(r->srv->committer, &esc_ops, e, c->id, c->version, &change);
	} else {
		committer_submit(r->srv->committer, &esc_ops, e);
	}
}

static void esc_load(struct esc *e)
{
	e->state = ESC_LOADING;
	clock_gettime(CLOCK_MONOTONIC, &e->stage_start);
	dossier_load_for(e->r, e->r->params[0], (int64_t)time(NULL), esc_loaded, e);
}

/*
 * A decision id: "dec_", the time in milliseconds (12 hex digits, so ids sort
 * by time and the primary key grows at its right edge instead of touching a
 * random leaf per insert), then 64 random bits from a pool filled 4 KiB at a
 * time (one RAND_bytes call, with its fork check, per 512 decisions). The
 * loop is single-threaded; a forked child never serves.
 */
static void new_decision_id(char out[40])
{
	static unsigned char pool[4096];
	static size_t used = sizeof(pool);
	struct timespec ts;
	if (used + 8 > sizeof(pool)) {
		if (RAND_bytes(pool, sizeof(pool)) != 1)
			abort();
		used = 0;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned long long ms = (unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u;
	memcpy(out, "dec_", 4);
	unsigned char when[6]; /* the 48 low bits of ms, most significant first */
	for (int i = 0; i < 6; i++)
		when[i] = (unsigned char)(ms >> (8 * (5 - i)));
	hex_encode(when, sizeof(when), out + 4);
	hex_encode(pool + used, 8, out + 16);
	OPENSSL_cleanse(pool + used, 8);
	used += 8;
}

void h_escalation_create(struct req *r)
{
	struct contract_errors errs;
	struct esc *e = esc_new();
	e->r = r;
	r->state = e;
	r->state_free = esc_free;
	if (!escalation_read(r->body, &e->er, &errs)) {
		reply_errors(r, &errs);
		return;
	}
	/*
	 * Stored as sent: the jsonb column normalises it, as re-dumping it sorted
	 * had. escalation_read admitted known members only, integers within range
	 * and text, so jsonb reads what jansson read (no real beyond numeric's range).
	 */
	e->request_text = xstrndup(r->raw_body, r->raw_len);
	new_decision_id(e->decision_id);
	esc_load(e);
}

/* ---- GET /v1/decisions/{id} ---- */

static void decision_loaded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct req *r = arg;
	const PGresult *res = scoped_row(r, job, st, "decision");
	if (!res)
		return;
	req_reply_raw(r, 200, "application/json", PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}

void h_decision_get(struct req *r)
{
	const char *params[] = {r->params[0]};
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job, "SELECT fairgate_decision_body(id), creditor_id, partner_id FROM decisions WHERE id = $1", 1,
		  params);
	pgpool_submit(r->srv->pool, job, decision_loaded, r);
}
