/* metrics.h - counters and histograms, exposed in Prometheus text format. */
#ifndef FAIRGATE_METRICS_H
#define FAIRGATE_METRICS_H

#include <stddef.h>
#include <time.h>

struct metrics;
struct server;

struct metrics *metrics_create(void);
void metrics_free(struct metrics *m);
/* One answered request: route name, status, seconds. */
void metrics_request(struct metrics *m, const char *route, int status, double seconds);
/* One recorded decision; rule is NULL for the outcome itself, else one denying rule. */
void metrics_decision(struct metrics *m, const char *action, const char *outcome);
void metrics_decision_rule(struct metrics *m, const char *rule);
void metrics_timer_run(struct metrics *m, const char *timer);
/*
 * One stage of a decision, in seconds since *since (CLOCK_MONOTONIC): "read"
 * (the dossier and its key, from asking to the answer) or "commit" (from the
 * submit to the committer's outcome: the wait for the lane, then the batch).
 */
void metrics_decision_stage(struct metrics *m, const char *stage, const struct timespec *since);
/* The Prometheus exposition of everything, including pool/outbox/committer gauges. */
char *metrics_render(const struct server *srv, size_t *len);

#endif
