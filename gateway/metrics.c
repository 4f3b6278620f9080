/* metrics.c - counters and histograms, exposed in Prometheus text format. */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dossier_load.h"
#include "mem.h"
#include "monotime.h"
#include "server.h"
#include "str.h"

static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))
#define MAX_SERIES 256

/* A labelled counter or histogram series; labels are static strings. */
struct series {
	const char *family;
	char labels[128];
	unsigned long long count;
	double sum;
	unsigned long long le[N_BUCKETS];
	bool histogram;
};

struct metrics {
	struct series s[MAX_SERIES];
	int n;
};

struct metrics *metrics_create(void)
{
	return xcalloc(1, sizeof(struct metrics));
}

void metrics_free(struct metrics *m)
{
	free(m);
}

static struct series *get(struct metrics *m, const char *family, const char *labels, bool hist)
{
	for (int i = 0; i < m->n; i++)
		if (m->s[i].family == family && strcmp(m->s[i].labels, labels) == 0)
			return &m->s[i];
	if (m->n == MAX_SERIES)
		return NULL; /* bounded: label values come from fixed tables */
	struct series *s = &m->s[m->n++];
	s->family = family;
	str_copy(s->labels, sizeof(s->labels), labels);
	s->histogram = hist;
	return s;
}

static const char F_REQ[] = "fairgate_http_requests_total";
static const char F_LAT[] = "fairgate_http_request_duration_seconds";
static const char F_DEC[] = "fairgate_decisions_total";
static const char F_RULE[] = "fairgate_decision_denials_by_rule_total";
static const char F_TIMER[] = "fairgate_timer_runs_total";
static const char F_STAGE[] = "fairgate_decision_stage_seconds";

static void observe(struct series *s, double seconds)
{
	s->count++;
	s->sum += seconds;
	for (size_t i = 0; i < N_BUCKETS; i++)
		if (seconds <= buckets[i])
			s->le[i]++;
}

/*
 * Writes k1="v1" (then ,k2="v2" when k2 is not NULL) into l of cap bytes, cut
 * as snprintf would cut it.
 */
static void label_pairs(char *l, size_t cap, const char *k1, const char *v1, const char *k2,
			const char *v2)
{
	const char *parts[] = {k1, "=\"", v1, "\"", ",", k2, "=\"", v2, "\""};
	str_join(l, cap, parts, k2 ? 9 : 4);
}

void metrics_request(struct metrics *m, const char *route, int status, double seconds)
{
	char l[128], st[STR_LL_MAX];
	str_ll(st, status);
	label_pairs(l, sizeof(l), "route", route, "status", st);
	struct series *s = get(m, F_REQ, l, false);
	if (s)
		s->count++;
	label_pairs(l, sizeof(l), "route", route, NULL, NULL);
	s = get(m, F_LAT, l, true);
	if (s)
		observe(s, seconds);
}

void metrics_decision_stage(struct metrics *m, const char *stage, const struct timespec *since)
{
	double seconds = mono_seconds_since(since);
	char l[64];
	label_pairs(l, sizeof(l), "stage", stage, NULL, NULL);
	struct series *s = get(m, F_STAGE, l, true);
	if (s)
		observe(s, seconds);
}

void metrics_decision(struct metrics *m, const char *action, const char *outcome)
{
	char l[128];
	label_pairs(l, sizeof(l), "action", action, "outcome", outcome);
	struct series *s = get(m, F_DEC, l, false);
	if (s)
		s->count++;
}

void metrics_decision_rule(struct metrics *m, const char *rule)
{
	char l[64];
	label_pairs(l, sizeof(l), "rule", rule, NULL, NULL);
	struct series *s = get(m, F_RULE, l, false);
	if (s)
		s->count++;
}

void metrics_timer_run(struct metrics *m, const char *timer)
{
	char l[64];
	snprintf(l, sizeof(l), "timer=\"%s\"", timer);
	struct series *s = get(m, F_TIMER, l, false);
	if (s)
		s->count++;
}

struct out {
	char *buf;
	size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		o->cap = o->cap * 2 + (size_t)(n > 0 ? n : 0);
		o->buf = xrealloc(o->buf, o->cap);
	}
}

static void render_family(struct out *o, const struct metrics *m, const char *family,
			  const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", family, help, family, type);
	for (int i = 0; i < m->n; i++) {
		const struct series *s = &m->s[i];
		if (s->family != family)
			continue;
		if (!s->histogram) {
			put(o, "%s{%s} %llu\n", family, s->labels, s->count);
			continue;
		}
		for (size_t b = 0; b < N_BUCKETS; b++)
			put(o, "%s_bucket{%s,le=\"%g\"} %llu\n", family, s->labels, buckets[b], s->le[b]);
		put(o, "%s_bucket{%s,le=\"+Inf\"} %llu\n", family, s->labels, s->count);
		put(o, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", family, s->labels, s->sum, family,
		    s->labels, s->count);
	}
}

