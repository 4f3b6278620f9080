/* metrics.h - counters and histograms, exposed in Prometheus text format. */
#ifndef FAIRGATE_METRICS_H
#define FAIRGATE_METRICS_H

#include <stddef.h>

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
/* The Prometheus exposition of everything, including pool/outbox/committer gauges. */
char *metrics_render(const struct server *srv, size_t *len);

#endif
