/* params.h - each endpoint's query parameters, read and checked in one call (pure). */
#ifndef FAIRGATE_PARAMS_H
#define FAIRGATE_PARAMS_H

#include <stdbool.h>

#include "contract.h"
#include "query.h"

/*
 * Every reader takes the raw query string (NULL for none), refuses a name
 * the endpoint does not take, and on false fills err for a 400 bad_query.
 * Nothing it returns points into the query string.
 */

#define KPI_MAX_DAYS 366

/* GET /v1/audit: records after (chain, after_seq). */
struct audit_params {
	long long chain;     /* 0..2^31-1, default 0 */
	long long after_seq; /* 0..2^63-1, default 0 */
	long long limit;     /* 1..5000, default 500 */
};
QUERY_MUSTCHECK bool params_audit(const char *raw, struct audit_params *out,
                                  struct query_error *err);

/* GET /v1/audit/checkpoints: checkpoints after after_id. */
struct checkpoint_params {
	long long after_id; /* 0..2^63-1, default 0 */
	long long limit;    /* 1..1000, default 100 */
};
QUERY_MUSTCHECK bool params_checkpoints(const char *raw, struct checkpoint_params *out,
                                        struct query_error *err);

/* GET /v1/contracts/{id}: version 1..1000000, or 0 when absent (the one in force). */
QUERY_MUSTCHECK bool params_contract(const char *raw, int *version, struct query_error *err);

/* GET /v1/outbox: deliveries after after_id, of one status or all. */
struct outbox_params {
	const char *status; /* "pending", "delivered", "dead", "no_endpoint" (static) or NULL */
	long long after_id; /* 0..2^63-1, default 0 */
	int limit;          /* 1..500, default 100 */
};
QUERY_MUSTCHECK bool params_outbox(const char *raw, struct outbox_params *out,
                                   struct query_error *err);

/* A KPI question: whose figures, over which Amsterdam days (inclusive). */
struct kpi_query {
	/* "" = the caller's own (kpi_scope fills it in) */
	char creditor_id[CONTRACT_ID_MAX + 1];
	char partner_id[CONTRACT_ID_MAX + 1]; /* "" = every partner */
	char from[11], to[11];                /* YYYY-MM-DD, from <= to, at most 366 days */
};
/* GET /v1/kpi: creditor_id and partner_id (optional), from and to (required). */
QUERY_MUSTCHECK bool params_kpi(const char *raw, struct kpi_query *out,
                                struct query_error *err);
/* GET /v1/scorecard: as params_kpi, but partner_id is refused (it compares every partner). */
QUERY_MUSTCHECK bool params_scorecard(const char *raw, struct kpi_query *out,
                                      struct query_error *err);

/* GET /v1/reports/self-assessment: one calendar year of one creditor. */
struct report_query {
	struct kpi_query q; /* from and to: the year's first and last day */
	int year;           /* 2000..2100, required */
	enum report_format { REPORT_JSON, REPORT_CSV, REPORT_HTML } format; /* default JSON */
};
QUERY_MUSTCHECK bool params_report(const char *raw, struct report_query *out,
                                   struct query_error *err);

#endif