static void render_gauges(struct out *o, const struct server *srv)
{
	struct pgpool_stats ps;
	struct committer_stats cs;
	struct outbox_stats os = {0};
	pgpool_stats(srv->pool, &ps);
	committer_stats(srv->committer, &cs);
	if (srv->outbox)
		outbox_stats(srv->outbox, &os);
	put(o, "# TYPE fairgate_db_pool_connections gauge\n"
	       "fairgate_db_pool_connections{state=\"configured\"} %d\n"
	       "fairgate_db_pool_connections{state=\"connected\"} %d\n"
	       "fairgate_db_pool_connections{state=\"busy\"} %d\n"
	       "# TYPE fairgate_db_pool_queued_jobs gauge\nfairgate_db_pool_queued_jobs %d\n"
	       "# TYPE fairgate_db_jobs_total counter\n"
	       "fairgate_db_jobs_total{outcome=\"ok\"} %llu\nfairgate_db_jobs_total{outcome=\"failed\"} %llu\n"
	       "# TYPE fairgate_db_jobs_pipelined_total counter\nfairgate_db_jobs_pipelined_total %llu\n",
	    ps.size, ps.connected, ps.busy, ps.queued, ps.jobs_ok, ps.jobs_failed, ps.pipelined);
	unsigned long long reads, read_statements;
	double read_seconds;
	int read_waiting;
	dossier_reader_stats(srv->reads, &reads, &read_statements, &read_seconds, &read_waiting);
	put(o, "# TYPE fairgate_dossier_reads_total counter\nfairgate_dossier_reads_total %llu\n"
	       "# TYPE fairgate_dossier_read_statements_total counter\n"
	       "fairgate_dossier_read_statements_total %llu\n"
	       "# TYPE fairgate_dossier_read_seconds_total counter\n"
	       "fairgate_dossier_read_seconds_total %.6f\n"
	       "# TYPE fairgate_dossier_reads_waiting gauge\nfairgate_dossier_reads_waiting %d\n",
	    reads, read_statements, read_seconds, read_waiting);
	put(o, "# TYPE fairgate_commit_batches_total counter\nfairgate_commit_batches_total %llu\n"
	       "# TYPE fairgate_commit_units_total counter\nfairgate_commit_units_total %llu\n"
	       "# TYPE fairgate_commit_failed_units_total counter\nfairgate_commit_failed_units_total %llu\n"
	       "# TYPE fairgate_commit_conflicts_total counter\nfairgate_commit_conflicts_total %llu\n"
	       "# TYPE fairgate_commit_batch_seconds_total counter\nfairgate_commit_batch_seconds_total %.6f\n"
	       "# TYPE fairgate_commit_relieved_units_total counter\nfairgate_commit_relieved_units_total %llu\n"
	       "# TYPE fairgate_audit_head_seq gauge\n",
	    cs.batches, cs.units, cs.failed_units, cs.conflicts, cs.batch_seconds, cs.relieved);
	int chain;
	long long seq;
	for (int i = 0; committer_lane_head(srv->committer, i, &chain, &seq); i++)
		put(o, "fairgate_audit_head_seq{chain=\"%d\"} %lld\n", chain, seq);
	put(o, "# TYPE fairgate_outbox_backlog gauge\nfairgate_outbox_backlog %lld\n"
	       "# TYPE fairgate_outbox_delivered_total counter\nfairgate_outbox_delivered_total %llu\n"
	       "# TYPE fairgate_outbox_failed_attempts_total counter\nfairgate_outbox_failed_attempts_total %llu\n"
	       "# TYPE fairgate_outbox_dead_total counter\nfairgate_outbox_dead_total %llu\n",
	    os.backlog, os.delivered, os.failed_attempts, os.dead);
}

char *metrics_render(const struct server *srv, size_t *len)
{
	struct out o = {xmalloc(8192), 0, 8192};
	const struct metrics *m = srv->metrics;
	render_family(&o, m, F_REQ, "counter", "HTTP requests answered, by route and status.");
	render_family(&o, m, F_LAT, "histogram", "HTTP request duration, by route.");
	render_family(&o, m, F_DEC, "counter", "Escalation decisions recorded, by action and outcome.");
	render_family(&o, m, F_RULE, "counter", "Denying reasons recorded, by rule.");
	render_family(&o, m, F_TIMER, "counter", "Timer runs, by timer.");
	render_family(&o, m, F_STAGE, "histogram",
		      "Escalation decisions' stages: reading the dossier, and committing (lane wait and batch).");
	render_gauges(&o, srv);
	*len = o.len;
	return o.buf;
}
