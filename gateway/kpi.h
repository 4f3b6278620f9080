/* kpi.h - KPI scope, period and figures from the daily counters (sql/003_kpi.sql). */
#ifndef FAIRGATE_KPI_H
#define FAIRGATE_KPI_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "http.h"
#include "params.h" /* struct kpi_query, read by params_kpi, params_scorecard, params_report */
#include "pgpool.h"

/*
 * The creditor the caller may read, once params.h has read the query: a
 * creditor its own (the default), a monitor the one it is granted. Fills in
 * q->creditor_id when it was not given; replies 403/404 and returns false
 * otherwise.
 */
bool kpi_scope(struct req *r, struct kpi_query *q);
/*
 * Adds the two statements kpi_metrics reads: the period's sums per
 * (partner, metric, key), and the dossiers still active at the end of it.
 */
void kpi_add_statements(struct pgjob *job, const struct kpi_query *q);
/* {metric: {key: n}} of one partner (or of all when partner is NULL), from the first statement. */
json_t *kpi_metrics(const PGresult *sums, const char *partner);
/* Active dossiers at the end of the period, of one partner or all (NULL). */
long long kpi_active(const PGresult *active, const char *partner);
/* One metric's value for a key ("" for none), or the sum over its keys when key is NULL. */
long long kpi_get(const json_t *m, const char *metric, const char *key);
/* The median of a histogram metric (keys are day counts), or JSON null when empty. */
json_t *kpi_median(const json_t *m, const char *metric);
/* a / b as a JSON real rounded to 4 places, or null when b is 0. */
json_t *kpi_ratio(long long a, long long b);
/* Every KPI of DESIGN.md from a metric map, as the /v1/kpi body. */
json_t *kpi_figures(const json_t *m, long long active);

#endif
