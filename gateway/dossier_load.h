/* dossier_load.h - reads a dossier with its contract, partner and history in one statement. */
#ifndef FAIRGATE_DOSSIER_LOAD_H
#define FAIRGATE_DOSSIER_LOAD_H

#include <jansson.h>
#include <libpq-fe.h>

#include "auth.h"
#include "input.h"
#include "policy.h"

struct server;

/* A dossier as the policy and the handlers need it. Owned by the loader's caller. */
struct dossier_ctx {
	char id[CONTRACT_ID_MAX];
	char creditor_id[CONTRACT_ID_MAX];
	char debtor_ref[DEBTOR_REF_MAX];
	char creditor_webhook[256];
	long long version;            /* bumped by every fact and decision */
	int32_t deadline;             /* caldate: last day with the partner */
	bool flagged_for_return;
	bool has_contract;            /* a version is in force at now */
	struct contract contract;
	struct partner partner;
	struct dossier dossier;       /* events and allowed point into the arrays below */
	struct event *events;
	json_t *timeline;             /* [{id, type, occurred_at, reporter, ...}]; NULL unless asked for */
	struct prior_escalation *allowed;
	struct contract_exception *exceptions;
	size_t n_exceptions;
};

enum load_status { LOAD_OK, LOAD_NOT_FOUND, LOAD_UNAVAILABLE, LOAD_CORRUPT };

typedef void (*dossier_load_cb)(void *arg, enum load_status st, struct dossier_ctx *ctx);

/*
 * Loads dossier id as of now; the callback owns ctx (free with dossier_ctx_free).
 * The loads asked for in one loop turn are read in one statement, sent when
 * the turn's callbacks are done, or when a statement out already is answered
 * (struct dossier_reader, one per server; read_in_flight_max).
 */
void dossier_load(struct server *srv, const char *id, int64_t now, dossier_load_cb cb, void *arg);
/* The same, with ctx->timeline built (GET of a dossier); the other loads leave it NULL. */
void dossier_load_timeline(struct server *srv, const char *id, int64_t now, dossier_load_cb cb, void *arg);
/*
 * The same for request r, with r's Idempotency-Key lookup in the same round
 * trip when one is due (ROUTE_IDEM_IN_HANDLER): if the key's answer is
 * stored, r is answered with it and freed, and cb never runs.
 */
struct req;
void dossier_load_for(struct req *r, const char *id, int64_t now, dossier_load_cb cb, void *arg);
void dossier_ctx_free(struct dossier_ctx *ctx);
struct dossier_reader;
struct event_base;
struct pgpool;
/*
 * NULL when the event cannot be made. At most in_flight_max read statements
 * are out at once (0: no limit); the loads of the turns meanwhile wait and go
 * in one statement when the first is answered.
 */
struct dossier_reader *dossier_reader_create(struct event_base *base, struct pgpool *pool,
					     int in_flight_max);
/* The statement of a turn's reads ($1 the ids, $2 their day, both text[]), for EXPLAIN in tests. */
const char *dossier_read_sql(void);
/*
 * Dossiers read, the statements that read them, and those statements' time in
 * flight, so far; and the loads waiting for a statement now.
 */
void dossier_reader_stats(const struct dossier_reader *rd, unsigned long long *reads,
			  unsigned long long *statements, double *seconds, int *waiting);
/*
 * Sends what still waits (before the pool is freed, which answers it) and
 * frees rd, or lets the last statement's answer free it.
 */
void dossier_reader_free(struct dossier_reader *rd);
/*
 * A dossier is read in one row: the dossier's own columns (d is the dossier,
 * c its creditor), then the columns named by DC_*: the contract document in
 * force and its creditor (both NULL when none is, or when the caller supplies
 * the contract), the partner document, and JSON arrays (NULL for none) of the
 * facts [{id, reporter, body}], of the allowed escalations [[action, epoch,
 * amount_cents, extend_days]] and of the exception documents. dossier_load.c
 * selects it as of now, simulate.c as of a past decision.
 */
#define DOSSIER_ROW_COLUMNS                                                                        \
	"d.creditor_id, d.debtor_ref, d.principal_cents, d.due_date::text, d.phase, "              \
	"d.shortened_track, d.flags, extract(epoch FROM d.handed_over_at)::bigint, d.version, "    \
	"coalesce(d.deadline::text, ''), d.flagged_for_return_at IS NOT NULL, "                    \
	"coalesce(c.webhook_url, '')"
enum {
	DC_CONTRACT = 12,
	DC_CONTRACT_CREDITOR,
	DC_PARTNER,
	DC_EVENTS,
	DC_ALLOWED,
	DC_EXCEPTIONS,
	DC__COUNT
};
/*
 * Builds a dossier from row `row` of res (NULL, or no such row: LOAD_NOT_FOUND;
 * columns past DC__COUNT are ignored); no stored fact may lie beyond bound
 * (plus a day); ctx->timeline is built only when timeline is true. On LOAD_OK
 * *out is the caller's; otherwise *out is NULL.
 */
enum load_status dossier_ctx_read(const char *id, const PGresult *res, int row, int64_t bound, bool timeline,
				  struct dossier_ctx **out);
/* True when principal p may read this dossier (creditor, its partner, a granted monitor). */
bool dossier_visible(const struct dossier_ctx *ctx, const struct principal *p);
/* The policy input for this dossier at now. */
void dossier_policy_input(const struct dossier_ctx *ctx, int64_t now, struct policy_input *in);

#endif
